import { MINUTE_MS, type Bar, type Bars } from './bars.js'
import { stepName } from './interval.js'
import type { Timeframe } from './timeframe.js'

/**
 * Bars of a higher timeframe. `ts` is the bucket's open time and `closeTs` its close time (open + duration);
 * `count` is how many 1m bars the bucket holds; `availableAt` is the index of the 1m bar at whose close the
 * bar was known to be complete, which is the first 1m row allowed to see it (multi-timeframe alignment).
 */
export interface ResampledBars extends Bars {
  readonly timeframe: Timeframe
  readonly closeTs: Float64Array
  readonly count: Int32Array
  readonly availableAt: Int32Array
}

export interface HigherBar extends Bar {
  closeTs: number
  count: number
}

/** Called once per closed higher bar; `sourceIndex` is the 1m bar whose arrival closed it. */
export type HigherBarSink = (bar: HigherBar, sourceIndex: number) => void

/**
 * Incremental resampler: push 1m bars in time order, and each higher bar is emitted as soon as it is known to be
 * closed: when the bucket's last minute arrives, or when the first bar of a later bucket arrives after a gap.
 * Batch resampling is this same state machine replayed over history, so live and batch agree by construction.
 */
export interface Resampler {
  readonly timeframe: Timeframe
  push(bar: Bar, sourceIndex: number, sink: HigherBarSink): void
  /** The bucket being built, not yet closed (live dashboards may show it; features never use it). */
  pending(): HigherBar | null
}

export function bucketStart(ts: number, tfMs: number, originMs: number): number {
  return originMs + Math.floor((ts - originMs) / tfMs) * tfMs
}

/**
 * `baseMs` is the interval of the bars pushed (data.interval): a bar closes its bucket when its own close reaches
 * the bucket's end, so a timeframe must hold a whole number of base bars.
 */
export function createResampler(timeframe: Timeframe, originMs = 0, baseMs = MINUTE_MS): Resampler {
  const tfMs = timeframe.ms
  if (tfMs % baseMs !== 0 || tfMs < baseMs) {
    throw new Error(`timeframe ${timeframe.name} is not a whole number of ${stepName(baseMs)} bars (data.interval)`)
  }
  let open = 0
  let high = 0
  let low = 0
  let close = 0
  let volume = 0
  let count = 0
  let start = Number.NaN
  let lastTs = Number.NEGATIVE_INFINITY

  const current = (): HigherBar => ({ ts: start, open, high, low, close, volume, closeTs: start + tfMs, count })

  return {
    timeframe,
    pending: () => (count > 0 ? current() : null),
    push(bar, sourceIndex, sink) {
      if (!(bar.ts > lastTs)) {
        throw new Error(`resampler ${timeframe.name}: bar at ${new Date(bar.ts).toISOString()} is not after the previous bar`)
      }
      lastTs = bar.ts
      // Times only increase, so a bar before the pending bucket's end belongs to it: no division on most pushes.
      const b = count > 0 && bar.ts < start + tfMs ? start : bucketStart(bar.ts, tfMs, originMs)
      if (count > 0 && b !== start) {
        // A bar of a later bucket proves the pending bucket closed (it had a gap at its end).
        sink(current(), sourceIndex)
        count = 0
      }
      if (count === 0) {
        start = b
        open = bar.open
        high = bar.high
        low = bar.low
        close = bar.close
        volume = bar.volume
        count = 1
      } else {
        if (bar.high > high) high = bar.high
        if (bar.low < low) low = bar.low
        close = bar.close
        volume += bar.volume
        count++
      }
      if (bar.ts + baseMs >= start + tfMs) {
        sink(current(), sourceIndex)
        count = 0
      }
    },
  }
}

/** Batch resampling: the incremental resampler replayed over `bars` (base bars in strictly increasing time). */
export function resample(bars: Bars, timeframe: Timeframe, originMs = 0, baseMs = MINUTE_MS): ResampledBars {
  const out = {
    ts: [] as number[],
    closeTs: [] as number[],
    open: [] as number[],
    high: [] as number[],
    low: [] as number[],
    close: [] as number[],
    volume: [] as number[],
    count: [] as number[],
    availableAt: [] as number[],
  }
  const sink: HigherBarSink = (b, i) => {
    out.ts.push(b.ts)
    out.closeTs.push(b.closeTs)
    out.open.push(b.open)
    out.high.push(b.high)
    out.low.push(b.low)
    out.close.push(b.close)
    out.volume.push(b.volume)
    out.count.push(b.count)
    out.availableAt.push(i)
  }
  const r = createResampler(timeframe, originMs, baseMs)
  const bar: Bar = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 }
  for (let i = 0; i < bars.length; i++) {
    bar.ts = bars.ts[i]
    bar.open = bars.open[i]
    bar.high = bars.high[i]
    bar.low = bars.low[i]
    bar.close = bars.close[i]
    bar.volume = bars.volume[i]
    r.push(bar, i, sink)
  }
  return {
    timeframe,
    length: out.ts.length,
    ts: Float64Array.from(out.ts),
    closeTs: Float64Array.from(out.closeTs),
    open: Float64Array.from(out.open),
    high: Float64Array.from(out.high),
    low: Float64Array.from(out.low),
    close: Float64Array.from(out.close),
    volume: Float64Array.from(out.volume),
    count: Int32Array.from(out.count),
    availableAt: Int32Array.from(out.availableAt),
  }
}

export function resampleLadder(
  bars: Bars,
  ladder: readonly Timeframe[],
  originMs = 0,
  baseMs = MINUTE_MS,
): ResampledBars[] {
  return ladder.map((tf) => resample(bars, tf, originMs, baseMs))
}
