import { join } from 'node:path'
import { z } from 'zod'
import { readJson } from '../models/persist.js'
import { blendingEntry } from './blending.js'
import { COMBINER_FILE, zodIssues, type Combiner, type CombinerEntry } from './combiner.js'
import { stackingEntry } from './stacking.js'
import { didYouMean } from '../core/suggest.js'
import { votingCombinerEntry } from './voting-combiner.js'
import { GATING } from './gates/gate.js'
import { hmmGateEntry } from './gates/hmm-gate.js'
import { markovSwitchingGateEntry } from './gates/markov-switching-gate.js'
import { banditGateEntry } from './gates/bandit-gate.js'
import { softmaxGateEntry } from './gates/softmax-gate.js'

// Adding a combiner (or a gate, in gates/): one file, one line here. (Entries' params types differ; the registry erases them, and
// parseCombinerConfig hands back params validated by the entry's own schema.)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly CombinerEntry<any>[] = [
  votingCombinerEntry,
  stackingEntry,
  blendingEntry,
  hmmGateEntry,
  markovSwitchingGateEntry,
  banditGateEntry,
  softmaxGateEntry,
]

export const combinerRegistry: ReadonlyMap<string, CombinerEntry> = new Map(
  entries.map((e) => [e.name, e as CombinerEntry]),
)

/** The gates (named by `gate` under `method: gating`), and the methods an `ensemble` section may name. */
export const gateNames = (): string[] => [...combinerRegistry.values()].filter((e) => e.gate).map((e) => e.name)
export const combinerMethods = (): string[] => [
  ...[...combinerRegistry.values()].filter((e) => !e.gate).map((e) => e.name),
  GATING,
]

/**
 * The entry an `ensemble` section names: its `method`, or under `method: gating` its `gate`. Otherwise the field at
 * fault (relative to the section) and why, with the closest known name.
 */
export function combinerEntryOf(raw: unknown): { entry: CombinerEntry } | { field: string; message: string } {
  const section = raw as { method?: unknown; gate?: unknown } | null
  const method = section?.method
  if (method === GATING) {
    const gate = section?.gate
    const entry = typeof gate === 'string' ? combinerRegistry.get(gate) : undefined
    if (entry?.gate) return { entry }
    const hint = typeof gate === 'string' ? didYouMean(gate, gateNames(), ' ') : ''
    return { field: 'gate', message: `unknown gate ${JSON.stringify(gate)}; ${hint}gates: ${gateNames().join(', ')}` }
  }
  const entry = typeof method === 'string' ? combinerRegistry.get(method) : undefined
  if (entry?.gate) return { field: 'method', message: `${method} is a gate: write method: ${GATING}, gate: ${method}` }
  if (entry) return { entry }
  const hint = typeof method === 'string' ? didYouMean(method, combinerMethods(), ' ') : ''
  return {
    field: 'method',
    message: `unknown combiner ${JSON.stringify(method)}; ${hint}available: ${combinerMethods().join(', ')}`,
  }
}

/** The registry name of the combiner a validated `ensemble` section names: its method, or under gating its gate. */
export function combinerName(params: { readonly method: string; readonly gate?: string }): string {
  return params.method === GATING && params.gate ? params.gate : params.method
}

/**
 * Validate an `ensemble` config section ({ method, ...params }) with its combiner's schema; errors name the config
 * path of every bad field. Returns the entry and the params with defaults filled in.
 */
export function parseCombinerConfig(raw: unknown, path = 'ensemble'): { entry: CombinerEntry; params: unknown } {
  const found = combinerEntryOf(raw)
  if (!('entry' in found)) throw new Error(`${path}.${found.field}: ${found.message}`)
  const { entry } = found
  const method = entry.gate ? `${GATING} ${entry.name}` : entry.name
  const parsed = entry.params.safeParse(raw)
  if (!parsed.success) throw new Error(`invalid ${method} ensemble:\n  ${zodIssues(parsed.error, path)}`)
  return { entry, params: Object.freeze(parsed.data) }
}

/** Load a saved combiner through the entry its combiner.json names. */
export async function loadCombiner(dir: string): Promise<Combiner> {
  const { method } = await readJson(dir, COMBINER_FILE, z.object({ method: z.string() }))
  const entry = combinerRegistry.get(method)
  if (!entry) throw new Error(`${join(dir, COMBINER_FILE)}: unknown combiner method "${method}"`)
  return entry.load(dir)
}
