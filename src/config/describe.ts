/**
 * What a registry entry's parameters are, read from its zod schema: for each parameter a one-line meaning (the
 * schema's `.describe()` text), its type, its range or choices, and its default. `mlf models --params` prints them.
 *
 * The schema is read through zod's own JSON Schema export on its input side (what a config may write), which covers
 * every zod type the param schemas use: numbers and ints with bounds, booleans, strings, enums, literals, arrays,
 * unions, records and nested objects, behind optional, default, prefault, nullable, readonly, and transform or pipe
 * wrappers (a transform's input schema is what is described). Nested objects are listed as dotted parameters.
 */
import { z } from 'zod'

export interface ParamInfo {
  /** Dotted path within the params (`oof.n_folds` for a nested object). */
  readonly name: string
  /** `int`, `number`, `boolean`, `string`, `one of a | b`, `list of number`, `a | b`, `object`, `map`, `any`. */
  readonly type: string
  /** The accepted values beyond the type: `[1, 100000]`, `(0, 1]`, `>= 0`, `at least 1 item`; '' when unbounded. */
  readonly range: string
  /** Whether a config may leave it out: it then takes `default`, or stays unset when there is none. */
  readonly required: boolean
  /** The default, when there is one. */
  readonly default?: unknown
  /** The meaning, one line ('' when the schema has no description). */
  readonly description: string
}

/** The part of a JSON Schema node read here. */
interface Node {
  type?: string | string[]
  description?: string
  default?: unknown
  const?: unknown
  enum?: unknown[]
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  items?: Node
  prefixItems?: Node[]
  anyOf?: Node[]
  oneOf?: Node[]
  allOf?: Node[]
  properties?: Record<string, Node>
  required?: string[]
  additionalProperties?: Node | boolean
}

/** ±(2^53 - 1): the bounds zod puts on every int, which are no range a person sets. */
const SAFE = Number.MAX_SAFE_INTEGER

const fmt = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

function numberRange(n: Node): string {
  const lo =
    n.exclusiveMinimum !== undefined
      ? { v: n.exclusiveMinimum, open: true }
      : n.minimum !== undefined && n.minimum > -SAFE
        ? { v: n.minimum, open: false }
        : null
  const hi =
    n.exclusiveMaximum !== undefined
      ? { v: n.exclusiveMaximum, open: true }
      : n.maximum !== undefined && n.maximum < SAFE
        ? { v: n.maximum, open: false }
        : null
  if (lo && hi) return `${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`
  if (lo) return `${lo.open ? '>' : '>='} ${lo.v}`
  if (hi) return `${hi.open ? '<' : '<='} ${hi.v}`
  return ''
}

function countRange(min: number | undefined, max: number | undefined, unit: string): string {
  const s = (k: number) => `${k} ${unit}${k === 1 ? '' : 's'}`
  if (min !== undefined && max !== undefined) return min === max ? `exactly ${s(min)}` : `${min} to ${s(max)}`
  if (min !== undefined && min > 0) return `at least ${s(min)}`
  if (max !== undefined) return `at most ${s(max)}`
  return ''
}

/** The options of a union, without the `null` of a nullable (said as `or null`). */
function alternatives(n: Node): Node[] | null {
  return n.anyOf ?? n.oneOf ?? null
}

