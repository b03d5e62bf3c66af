import type { Bars } from '../data/bars.js'

/**
 * Causal volatility estimators for label barriers, in price units, one value per bar, NaN during warm-up.
 * The value at bar t uses bars 0..t only (a test perturbs later bars and checks nothing at or before t moves).
 * (The feature engineer's streaming ATR kernel will replace `atr` here once it lands; the lead de-duplicates.)
 */

/** Wilder's average true range: seeded with the mean of the first `window` true ranges, then smoothed. */
export function atr(bars: Bars, window: number): Float64Array {
  checkWindow(window, bars.length)
  const { high, low, close } = bars
  const out = new Float64Array(bars.length).fill(NaN)
  let seed = 0
  let prev = NaN
  for (let i = 0; i < bars.length; i++) {
    const range = high[i] - low[i]
    const tr = i === 0 ? range : Math.max(range, Math.abs(high[i] - close[i - 1]), Math.abs(low[i] - close[i - 1]))
    if (i < window) {
      seed += tr
      if (i === window - 1) out[i] = prev = seed / window
    } else {
      out[i] = prev = (prev * (window - 1) + tr) / window
    }
  }
  return out
}

/**
 * Sample standard deviation (n-1) of the last `window` log returns of close, times the bar's close, so that it is in
 * price units like ATR. First value at bar `window` (it needs `window` returns).
 */
export function rollingStd(bars: Bars, window: number): Float64Array {
  checkWindow(window + 1, bars.length)
  if (window < 2) throw new Error(`rolling std window must be >= 2, got ${window}`)
  const { close } = bars
  const out = new Float64Array(bars.length).fill(NaN)
  for (let i = window; i < bars.length; i++) out[i] = logReturnStd(close, i, window) * close[i]
  return out
}

/**
 * Sample standard deviation (n-1) of the `window` log returns of `close` ending at bar `i` (bars i - window .. i),
 * for i >= window. Two passes over the window: exact, with no drift from sliding sums of squares.
 */
export function logReturnStd(close: Float64Array, i: number, window: number): number {
  let mean = 0
  for (let j = i - window + 1; j <= i; j++) mean += Math.log(close[j] / close[j - 1])
  mean /= window
  let ss = 0
  for (let j = i - window + 1; j <= i; j++) {
    const d = Math.log(close[j] / close[j - 1]) - mean
    ss += d * d
  }
  return Math.sqrt(ss / (window - 1))
}

export type VolatilityEstimator = 'atr' | 'std'

export function volatility(bars: Bars, estimator: VolatilityEstimator, window: number): Float64Array {
  return estimator === 'atr' ? atr(bars, window) : rollingStd(bars, window)
}

function checkWindow(window: number, length: number): void {
  if (!Number.isInteger(window) || window < 1)
    throw new Error(`volatility window must be a positive integer, got ${window}`)
  if (window > length) throw new Error(`volatility window ${window} is longer than the data (${length} bars)`)
}
