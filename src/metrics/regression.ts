/**
 * Metrics of return forecasts and quantile bands, over finite values (the heads' outputs are checked finite). Each is
 * defined on any set, an empty or constant one included: a number, never NaN (0 where nothing can be judged, with
 * the row count beside it in every report).
 */
import { sortFloat64 } from '../core/argsort.js'

export function meanAbsoluteError(pred: Float64Array, y: Float64Array): number {
  if (y.length === 0) return 0
  let s = 0
  for (let i = 0; i < y.length; i++) s += Math.abs(pred[i] - y[i])
  return s / y.length
}

/** Ranks 1..n with ties given their average rank. */
export function averageRanks(x: Float64Array): Float64Array {
  const { sorted, order } = sortFloat64(x)
  const rank = new Float64Array(x.length)
  for (let i = 0; i < sorted.length;) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[i]) j++
    const r = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) rank[order[k]] = r
    i = j + 1
  }
  return rank
}

/** Pearson correlation; 0 when either side is constant (no linear relation can be judged). */
export function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length
  if (n < 2) return 0
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i]
    mb += b[i]
  }
  ma /= n
  mb /= n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma
    const db = b[i] - mb
    sab += da * db
    saa += da * da
    sbb += db * db
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0
}

/** Information coefficient: the Spearman rank correlation of forecasts and outcomes. */
export function informationCoefficient(pred: Float64Array, y: Float64Array): number {
  return pearson(averageRanks(pred), averageRanks(y))
}

/** Share of rows with a non-zero outcome whose forecast has the outcome's sign (a zero forecast is a miss). */
export function directionalHitRate(pred: Float64Array, y: Float64Array): number {
  let n = 0
  let hits = 0
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 0) continue
    n++
    if (Math.sign(pred[i]) === Math.sign(y[i])) hits++
  }
  return n ? hits / n : 0
}

/** Share of rows with lo <= y <= hi, the mean width hi - lo of the bounded rows, and how many were unbounded. */
export function intervalCoverage(
  lo: Float64Array,
  hi: Float64Array,
  y: Float64Array,
): { coverage: number; width: number; unbounded: number } {
  let hit = 0
  let width = 0
  // An interval with an infinite end (a conformal method with too few scores, ACI at alpha_t <= 0) holds every
  // target; it is counted apart so that the mean width stays a number.
  let unbounded = 0
  for (let i = 0; i < y.length; i++) {
    if (y[i] >= lo[i] && y[i] <= hi[i]) hit++
    const w = hi[i] - lo[i]
    if (w === Infinity) unbounded++
    else width += w
  }
  const bounded = y.length - unbounded
  return { coverage: y.length ? hit / y.length : 0, width: bounded ? width / bounded : 0, unbounded }
}

/** Mean pinball (quantile) loss of the forecast `q` of level `tau`. */
export function pinballLoss(q: Float64Array, y: Float64Array, tau: number): number {
  if (y.length === 0) return 0
  let s = 0
  for (let i = 0; i < y.length; i++) {
    const d = y[i] - q[i]
    s += d >= 0 ? tau * d : (tau - 1) * d
  }
  return s / y.length
}
