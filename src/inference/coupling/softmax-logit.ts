import { z } from 'zod'
import { softmaxRows } from '../../models/tabular/linear/classifier.js'
import {
  checkBracketRows,
  clippedLogit,
  minimiseOnLogScale,
  multiclassLogLoss,
  normaliseRows,
  outcomeIndices,
} from './groups.js'

/**
 * Softmax-of-logits coupling: q_k = softmax_k(logit(p_k) / tau) over the K bracket probabilities of a group.
 *
 * exp(logit p) is the odds p / (1 - p), so at tau = 1 each outcome gets mass in proportion to its odds: a bracket the
 * model calls near-certain dominates more than plain renormalisation would give it. tau > 1 flattens the distribution
 * towards uniform (the bracket models are overconfident), tau < 1 sharpens it. The logit is increasing, so at any tau
 * the order of q within a group is the order of p.
 *
 * Monotone in tau, precisely: for a group whose logits are not all equal, the entropy of q strictly increases with tau
 * and the largest q_k strictly decreases (tau -> 0 puts all mass on the largest p, tau -> infinity gives 1/K each).
 */
export interface SoftmaxLogitState {
  readonly method: 'softmax_logit'
  readonly classes: number
  readonly tau: number
}

/** tau is searched on [e^-LOG_TAU_RANGE, e^LOG_TAU_RANGE] = [0.018, 54.6]; a temperature outside is not a fit's. */
export const LOG_TAU_RANGE = 4

const finiteTau = z
  .number()
  .refine(
    (t) => Number.isFinite(t) && t > 0 && Math.abs(Math.log(t)) <= LOG_TAU_RANGE + 1e-9,
    `a temperature in [e^-${LOG_TAU_RANGE}, e^${LOG_TAU_RANGE}]`,
  )

/** Parameters: a fixed tau, or 'auto' to tune it on dev groups with known outcomes. */
export const softmaxLogitParamsSchema = z
  .object({
    tau: z
      .union([z.literal('auto'), finiteTau])
      .default(1)
      .describe('temperature dividing the logits, or auto: minimise multiclass log-loss on dev groups'),
  })
  .strict()

export const softmaxLogitStateSchema = z
  .object({ method: z.literal('softmax_logit'), classes: z.number().int().min(2), tau: finiteTau })
  .strict()

/** Coupled (n, k) distributions of bracket probabilities `p` (n, k) at temperature `tau`. */
export function coupleSoftmaxLogit(p: Float64Array, k: number, tau: number): Float64Array {
  checkBracketRows(p, k, 'softmax_logit')
  if (!(tau > 0 && Number.isFinite(tau))) throw new Error(`softmax_logit: tau must be positive and finite, got ${tau}`)
  const z = Float64Array.from(p, (v) => clippedLogit(v) / tau)
  softmaxRows(z, k)
  return normaliseRows(z, k, 'softmax_logit')
}

/**
 * The tau minimising mean multiclass log-loss of the coupled dev groups `p` (n, k) against their outcome indices
 * `y`. With b = 1 / tau the loss is a softmax regression's negative log-likelihood in the single weight b, convex in
 * b, so it has one minimum in ln tau; the search (minimiseOnLogScale) is deterministic. A dev set whose best tau lies
 * outside the range gets the nearest end.
 */
export function tuneTau(p: Float64Array, y: ArrayLike<number>, k: number): number {
  const n = checkBracketRows(p, k, 'softmax_logit')
  if (n === 0) throw new Error('softmax_logit: tau auto needs dev groups with known outcomes, and there are none')
  const labels = outcomeIndices(y, n, k, 'softmax_logit')
  const logits = Float64Array.from(p, clippedLogit)
  const z = new Float64Array(p.length)
  const loss = (tau: number) => {
    for (let i = 0; i < z.length; i++) z[i] = logits[i] / tau
    softmaxRows(z, k)
    return multiclassLogLoss(z, labels, k)
  }
  return minimiseOnLogScale(loss, { lo: -LOG_TAU_RANGE, hi: LOG_TAU_RANGE })
}

/** Fit (tune tau when asked) on dev groups; `y` may be empty when tau is fixed. */
export function fitSoftmaxLogit(
  params: z.input<typeof softmaxLogitParamsSchema>,
  p: Float64Array,
  y: ArrayLike<number>,
  k: number,
): SoftmaxLogitState {
  const { tau } = softmaxLogitParamsSchema.parse(params)
  return { method: 'softmax_logit', classes: k, tau: tau === 'auto' ? tuneTau(p, y, k) : tau }
}
