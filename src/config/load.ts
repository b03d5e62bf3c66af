import { readFileSync, statSync } from 'node:fs'
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml'
import type { z } from 'zod'
import { factoryConfigSchema, type FactoryConfig } from './schema.js'
import { canonicalJson, deepFreeze, sha256Hex } from './hash.js'
import { threadsProblem } from '../engines/threads.js'
import { installKeyHints } from './key-hints.js'

// An unknown key anywhere in a config is reported with the known key it is closest to.
installKeyHints()

export type ResolvedConfig = Readonly<FactoryConfig> & { readonly hash: string; readonly source: string | null }

/** Line of the YAML node at `path`, or of its nearest existing parent. */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: readonly PropertyKey[],
): number | null {
  let node: unknown = doc.contents
  let line: number | null = null
  const lineAt = (n: unknown) => {
    const range = (n as Node | null)?.range
    return range ? counter.linePos(range[0]).line : null
  }
  line = lineAt(node)
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === String(key))
      if (!pair) break
      line = lineAt(pair.key) ?? line
      node = pair.value
      line = lineAt(node) ?? line
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key]
      line = lineAt(node) ?? line
    } else break
  }
  return line
}

export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  where: string,
  locate: (p: readonly PropertyKey[]) => number | null,
) {
  return issues
    .map((i) => {
      // An unknown key is reported at its parent; point at the key itself.
      const at = i.code === 'unrecognized_keys' && i.keys.length > 0 ? [...i.path, i.keys[0]] : i.path
      const path = at.map(String).join('.') || '(root)'
      const line = locate(at)
      return `  ${where}${line ? `:${line}` : ''}: ${path}: ${i.message}`
    })
    .join('\n')
}

/** A config is a few KiB of YAML; anything near this is not one (and parsing it could exhaust memory). */
export const MAX_CONFIG_BYTES = 1024 * 1024
/** Aliases a config may expand: enough for anchors reused across sections, far too few for an alias bomb. */
const MAX_ALIAS_COUNT = 100

/** What a config's top level is when it is not a mapping, for the error: "a number", "a list", ... */
function kindOf(x: unknown): string | null {
  if (x === null || x === undefined) return null
  if (Array.isArray(x)) return 'a list'
  if (typeof x === 'object') return null
  return typeof x === 'string' ? 'a string' : typeof x === 'number' ? 'a number' : `a ${typeof x}`
}

/** An empty document is all defaults; any other non-mapping (a scalar, a list) is refused, never read as defaults. */
export function sectionsOf(raw: unknown, where: string): Record<string, unknown> {
  const kind = kindOf(raw)
  if (kind) throw new Error(`${where} must be a mapping of sections (symbol:, data:, features:, ...), got ${kind}`)
  return (raw ?? {}) as Record<string, unknown>
}

/** Validate a plain object as the factory config, freeze it and attach its hash. */
export function resolveConfig(raw: unknown, source: string | null = null): ResolvedConfig {
  const parsed = factoryConfigSchema.safeParse(sectionsOf(raw, source ?? 'a config'))
  if (!parsed.success) {
    throw new Error(
      `invalid config${source ? ` ${source}` : ''}:\n${formatIssues(parsed.error.issues, source ?? 'config', () => null)}`,
    )
  }
  const hash = sha256Hex(canonicalJson(parsed.data))
  return deepFreeze({ ...parsed.data, hash, source })
}

export interface YamlFile {
  readonly js: unknown
  /** Line of the node at a path of the document (or of its nearest existing parent). */
  readonly locate: (path: readonly PropertyKey[]) => number | null
}

/**
 * Read a YAML file as a config is read: refused by its size before reading, a syntax error named with its line,
 * aliases expanded within a limit. `what` names the file in errors ("config", "sweep").
 */
export function readYamlFile(path: string, what = 'config'): YamlFile {
  let text: string
  try {
    // Refused by its size before reading: a huge file would take minutes to parse and then exhaust the heap.
    const info = statSync(path)
    if (info.isFile() && info.size > MAX_CONFIG_BYTES) {
      throw new Error(`${info.size} bytes is larger than a ${what} can be (at most ${MAX_CONFIG_BYTES} bytes, 1 MiB)`)
    }
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`)
  }
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const line = e.linePos?.[0]?.line
    throw new Error(`${path}${line ? `:${line}` : ''}: YAML syntax error: ${e.message.split('\n')[0]}`)
  }
  let js: unknown
  try {
    js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    throw new Error(`${path}: cannot expand the YAML: ${(err as Error).message}`)
  }
  return { js, locate: (p) => lineOf(doc, counter, p) }
}

/**
 * Load a YAML config: syntax errors and schema errors both give the file, the line and the path of the bad field.
 * No path means all defaults. `overrides` (e.g. from CLI flags) are merged over the file before validation.
 */
export function loadConfig(path?: string, overrides: Record<string, unknown> = {}): ResolvedConfig {
  if (!path) return resolveConfig(mergeDeep({}, overrides))
  const { js, locate } = readYamlFile(path)
  const raw = mergeDeep(sectionsOf(js, path), overrides)
  const parsed = factoryConfigSchema.safeParse(raw)
  if (!parsed.success) {
    throw new Error(`invalid config ${path}:\n${formatIssues(parsed.error.issues, path, locate)}`)
  }
  // Checked here, where a run is configured, not in the schema: a bundle made on a larger machine must still load.
  const threads = threadsProblem(parsed.data.threads)
  if (threads) {
    const line = locate(['threads'])
    throw new Error(`invalid config ${path}:\n  ${path}${line ? `:${line}` : ''}: threads: ${threads}`)
  }
  const hash = sha256Hex(canonicalJson(parsed.data))
  return deepFreeze({ ...parsed.data, hash, source: path })
}

export function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? mergeDeep(b as Record<string, unknown>, v as Record<string, unknown>)
        : v
  }
  return out
}
