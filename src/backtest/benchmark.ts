import type { Bars } from '../data/bars.js'
import type { BacktestConfig } from './engine.js'

/**
 * What the strategy is measured against: buy-and-hold over the same bars, and the strategy itself without costs.
 */

/** Buy-and-hold equity at the close of each bar of [start, end), before and after costs (both start from 1). */
export interface BuyAndHold {
  readonly gross: Float64Array
  readonly net: Float64Array
}

/**
 * One unit of capital bought at the close of bar `start` (where the strategy's first decision is made) and marked
 * at each close; after costs it is bought as a taker fill at that close (slippage and the taker fee, as the engine's
 * fills pay them) and sold the same way at the last close, so its last point is the cash left.
 */
export function buyAndHold(bars: Bars, start: number, end: number, config: BacktestConfig): BuyAndHold {
  const m = Math.max(0, end - start)
  const gross = new Float64Array(m)
  const net = new Float64Array(m)
  if (m === 0) return { gross, net }
  const fee = config.fees * 1e-4
  const slip = config.slippage * 1e-4
  const first = bars.close[start]
  // Cash 1 pays units x price plus the fee on that notional.
  const units = 1 / (first * (1 + slip) * (1 + fee))
  for (let i = 0; i < m; i++) {
    const close = bars.close[start + i]
    gross[i] = close / first
    net[i] = units * close
  }
  net[m - 1] = units * bars.close[end - 1] * (1 - slip) * (1 - fee)
  return { gross, net }
}
