import type { EvalIndices, TrainIndices } from './indices.js'
import { purgeAndEmbargo, type Block } from './purge.js'
import type { LabelSpans } from './spans.js'

export const DAY_MS = 86_400_000

export interface WalkForwardOptions {
  readonly mode: 'rolling' | 'expanding'
  readonly trainDays: number
  readonly testDays: number
  /** Default: testDays. */
  readonly stepDays?: number
  /** Epoch ms the window grid is anchored to (default 0: UTC midnights). */
  readonly anchorMs?: number
}

export interface WalkForwardFold {
  readonly fold: number
  /** Test window [testStart, testEnd) in epoch ms; training window [trainStart, testStart) (-Infinity: expanding). */
  readonly trainStart: number
  readonly testStart: number
  readonly testEnd: number
  readonly train: TrainIndices
  readonly test: EvalIndices
  readonly purged: number
  readonly embargoed: number
}

/**
 * Walk-forward over calendar windows on a grid anchored at `anchorMs` (not at the first bar), so a window's train and
 * test sets depend only on the samples inside it: the same window computed over the whole history or over that window
 * alone gives the same rows (tested). `time[i]` is sample i's decision time (epoch ms, non-decreasing). Training
 * samples whose label span reaches into the test spans are purged. Windows with no test or no train sample are skipped.
 */
export function walkForward(
  spans: LabelSpans,
  time: Float64Array,
  options: WalkForwardOptions,
  embargo = 0,
): WalkForwardFold[] {
  const n = spans.row.length
  if (time.length !== n) throw new Error(`walk-forward: ${time.length} times for ${n} samples`)
  for (let i = 1; i < n; i++) {
    if (time[i] < time[i - 1])
      throw new Error(`walk-forward: sample times decrease at sample ${i} (row ${spans.row[i]})`)
  }
  const step = (options.stepDays ?? options.testDays) * DAY_MS
  const testLen = options.testDays * DAY_MS
  const trainLen = options.trainDays * DAY_MS
  const anchor = options.anchorMs ?? 0
  if (!(step > 0 && testLen > 0 && trainLen > 0)) throw new Error('walk-forward: window lengths must be > 0')
  if (n === 0) return []
  const folds: WalkForwardFold[] = []
  // First grid test window that can hold the first sample; last one starting at or before the last sample.
  const kFirst = Math.floor((time[0] - testLen - anchor) / step) + 1
  const kLast = Math.floor((time[n - 1] - anchor) / step)
  for (let k = kFirst; k <= kLast; k++) {
    const testStart = anchor + k * step
    const testEnd = testStart + testLen
    const trainStart = options.mode === 'expanding' ? -Infinity : testStart - trainLen
    const a = lowerBound(time, testStart)
    const b = lowerBound(time, testEnd)
    if (b <= a) continue
    const s = lowerBound(time, trainStart)
    const candidates = Int32Array.from({ length: a - s }, (_, i) => s + i)
    const block: Block = { start: a, end: b }
    const r = purgeAndEmbargo(spans, candidates, [block], embargo)
    if (r.train.length === 0) continue
    folds.push({
      fold: folds.length,
      trainStart,
      testStart,
      testEnd,
      train: r.train,
      test: spans.row.slice(a, b),
      purged: r.purged,
      embargoed: r.embargoed,
    })
  }
  return folds
}

/** First index i with xs[i] >= x (xs non-decreasing). */
export function lowerBound(xs: Float64Array, x: number): number {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (xs[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo
}
