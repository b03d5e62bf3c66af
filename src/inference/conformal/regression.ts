/**
 * Conformal intervals for regression around any point predictor, from held-out absolute residuals; every method ranks
 * with the shared finite-sample rule (./quantile.ts). For time series the residuals must come from rows the predictor
 * never trained on, with label spans purged (validation/purge.ts): exchangeability is the only assumption.
 *
 * - split: residuals of one fitted model on a calibration window give one margin; the interval is pred +- margin.
 * - CV+ (Barber, Candes, Ramdas and Tibshirani, 2021): K models, each fitted without one fold. Row i's residual is
 *   measured by the model that did not see it, and a new row's interval combines, over the n calibration rows, that
 *   same model's prediction at the new row with row i's residual. Jackknife+ is CV+ with every row its own fold.
 *   Guarantee: coverage >= 1 - 2 alpha in the worst case, about 1 - alpha in practice.
 */
import { conformalQuantile, conformalRank } from './quantile.js'

export interface Interval {
  readonly lo: Float64Array
  readonly hi: Float64Array
}

/** |y - prediction| per row; a non-finite one is an error naming its row. */
export function absoluteResiduals(predicted: Float64Array, y: Float64Array): Float64Array {
  if (predicted.length !== y.length)
    throw new Error(`conformal: ${predicted.length} predictions for ${y.length} targets`)
  return Float64Array.from(y, (v, i) => {
    const r = Math.abs(v - predicted[i])
    if (!Number.isFinite(r))
      throw new Error(`conformal: calibration row ${i} is not finite (y ${v}, prediction ${predicted[i]})`)
    return r
  })
}

/** Split conformal margin: the conformal quantile of the calibration residuals (+Infinity when there are too few). */
export function splitConformalMargin(predicted: Float64Array, y: Float64Array, coverage: number): number {
  return conformalQuantile(absoluteResiduals(predicted, y), coverage)
}

export function splitInterval(predicted: Float64Array, margin: number): Interval {
  return { lo: predicted.map((p) => p - margin), hi: predicted.map((p) => p + margin) }
}

/**
 * CV+ intervals for m new rows. `residuals[i]` is calibration row i's out-of-fold residual and `foldOf[i]` its fold;
 * `foldPredictions` is row-major (m, folds): the prediction at each new row of the model fitted without each fold.
 * The lower end is the floor(alpha (n + 1))-th smallest of prediction - residual (-Infinity when that rank is 0), the
 * upper the ceil((1 - alpha)(n + 1))-th smallest of prediction + residual (+Infinity above n).
 */
export function cvPlusIntervals(
  residuals: Float64Array,
  foldOf: Int32Array,
  foldPredictions: Float64Array,
  folds: number,
  coverage: number,
): Interval {
  const n = residuals.length
  if (foldOf.length !== n) throw new Error(`conformal: ${foldOf.length} fold indices for ${n} residuals`)
  if (foldPredictions.length % folds !== 0)
    throw new Error(`conformal: ${foldPredictions.length} fold predictions are not whole rows of ${folds} folds`)
  for (let i = 0; i < n; i++) {
    if (!(residuals[i] >= 0 && Number.isFinite(residuals[i])))
      throw new Error(`conformal: residual ${i} is ${residuals[i]}, not a finite absolute residual`)
    if (!(Number.isInteger(foldOf[i]) && foldOf[i] >= 0 && foldOf[i] < folds))
      throw new Error(`conformal: calibration row ${i} is in fold ${foldOf[i]}, not one of 0..${folds - 1}`)
  }
  const upperRank = conformalRank(n, coverage)
  // By symmetry the lower end is the mirror image: the (n + 1 - upperRank)-th smallest, i.e. floor(alpha (n + 1)).
  const lowerRank = n + 1 - upperRank
  const m = foldPredictions.length / folds
  const lo = new Float64Array(m)
  const hi = new Float64Array(m)
  const down = new Float64Array(n)
  const up = new Float64Array(n)
  for (let t = 0; t < m; t++) {
    for (let i = 0; i < n; i++) {
      const mu = foldPredictions[t * folds + foldOf[i]]
      if (!Number.isFinite(mu)) throw new Error(`conformal: fold ${foldOf[i]}'s prediction at new row ${t} is ${mu}`)
      down[i] = mu - residuals[i]
      up[i] = mu + residuals[i]
    }
    up.sort()
    down.sort()
    hi[t] = upperRank > n ? Infinity : up[upperRank - 1]
    lo[t] = lowerRank < 1 ? -Infinity : down[lowerRank - 1]
  }
  return { lo, hi }
}
