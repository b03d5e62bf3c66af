/**
 * Successive halving, asynchronous form: rungs at min_steps * eta^k steps; at a rung a trial goes on only if its
 * value is among the best 1/eta of the values earlier trials (completed or pruned) had there. A rung with fewer
 * than eta values prunes nothing.
 */
import { z } from 'zod'
import { valuesByStep, type PrunerEntry, type Thresholds } from './pruner.js'

export const successiveHalvingSchema = z
  .object({
    kind: z.literal('successive_halving'),
    /** The first rung's step (rounds or epochs). */
    min_steps: z.number().int().min(1).default(1),
    /** Reduction factor: 1/eta of the trials go on at each rung. */
    eta: z.number().int().min(2).default(3),
  })
  .strict()

export type SuccessiveHalvingParams = z.infer<typeof successiveHalvingSchema>

export function isRung(step: number, params: SuccessiveHalvingParams): boolean {
  for (let r = params.min_steps; r <= step; r *= params.eta) if (r === step) return true
  return false
}

export function successiveHalvingThresholds(
  history: Parameters<PrunerEntry['thresholds']>[0],
  params: SuccessiveHalvingParams,
): Thresholds {
  const out: Record<string, Record<number, number>> = {}
  for (const [curve, steps] of valuesByStep(history.filter((t) => t.status !== 'failed'))) {
    const bars: Record<number, number> = {}
    for (const [step, values] of steps) {
      if (!isRung(step, params) || values.length < params.eta) continue
      const sorted = [...values].sort((a, b) => a - b)
      bars[step] = sorted[Math.ceil(values.length / params.eta) - 1]
    }
    out[curve] = bars
  }
  return out
}

export const successiveHalvingEntry: PrunerEntry<SuccessiveHalvingParams> = {
  kind: 'successive_halving',
  params: successiveHalvingSchema,
  thresholds: successiveHalvingThresholds,
}
