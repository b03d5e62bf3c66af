import { join } from 'node:path'
import { z } from 'zod'
import { readJson } from '../models/persist.js'
import { blendingEntry } from './blending.js'
import { COMBINER_FILE, zodIssues, type Combiner, type CombinerEntry } from './combiner.js'
import { stackingEntry } from './stacking.js'
import { didYouMean } from '../core/suggest.js'
import { votingCombinerEntry } from './voting-combiner.js'

// Adding a combiner: one file, one line here. (Entries' params types differ; the registry erases them, and
// parseCombinerConfig hands back params validated by the entry's own schema.)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly CombinerEntry<any>[] = [votingCombinerEntry, stackingEntry, blendingEntry]

export const combinerRegistry: ReadonlyMap<string, CombinerEntry> = new Map(
  entries.map((e) => [e.name, e as CombinerEntry]),
)

/**
 * Validate an `ensemble` config section ({ method, ...params }) with its combiner's schema; errors name the config
 * path of every bad field. Returns the entry and the params with defaults filled in.
 */
export function parseCombinerConfig(raw: unknown, path = 'ensemble'): { entry: CombinerEntry; params: unknown } {
  const method = (raw as { method?: unknown } | null)?.method
  const entry = typeof method === 'string' ? combinerRegistry.get(method) : undefined
  if (!entry) {
    const known = [...combinerRegistry.keys()].join(', ')
    throw new Error(
      `${path}.method: unknown combiner ${JSON.stringify(method)}; ${typeof method === 'string' ? didYouMean(method, combinerRegistry.keys(), ' ') : ''}available: ${known}`,
    )
  }
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
