/**
 * The taker fill arithmetic the backtest engine pays and the RL environment charges, in one place: a fill crossing
 * at a raw price pays the slippage on that price (buying higher, selling lower) and the fee on its notional at the
 * slipped price.
 */

/** The price a taker fill pays: `raw` moved against the order by `slip` (a fraction of price); dir +1 buys, -1 sells. */
export function takerPrice(raw: number, dir: number, slip: number): number {
  return raw * (1 + dir * slip)
}

/**
 * What a taker fill of one unit of notional (at its raw price) costs, as a share of that notional: the slippage and
 * the fee on the slipped price. dir +1 buys, -1 sells.
 */
export function takerCostShare(dir: number, feeRate: number, slip: number): number {
  const price = takerPrice(1, dir, slip)
  return Math.abs(price - 1) + feeRate * price
}
