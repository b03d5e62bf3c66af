/**
 * "Did you mean" for unknown keys, wherever a strict object of a config sits: the top level, a section, a model's
 * or a combiner's or a policy's params. Zod raises `unrecognized_keys` in the object schema itself, whose shape
 * (the keys it knows) is at hand there, so the hint is written into the issue's message at that point, through
 * zod's error map. It reaches the messages of params parsed inside a transform (a registry entry's own schema) too,
 * which are re-raised under their config path with the inner message.
 */
import { z } from 'zod'
import { didYouMean } from '../core/suggest.js'

interface RawIssue {
  readonly code?: string
  readonly keys?: readonly string[]
  readonly inst?: unknown
}

/** The keys an object schema knows, or null when `inst` is not an object schema. */
function knownKeys(inst: unknown): string[] | null {
  const shape = (inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape
  return shape && typeof shape === 'object' ? Object.keys(shape) : null
}

/**
 * The message of an `unrecognized_keys` issue with a hint for each key close to a known one (zod's own words
 * otherwise): `Unrecognized key: "seeed"; did you mean "seed"?`. Undefined for every other issue, or when no key
 * has a hint, so zod's default message stands.
 */
export function unknownKeyMessage(issue: RawIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys' || !issue.keys?.length) return undefined
  const known = knownKeys(issue.inst)
  if (!known) return undefined
  const keys = issue.keys
  const hints = keys.map((k) => didYouMean(k, known)).filter((h) => h !== '')
  if (hints.length === 0) return undefined
  const list = keys.map((k) => JSON.stringify(k)).join(', ')
  const said =
    keys.length === 1
      ? hints[0]
      : keys
          .map((k) => {
            const h = didYouMean(k, known)
            return h && `${h.slice(0, -1)} (for ${JSON.stringify(k)})?`
          })
          .filter(Boolean)
          .join('; ')
  return `Unrecognized key${keys.length > 1 ? 's' : ''}: ${list}; ${said}`
}

let installed = false

/** Installs the hint in zod's error map for this process (once; other issues keep zod's messages). */
export function installKeyHints(): void {
  if (installed) return
  installed = true
  const previous = z.config().customError
  z.config({ customError: (issue) => unknownKeyMessage(issue as RawIssue) ?? previous?.(issue) })
}
