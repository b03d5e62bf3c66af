/**
 * `quantile`: size from the E_r head and its conformal interval [q_lo, q_hi] (a method on E_r in inference.uncertainty). The
 * interval's width at its coverage gives the forecast's spread as a normal standard deviation,
 * sigma = (q_hi - q_lo) / (2 z), z the normal quantile of (1 + coverage) / 2, and the position is the Kelly fraction
 * of the growth-optimal size for a normal return, edge / sigma^2, where the edge is |E_r| less the round-trip cost,
 * in the direction of E_r. With straddle: flat, no position while the interval holds zero (q_lo < 0 < q_hi).
 */
import { z } from 'zod'
import { normalQuantile } from '../validation/normal.js'
import type { MarketState, PolicyEntry, PolicyInputs } from './contract.js'
import { capParam, kellyFractionParam, minEdgeParam, shortParam } from './sizing/params.js'

export const quantilePolicySchema = z
  .object({
    kind: z.literal('quantile'),
    fraction: kellyFractionParam('the growth-optimal size edge / sigma^2'),
    cap: capParam,
    min_edge: minEdgeParam,
    straddle: z
      .enum(['flat', 'trade'])
      .default('flat')
      .describe('flat: no position while the interval [q_lo, q_hi] holds zero; trade: size by the edge regardless'),
    short: shortParam,
  })
  .strict()

export type QuantilePolicy = z.infer<typeof quantilePolicySchema>

export function quantilePositions(inputs: PolicyInputs, market: MarketState, params: QuantilePolicy): Float64Array {
  const { E_r, q_lo, q_hi, intervalCoverage } = inputs
  if (!E_r || !q_lo || !q_hi || intervalCoverage === undefined)
    throw new Error('policy quantile: the chain gave no E_r with a conformal interval (q_lo, q_hi and its coverage)')
  const z = normalQuantile((1 + intervalCoverage) / 2)
  const minEdge = params.min_edge * 1e-4
  const out = new Float64Array(inputs.n)
  for (let i = 0; i < inputs.n; i++) {
    const side = E_r[i] > 0 ? 1 : E_r[i] < 0 ? -1 : 0
    const edge = Math.abs(E_r[i]) - market.roundTrip
    if (side === 0 || (side === -1 && !params.short) || !(edge > 0) || edge < minEdge) continue
    if (params.straddle === 'flat' && q_lo[i] < 0 && q_hi[i] > 0) continue
    const sigma = (q_hi[i] - q_lo[i]) / (2 * z)
    // An unbounded interval says nothing; a zero-width one is certain, bounded by the cap.
    if (!Number.isFinite(sigma)) continue
    out[i] = side * (sigma > 0 ? Math.min(params.cap, (params.fraction * edge) / (sigma * sigma)) : params.cap)
  }
  return out
}

export const quantileEntry: PolicyEntry<QuantilePolicy> = {
  kind: 'quantile',
  params: quantilePolicySchema,
  needs: () => ['E_r', 'q_lo/q_hi'],
  decide: quantilePositions,
}
