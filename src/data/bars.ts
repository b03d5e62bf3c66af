/**
 * Columnar OHLCV bars. `ts` is the bar's open time in epoch milliseconds (UTC); float64 holds
 * every millisecond timestamp exactly. Volume is NaN where the source had none.
 */
export interface Bars {
  readonly length: number
  readonly ts: Float64Array
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
  readonly volume: Float64Array
}

/** One bar as a plain record: what the live path pushes through the same code as batch. */
export interface Bar {
  ts: number
  open: number
  high: number
  low: number
  close: number
  volume: number
}

export const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const
export const BAR_FIELDS = ['ts', 'open', 'high', 'low', 'close', 'volume'] as const
export type BarField = (typeof BAR_FIELDS)[number]

export const MINUTE_MS = 60_000

export function allocBars(length: number): Bars {
  return {
    length,
    ts: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  }
}

export function barAt(bars: Bars, i: number): Bar {
  return {
    ts: bars.ts[i],
    open: bars.open[i],
    high: bars.high[i],
    low: bars.low[i],
    close: bars.close[i],
    volume: bars.volume[i],
  }
}

/** Rows `keep[i] === 1` of `bars`, in order. */
export function selectBars(bars: Bars, keep: Uint8Array): Bars {
  let n = 0
  for (let i = 0; i < bars.length; i++) n += keep[i]
  const out = allocBars(n)
  let j = 0
  for (let i = 0; i < bars.length; i++) {
    if (!keep[i]) continue
    out.ts[j] = bars.ts[i]
    out.open[j] = bars.open[i]
    out.high[j] = bars.high[i]
    out.low[j] = bars.low[i]
    out.close[j] = bars.close[i]
    out.volume[j] = bars.volume[i]
    j++
  }
  return out
}

/** A contiguous slice [start, end) sharing memory with `bars`. */
export function sliceBars(bars: Bars, start: number, end: number): Bars {
  return {
    length: end - start,
    ts: bars.ts.subarray(start, end),
    open: bars.open.subarray(start, end),
    high: bars.high.subarray(start, end),
    low: bars.low.subarray(start, end),
    close: bars.close.subarray(start, end),
    volume: bars.volume.subarray(start, end),
  }
}
