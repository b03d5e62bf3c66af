import { z } from 'zod'
import { checkBracketRows, minimiseOnLogScale, multiclassLogLoss, normaliseRows, outcomeIndices } from './groups.js'

/**
 * Dirichlet-regularised renormalisation. The K bracket probabilities of a group are read as fractional counts of one
 * observed outcome: if the bracket models were coherent they would sum to 1, one event shared among the outcomes.
 * With a symmetric Dirichlet prior of total concentration alpha (alpha / K on each outcome), the posterior mean is
 *
 *   q_k = (p_k + alpha / K) / (S + alpha),   S = sum_k p_k
 *
 * alpha is measured in events: alpha = 1 weighs the prior like one observed outcome. alpha -> 0 is plain
 * renormalisation p / S; alpha -> infinity is uniform. Unlike a fixed blend with the uniform distribution, the pull
 * towards uniform is weaker for a group whose models claim much mass (large S) and stronger for one whose models all
 * say "not me" (small S: little evidence). Scaling the counts to a pseudo-sample of m events only rescales alpha
 * (alpha / m is all that matters), so m = 1. The order of q within a group is the order of p.
 */
export interface DirichletCouplingState {
  readonly method: 'dirichlet'
  readonly classes: number
  readonly alpha: number
}

/** alpha is searched on [e^ALPHA_LOG_LO, e^ALPHA_LOG_HI] = [1e-6, 1000] events (1e-6 is renormalisation in all but name). */
export const ALPHA_LOG_LO = Math.log(1e-6)
export const ALPHA_LOG_HI = Math.log(1000)

const alphaValue = z
  .number()
  .refine((a) => Number.isFinite(a) && a >= 0 && a <= 1e6, 'a concentration in [0, 1e6] (0: plain renormalisation)')

export const dirichletCouplingParamsSchema = z
  .object({
    alpha: z
      .union([z.literal('auto'), alphaValue])
      .default(1)
      .describe('prior concentration in events (alpha/K per outcome), or auto: minimise log-loss on dev groups'),
  })
  .strict()

export const dirichletCouplingStateSchema = z
  .object({ method: z.literal('dirichlet'), classes: z.number().int().min(2), alpha: alphaValue })
  .strict()

/** Coupled (n, k) distributions of bracket probabilities `p` (n, k) with prior concentration `alpha`. */
export function coupleDirichlet(p: Float64Array, k: number, alpha: number): Float64Array {
  checkBracketRows(p, k, 'dirichlet')
  if (!(alpha >= 0 && Number.isFinite(alpha))) throw new Error(`dirichlet: alpha must be >= 0 and finite, got ${alpha}`)
  // Keep every count positive so that an all-zero group at alpha = 0 is uniform rather than 0 / 0.
  const prior = Math.max(alpha / k, Number.MIN_VALUE)
  return normaliseRows(
    Float64Array.from(p, (v) => v + prior),
    k,
    'dirichlet',
  )
}

/**
 * The alpha minimising mean multiclass log-loss on dev groups `p` (n, k) with outcome indices `y`. Each group's loss
 * is monotone in alpha (rising or falling as K p_y exceeds S or not), so their mean need not be unimodal: the search
 * scans a grid before refining (minimiseOnLogScale).
 */
export function tuneAlpha(p: Float64Array, y: ArrayLike<number>, k: number): number {
  const n = checkBracketRows(p, k, 'dirichlet')
  if (n === 0) throw new Error('dirichlet: alpha auto needs dev groups with known outcomes, and there are none')
  const labels = outcomeIndices(y, n, k, 'dirichlet')
  return minimiseOnLogScale((alpha) => multiclassLogLoss(coupleDirichlet(p, k, alpha), labels, k), {
    lo: ALPHA_LOG_LO,
    hi: ALPHA_LOG_HI,
  })
}

export function fitDirichletCoupling(
  params: z.input<typeof dirichletCouplingParamsSchema>,
  p: Float64Array,
  y: ArrayLike<number>,
  k: number,
): DirichletCouplingState {
  const { alpha } = dirichletCouplingParamsSchema.parse(params)
  return { method: 'dirichlet', classes: k, alpha: alpha === 'auto' ? tuneAlpha(p, y, k) : alpha }
}
