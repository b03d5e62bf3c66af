/** Median pruning: past the warm-up steps, a trial worse than the median of completed trials at the same step stops. */
import { z } from 'zod'
import { valuesByStep, type PrunerEntry, type Thresholds } from './pruner.js'

export const medianPrunerSchema = z
  .object({
    kind: z.literal('median'),
    /** Steps (rounds, epochs) of each curve never pruned at: early values say little. */
    warmup_steps: z.number().int().min(0).default(5),
    /** Completed trials needed before any trial is pruned. */
    startup_trials: z.number().int().min(1).default(5),
  })
  .strict()

export type MedianParams = z.infer<typeof medianPrunerSchema>

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export function medianThresholds(history: Parameters<PrunerEntry['thresholds']>[0], params: MedianParams): Thresholds {
  const complete = history.filter((t) => t.status === 'complete')
  if (complete.length < params.startup_trials) return {}
  const out: Record<string, Record<number, number>> = {}
  for (const [curve, steps] of valuesByStep(complete)) {
    const bars: Record<number, number> = {}
    for (const [step, values] of steps) if (step > params.warmup_steps) bars[step] = median(values)
    out[curve] = bars
  }
  return out
}

export const medianEntry: PrunerEntry<MedianParams> = {
  kind: 'median',
  params: medianPrunerSchema,
  thresholds: medianThresholds,
}
