/**
 * What a trade opened at a decision row returns under each triple-barrier outcome, per unit of position and net of
 * the round-trip cost: the payoffs the labels' barriers imply (docs/label-timing.md). With v the row's volatility as
 * a return and c the label cost folded into the barriers, the upper barrier lies U = kUp v + c above the entry and
 * the lower one D = kDown v + c below it. A long makes U at the upper barrier and loses D at the lower one; a short
 * the reverse; the vertical barrier (flat label) returns about nothing. The round-trip cost is paid on every outcome.
 */
import type { MarketState } from '../contract.js'

/** Outcome order, as in the p head: down, flat, up. */
export const OUTCOMES = 3

/**
 * Writes the long's net returns (down, flat, up) to out[0..2] and the short's to out[3..5] for decision row `i`;
 * false (and nothing written) when the row's volatility is unknown (the estimator's warm-up) or not positive.
 */
export function barrierPayoffs(market: MarketState, i: number, out: Float64Array): boolean {
  const bar = market.rows[i]
  const price = market.bars.close[bar]
  const v = market.vol[bar] / price
  if (!(v > 0) || !Number.isFinite(v)) return false
  const { kUp, kDown, costPrice, costBps } = market.barriers
  const c = costBps * 1e-4 + costPrice / price
  const up = kUp * v + c
  const down = kDown * v + c
  const rt = market.roundTrip
  out[0] = -down - rt
  out[1] = -rt
  out[2] = up - rt
  out[3] = down - rt
  out[4] = -rt
  out[5] = -up - rt
  return true
}

/** Expected net return per unit of position: sum_k p_k r_k over the three outcomes. */
export function expectedReturn(p: ArrayLike<number>, pAt: number, r: ArrayLike<number>, rAt: number): number {
  return p[pAt] * r[rAt] + p[pAt + 1] * r[rAt + 1] + p[pAt + 2] * r[rAt + 2]
}

/**
 * The side with the larger expected net return, if that return is positive and at least `minEdge`: +1 long, -1
 * short, 0 neither. (At most one side can have a positive edge: the two edges sum to at most minus twice the
 * round-trip cost.) `p` row-major (n, 3), `payoffs` as barrierPayoffs writes them.
 */
export function sideWithEdge(p: Float64Array, i: number, payoffs: Float64Array, minEdge: number): 1 | -1 | 0 {
  const long = expectedReturn(p, 3 * i, payoffs, 0)
  const short = expectedReturn(p, 3 * i, payoffs, 3)
  const best = Math.max(long, short)
  if (!(best > 0) || best < minEdge) return 0
  return long >= short ? 1 : -1
}
