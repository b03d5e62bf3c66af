/** The pruners a sweep can use, keyed by `pruner.kind`. Adding one: one file, one line here. */
import { medianEntry } from './median.js'
import type { PrunerEntry, Thresholds, TrialHistory } from './pruner.js'
import { successiveHalvingEntry } from './successive-halving.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly PrunerEntry<any>[] = [medianEntry, successiveHalvingEntry]

export const prunerRegistry: ReadonlyMap<string, PrunerEntry> = new Map(entries.map((e) => [e.kind, e as PrunerEntry]))

export function pruningThresholds(config: { kind: string }, history: readonly TrialHistory[]): Thresholds {
  const entry = prunerRegistry.get(config.kind)
  if (!entry) throw new Error(`pruner.kind: no pruner "${config.kind}"`)
  return entry.thresholds(history, config)
}
