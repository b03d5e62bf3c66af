/**
 * Quantile bins of a reference sample, the bin of a value, and smoothed bin proportions: what PSI and KL compare.
 *
 * Bins, in order: below the reference minimum `lo`; [lo, e1], (e1, e2], ..., (ek, hi] between the interior edges
 * (the reference's 1/B ... (B-1)/B quantiles, deduplicated); above the reference maximum `hi`; and not finite: a
 * missing feature (NaN) or an unbounded end of an interval output (an ACI interval at alpha_t <= 0 is the whole
 * line).
 * The tail bins are empty in the reference by construction, so values outside what training saw count as drift (the
 * smoothing keeps PSI and KL finite). A quantile equal to `lo` keeps the bin [lo, lo], so a discrete feature gets a
 * bin of its own for its lowest value; a constant feature gets three: below, equal, above.
 */
import { quantileSorted } from '../core/quantile.js'

export interface QuantileBins {
  /** Smallest and largest finite reference values (0 and 0 when the reference has none). */
  readonly lo: number
  readonly hi: number
  /** Interior edges, strictly increasing, in [lo, hi). */
  readonly edges: readonly number[]
}

/** Bins over ascending finite `sorted` reference values, at most `bins` of them between lo and hi. */
export function quantileBins(sorted: Float64Array, bins: number): QuantileBins {
  if (!Number.isInteger(bins) || bins < 2) throw new Error(`quantile bins: ${bins} bins; at least 2 are needed`)
  if (sorted.length === 0) return { lo: 0, hi: 0, edges: [] }
  const lo = sorted[0]
  const hi = sorted[sorted.length - 1]
  const edges: number[] = []
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sorted, k / bins)
    if (e < hi && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e)
  }
  return { lo, hi, edges }
}

/** How many bins `b` has, the missing bin included. */
export const binCount = (b: QuantileBins): number => b.edges.length + 4

/** The bin of `x` (see the module comment); NaN and ±Infinity fall in the last bin. */
export function binIndex(b: QuantileBins, x: number): number {
  const { edges } = b
  if (!Number.isFinite(x)) return edges.length + 3
  if (x < b.lo) return 0
  if (x > b.hi) return edges.length + 2
  // 1 + the number of interior edges strictly below x (binary search: edges are strictly increasing).
  let lo = 0
  let hi = edges.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (edges[mid] < x) lo = mid + 1
    else hi = mid
  }
  return 1 + lo
}

/** Counts of `values` in the bins of `b`. */
export function binCounts(b: QuantileBins, values: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(binCount(b))
  for (let i = 0; i < values.length; i++) counts[binIndex(b, values[i])]++
  return counts
}

/**
 * Bin proportions with `alpha` added to every count ((c + alpha) / (n + alpha K), additive smoothing): an empty bin
 * gets a small positive share, so that PSI and KL stay finite, and every proportion is positive for alpha > 0.
 */
export function smoothedProportion(count: number, total: number, bins: number, alpha: number): number {
  return (count + alpha) / (total + alpha * bins)
}

export function smoothedProportions(counts: ArrayLike<number>, alpha: number): Float64Array {
  let total = 0
  for (let k = 0; k < counts.length; k++) total += counts[k]
  return Float64Array.from({ length: counts.length }, (_, k) =>
    smoothedProportion(counts[k], total, counts.length, alpha),
  )
}
