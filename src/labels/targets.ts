import type { Bars } from '../data/bars.js'
import { assertTrainIndices, type TrainIndices } from '../validation/indices.js'
import { checkVolatility } from './checks.js'
import { buildSparseTable, firstAtLeast, firstAtMost } from './first-touch.js'

/**
 * Horizon targets. Same timing as the triple barrier: decision at the close of bar t, entry at the open of t+1
 * ('next_open') or the close of t ('close'), outcome from bars t+1 .. t+h. Rows whose horizon passes the end of the
 * data are NaN. The label span of row t is [t, t+h] (`spansForHorizon` in src/validation/spans.ts).
 */
export type Entry = 'next_open' | 'close'

function checkHorizon(h: number, n: number): void {
  if (!Number.isInteger(h) || h < 1) throw new Error(`horizon must be a positive integer, got ${h}`)
  if (h >= n) throw new Error(`horizon ${h} bars is longer than the data (${n} bars): no row can be labeled`)
}

export function entryPrices(bars: Bars, entry: Entry): Float64Array {
  const n = bars.length
  const out = new Float64Array(n).fill(NaN)
  if (entry === 'close') out.set(bars.close)
  else out.set(bars.open.subarray(1), 0)
  return out
}

/** Simple return from entry to the close of bar t+h (the target of E_r and of quantile heads). */
export function forwardReturn(bars: Bars, h: number, entry: Entry = 'next_open'): Float64Array {
  checkHorizon(h, bars.length)
  const e = entryPrices(bars, entry)
  const out = new Float64Array(bars.length).fill(NaN)
  for (let t = 0; t + h < bars.length; t++) out[t] = bars.close[t + h] / e[t] - 1
  return out
}

export interface MultiHeadTargets {
  readonly horizon: number
  /** 1 if |move| >= tradeableReturn at some bar within the horizon (high or low), else 0; NaN at the end. */
  readonly tradeable: Float64Array
  /** Given tradeable: 1 if the up threshold was touched first, 0 if the down one; NaN if not tradeable or both in one bar. */
  readonly direction: Float64Array
  /** Forward return in volatility units: (close[t+h] / entry - 1) * entry / vol[t]. NaN in warm-up and at the end. */
  readonly strength: Float64Array
  /** Per threshold x: 1 if the high reaches entry*(1+x) (up), the low entry*(1-x) (down), either, within the horizon. */
  readonly reach: readonly { threshold: number; up: Float64Array; down: Float64Array; either: Float64Array }[]
}

/** Tradeable, direction-given-tradeable, signed strength and reach targets for one horizon. */
export function multiHeadTargets(
  bars: Bars,
  vol: Float64Array,
  options: { horizon: number; tradeableReturn: number; reachThresholds: readonly number[]; entry?: Entry },
): MultiHeadTargets {
  const n = bars.length
  const h = options.horizon
  checkHorizon(h, n)
  if (!(options.tradeableReturn > 0)) throw new Error(`tradeableReturn must be > 0, got ${options.tradeableReturn}`)
  for (const x of options.reachThresholds) if (!(x > 0)) throw new Error(`reach thresholds must be > 0, got ${x}`)
  if (vol.length !== n) throw new Error(`volatility has ${vol.length} values for ${n} bars`)
  checkVolatility(vol, bars.ts, 'multi-head targets')
  const e = entryPrices(bars, options.entry ?? 'next_open')
  const highs = buildSparseTable(bars.high, h, 'max')
  const lows = buildSparseTable(bars.low, h, 'min')
  const nan = () => new Float64Array(n).fill(NaN)
  const tradeable = nan()
  const direction = nan()
  const strength = nan()
  const reach = options.reachThresholds.map((threshold) => ({ threshold, up: nan(), down: nan(), either: nan() }))
  const X = options.tradeableReturn
  const k = 31 - Math.clz32(h)
  for (let t = 0; t + h < n; t++) {
    const a = t + 1
    const b = t + h
    const hi = Math.max(highs.levels[k][a], highs.levels[k][b - (1 << k) + 1])
    const lo = Math.min(lows.levels[k][a], lows.levels[k][b - (1 << k) + 1])
    const p = e[t]
    const up = hi / p - 1
    const down = 1 - lo / p
    const tr = up >= X || down >= X
    tradeable[t] = tr ? 1 : 0
    if (tr) {
      const jU = firstAtLeast(highs, a, b, p * (1 + X))
      const jL = firstAtMost(lows, a, b, p * (1 - X))
      if (jL < 0 || (jU >= 0 && jU < jL)) direction[t] = 1
      else if (jU < 0 || jL < jU) direction[t] = 0
    }
    if (vol[t] > 0) strength[t] = ((bars.close[b] / p - 1) * p) / vol[t]
    for (const r of reach) {
      const u = up >= r.threshold ? 1 : 0
      const d = down >= r.threshold ? 1 : 0
      r.up[t] = u
      r.down[t] = d
      r.either[t] = u | d
    }
  }
  return { horizon: h, tradeable, direction, strength, reach }
}

export interface Brackets {
  /** Number of exclusive bins: edges.length + 1. */
  readonly k: number
  /** Bin of each row (bin i: edges[i-1] <= v < edges[i]); -1 where the value is NaN. */
  readonly bin: Int32Array
  /** Row-major (n, k) one-hot; all zero where the value is NaN. */
  readonly oneHot: Uint8Array
}

/** Bracket outcomes: which of K exclusive bins the future value falls in, as a bin index and a one-hot row. */
export function bracketOutcomes(values: Float64Array, edges: readonly number[]): Brackets {
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i] > edges[i - 1]))
      throw new Error(`bracket edges must be strictly increasing (edge ${i}: ${edges[i]})`)
  }
  const k = edges.length + 1
  const n = values.length
  const bin = new Int32Array(n).fill(-1)
  const oneHot = new Uint8Array(n * k)
  for (let t = 0; t < n; t++) {
    const v = values[t]
    if (Number.isNaN(v)) continue
    let lo = 0
    let hi = edges.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (v >= edges[mid]) lo = mid + 1
      else hi = mid
    }
    bin[t] = lo
    oneHot[t * k + lo] = 1
  }
  return { k, bin, oneHot }
}

/**
 * Quantile targets: bin edges at the given quantiles of the TRAINING rows only (so the test distribution never
 * shapes the classes), then the bin of every row.
 */
export function quantileBins(
  values: Float64Array,
  train: TrainIndices,
  quantiles: readonly number[],
): Brackets & { edges: number[] } {
  assertTrainIndices(train, 'quantileBins')
  const xs: number[] = []
  for (const r of train) if (!Number.isNaN(values[r])) xs.push(values[r])
  if (xs.length === 0) throw new Error('quantileBins: no finite training values')
  xs.sort((a, b) => a - b)
  const edges = quantiles.map((q) => {
    if (!(q > 0 && q < 1)) throw new Error(`quantile must be in (0, 1), got ${q}`)
    // Linear interpolation between order statistics (the common "type 7" definition).
    const pos = q * (xs.length - 1)
    const i = Math.floor(pos)
    return i + 1 < xs.length ? xs[i] + (pos - i) * (xs[i + 1] - xs[i]) : xs[i]
  })
  const dedup = edges.filter((v, i) => i === 0 || v > edges[i - 1])
  return { ...bracketOutcomes(values, dedup), edges: dedup }
}
