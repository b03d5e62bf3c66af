/**
 * `vol_target`: trade the side with an edge after costs (the p head's probabilities over the triple-barrier payoffs,
 * as kelly reads them) at the size that makes the position's volatility the target: target / realized, capped. The
 * realized volatility is the standard deviation of the last `lookback` one-bar log returns up to the decision bar,
 * annualised by the bars per calendar day those returns span (x 365), so a 24/7 market and exchange hours are each
 * scaled by their own calendar. A row with fewer than `lookback` returns behind it takes no position.
 */
import { z } from 'zod'
import { logReturnStd } from '../labels/volatility.js'
import type { MarketState, PolicyEntry, PolicyInputs } from './contract.js'
import { barrierPayoffs, sideWithEdge } from './sizing/barrier-payoffs.js'
import { capParam, minEdgeParam, shortParam } from './sizing/params.js'

const DAY_MS = 86_400_000

export const volTargetPolicySchema = z
  .object({
    kind: z.literal('vol_target'),
    target: z
      .number()
      .gt(0)
      .lte(5)
      .default(0.2)
      .describe('Target annualised volatility of the position (0.2: 20% a year)'),
    lookback: z
      .number()
      .int()
      .min(2)
      .max(1_000_000)
      .default(1440)
      .describe('Past one-bar returns the realized volatility is measured on (up to the decision bar)'),
    cap: capParam,
    min_edge: minEdgeParam,
    short: shortParam,
  })
  .strict()

export type VolTargetPolicy = z.infer<typeof volTargetPolicySchema>

/** Annualised volatility of the `lookback` one-bar log returns ending at `bar`; NaN with fewer returns behind it. */
export function realizedVolatility(market: MarketState, bar: number, lookback: number): number {
  if (bar < lookback) return NaN
  const { close, ts } = market.bars
  const days = (ts[bar] - ts[bar - lookback]) / DAY_MS
  if (!(days > 0)) return NaN
  return logReturnStd(close, bar, lookback) * Math.sqrt((lookback / days) * 365)
}

export function volTargetPositions(inputs: PolicyInputs, market: MarketState, params: VolTargetPolicy): Float64Array {
  const out = new Float64Array(inputs.n)
  const payoffs = new Float64Array(6)
  const minEdge = params.min_edge * 1e-4
  for (let i = 0; i < inputs.n; i++) {
    if (!barrierPayoffs(market, i, payoffs)) continue
    const side = sideWithEdge(inputs.p, i, payoffs, minEdge)
    if (side === 0 || (side === -1 && !params.short)) continue
    const vol = realizedVolatility(market, market.rows[i], params.lookback)
    if (Number.isNaN(vol)) continue
    // Flat prices over the lookback: no measured risk, so the cap bounds the size.
    out[i] = side * (vol > 0 ? Math.min(params.cap, params.target / vol) : params.cap)
  }
  return out
}

export const volTargetEntry: PolicyEntry<VolTargetPolicy> = {
  kind: 'vol_target',
  params: volTargetPolicySchema,
  needs: () => ['p'],
  decide: volTargetPositions,
}