/** Type and range of one node. */
function typeOf(n: Node): { type: string; range: string } {
  const alts = alternatives(n)
  if (alts) {
    const nonNull = alts.filter((a) => a.type !== 'null')
    const parts = nonNull.map((a) => {
      const t = typeOf(a)
      return t.range ? `${t.type} ${t.range}` : t.type
    })
    const nullable = nonNull.length < alts.length ? ' or null' : ''
    return { type: `${parts.join(' | ')}${nullable}`, range: '' }
  }
  if (n.allOf && n.allOf.length === 1) return typeOf(n.allOf[0])
  if (n.const !== undefined) return { type: `the value ${fmt(n.const)}`, range: '' }
  if (n.enum) return { type: `one of ${n.enum.map(fmt).join(' | ')}`, range: '' }
  const type = Array.isArray(n.type) ? n.type.filter((t) => t !== 'null') : n.type
  const nullable = Array.isArray(n.type) && n.type.includes('null') ? ' or null' : ''
  const t = Array.isArray(type) ? type.join(' | ') : type
  switch (t) {
    case 'integer':
      return { type: `int${nullable}`, range: numberRange(n) }
    case 'number':
      return { type: `number${nullable}`, range: numberRange(n) }
    case 'boolean':
      return { type: `boolean${nullable}`, range: '' }
    case 'string':
      return { type: `string${nullable}`, range: countRange(n.minLength, n.maxLength, 'character') }
    case 'array': {
      if (n.prefixItems) return { type: `[${n.prefixItems.map((p) => typeOf(p).type).join(', ')}]`, range: '' }
      const item = n.items ? typeOf(n.items) : { type: 'any', range: '' }
      return {
        type: `list of ${item.range ? `${item.type} ${item.range}` : item.type}${nullable}`,
        range: countRange(n.minItems, n.maxItems, 'item'),
      }
    }
    case 'object':
      return n.properties ? { type: `object${nullable}`, range: '' } : { type: `map${nullable}`, range: '' }
    default:
      return { type: t ?? 'any', range: '' }
  }
}

/** Nested object parameters (not maps, not unions) are listed field by field after the object itself. */
function walk(node: Node, prefix: string, out: ParamInfo[]): void {
  const required = new Set(node.required ?? [])
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const name = prefix ? `${prefix}.${key}` : key
    const { type, range } = typeOf(child)
    out.push({
      name,
      type,
      range,
      required: required.has(key) && child.default === undefined,
      ...(child.default !== undefined ? { default: child.default } : {}),
      description: (child.description ?? '').replace(/\s+/g, ' ').trim(),
    })
    if (child.properties && !alternatives(child)) walk(child, name, out)
  }
}

/** A schema whose input side is a preprocess step is described by the schema it feeds (what it validates). */
function inputSchema(schema: z.ZodType): z.ZodType {
  const def = (schema as unknown as { _zod: { def: { type: string; in?: z.ZodType; out?: z.ZodType } } })._zod.def
  if (def.type === 'pipe' && def.in && def.out) {
    const inner = (def.in as unknown as { _zod: { def: { type: string } } })._zod.def
    return inner.type === 'transform' ? inputSchema(def.out) : inputSchema(def.in)
  }
  return schema
}

/** Every parameter of an object schema (behind any wrappers), in the schema's order; [] when it has none. */
export function describeParams(schema: z.ZodType): ParamInfo[] {
  const json = z.toJSONSchema(inputSchema(schema), { io: 'input', unrepresentable: 'any' }) as Node
  const out: ParamInfo[] = []
  walk(json, '', out)
  return out
}

/** One parameter as a line: `name  type range  default X  meaning`, columns padded to the given widths. */
export function formatParam(p: ParamInfo, widths: { name: number; type: number } = { name: 0, type: 0 }): string {
  const type = p.range ? `${p.type} ${p.range}` : p.type
  const given = p.default !== undefined ? `default ${fmt(p.default)}` : p.required ? 'required' : 'optional'
  return `${p.name.padEnd(widths.name)}  ${type.padEnd(widths.type)}  ${given}${p.description ? `; ${p.description}` : ''}`
}

/** The lines of a parameter table, aligned. */
export function formatParams(params: readonly ParamInfo[], indent = '    '): string[] {
  const widths = {
    name: Math.max(0, ...params.map((p) => p.name.length)),
    type: Math.min(36, Math.max(0, ...params.map((p) => (p.range ? `${p.type} ${p.range}` : p.type).length))),
  }
  return params.map((p) => `${indent}${formatParam(p, widths)}`.trimEnd())
}
