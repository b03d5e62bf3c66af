/**
 * Conformalized quantile regression (Romano, Patterson and Candes, 2019). Quantile models trained with the pinball
 * loss under-cover out of sample (the tails fit the training set tighter than they generalize), the more so the more
 * flexible the model. CQR measures on held-out data how far targets fall outside [lo, hi] and widens (or narrows) the
 * band by the conformal quantile of those distances; on exchangeable data the band then covers a new target with
 * probability at least `coverage`, whatever the model.
 */

import { conformalQuantile, minCalibrationScores } from './quantile.js'

export interface CqrCalibration {
  /** Added to hi and subtracted from lo, in the targets' units; negative when the model's band was too wide. */
  readonly margin: number
  /** Held-out rows it was measured on. */
  readonly n: number
  /** The coverage it was calibrated for. */
  readonly coverage: number
}

/** Fits the margin on held-out predictions (lo, hi) and targets y. Needs about coverage/(1-coverage) rows at least. */
export function fitCqr(lo: Float64Array, hi: Float64Array, y: Float64Array, coverage: number): CqrCalibration {
  const n = y.length
  if (lo.length !== n || hi.length !== n) {
    throw new Error(`conformal: ${lo.length} lower and ${hi.length} upper bounds for ${n} targets`)
  }
  const scores = new Float64Array(n)
  for (let i = 0; i < n; i++) scores[i] = Math.max(lo[i] - y[i], y[i] - hi[i])
  const margin = conformalQuantile(scores, coverage)
  // An unbounded band tells the policy nothing and cannot be saved: too few rows is an error, with the number needed.
  if (margin === Infinity)
    throw new Error(
      `conformal: ${n} calibration rows are too few for coverage ${coverage} (need at least ${minCalibrationScores(coverage)})`,
    )
  return { margin, n, coverage }
}

/**
 * The calibrated band: lo - margin and hi + margin, never crossing the median (a narrowing margin stops at mid), so
 * lo <= mid <= hi still holds.
 */
export function applyCqr(
  c: CqrCalibration,
  lo: Float64Array,
  mid: Float64Array,
  hi: Float64Array,
): { lo: Float64Array; hi: Float64Array } {
  const outLo = new Float64Array(lo.length)
  const outHi = new Float64Array(hi.length)
  for (let i = 0; i < lo.length; i++) {
    outLo[i] = Math.min(lo[i] - c.margin, mid[i])
    outHi[i] = Math.max(hi[i] + c.margin, mid[i])
  }
  return { lo: outLo, hi: outHi }
}
