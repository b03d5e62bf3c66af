import assert from 'node:assert/strict'
import test from 'node:test'
import {
  absoluteResiduals,
  cvPlusIntervals,
  splitConformalMargin,
  splitInterval,
} from '../../src/inference/conformal/regression.js'
import { gauss } from '../helpers.js'

/** Least-squares line through (x, y) rows `use` (closed form). */
function fitLine(x: Float64Array, y: Float64Array, use: (i: number) => boolean): (v: number) => number {
  let n = 0
  let sx = 0
  let sy = 0
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < x.length; i++) {
    if (!use(i)) continue
    n++
    sx += x[i]
    sy += y[i]
    sxx += x[i] * x[i]
    sxy += x[i] * y[i]
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
  const intercept = (sy - slope * sx) / n
  return (v) => intercept + slope * v
}

/** y = 1 + 2x + N(0, 1), x ~ N(0, 1): exchangeable rows. */
function rows(g: () => number, n: number): { x: Float64Array; y: Float64Array } {
  const x = Float64Array.from({ length: n }, g)
  return { x, y: x.map((v) => 1 + 2 * v + g()) }
}

const covered = (iv: { lo: Float64Array; hi: Float64Array }, y: Float64Array) =>
  y.reduce((s, v, i) => s + (v >= iv.lo[i] && v <= iv.hi[i] ? 1 : 0), 0) / y.length

test('CV+ on a hand-computed case, and unbounded ends when the calibration set is too small', () => {
  // Four calibration rows in two folds; one new row, predicted 10 by fold 0's model and 20 by fold 1's.
  const residuals = Float64Array.of(1, 2, 3, 4)
  const foldOf = Int32Array.of(0, 0, 1, 1)
  // Coverage 0.6: upper rank ceil(5 * 0.6) = 3 of [11, 12, 23, 24]; lower rank floor(5 * 0.4) = 2 of [8, 9, 16, 17].
  const iv = cvPlusIntervals(residuals, foldOf, Float64Array.of(10, 20), 2, 0.6)
  assert.deepEqual([iv.lo[0], iv.hi[0]], [9, 23])
  const wide = cvPlusIntervals(residuals, foldOf, Float64Array.of(10, 20), 2, 0.9)
  assert.deepEqual([wide.lo[0], wide.hi[0]], [-Infinity, Infinity])
  assert.throws(
    () => cvPlusIntervals(residuals, Int32Array.of(0, 0, 1, 2), Float64Array.of(10, 20), 2, 0.6),
    /row 3 is in fold 2/,
  )
  assert.throws(
    () => cvPlusIntervals(Float64Array.of(1, -1), Int32Array.of(0, 1), Float64Array.of(1, 2), 2, 0.5),
    /residual 1 is -1/,
  )
  assert.throws(
    () => absoluteResiduals(Float64Array.of(1, NaN), Float64Array.of(1, 2)),
    /calibration row 1 is not finite/,
  )
  assert.equal(splitConformalMargin(Float64Array.of(0, 0), Float64Array.of(1, 2), 0.9), Infinity)
})

test('coverage over 200 repetitions of exchangeable data: split, CV+ (5 folds) and jackknife+ at 0.9', () => {
  const g = gauss(23)
  const coverage = 0.9
  const reps = 200
  const result = { split: 0, cvPlus: 0, jackknifePlus: 0 }
  for (let r = 0; r < reps; r++) {
    const fresh = rows(g, 100)
    // Split: a line on 100 rows, residuals on 100 others.
    const train = rows(g, 100)
    const cal = rows(g, 100)
    const line = fitLine(train.x, train.y, () => true)
    const margin = splitConformalMargin(cal.x.map(line), cal.y, coverage)
    result.split += covered(splitInterval(fresh.x.map(line), margin), fresh.y) / reps
    // CV+: 100 rows in 5 contiguous folds, each model fitted without its fold.
    const data = rows(g, 100)
    const folds = 5
    const foldOf = Int32Array.from({ length: 100 }, (_, i) => Math.floor(i / 20))
    const models = Array.from({ length: folds }, (_, k) => fitLine(data.x, data.y, (i) => foldOf[i] !== k))
    const oof = data.x.map((v, i) => models[foldOf[i]](v))
    const preds = new Float64Array(fresh.x.length * folds)
    fresh.x.forEach((v, t) => models.forEach((m, k) => (preds[t * folds + k] = m(v))))
    result.cvPlus +=
      covered(cvPlusIntervals(absoluteResiduals(oof, data.y), foldOf, preds, folds, coverage), fresh.y) / reps
    // Jackknife+: every row its own fold, the predictor the mean of the other rows (targets y ~ N(1, 5)).
    // 99 rows: rank ceil(100 * 0.9) = 90 is exactly 90% of n + 1 (with 40 rows, 37/41 already over-covers by 0.002).
    const small = rows(g, 99).y
    const total = small.reduce((s, v) => s + v, 0)
    const loo = small.map((v) => (total - v) / (small.length - 1))
    const next = rows(g, 100).y
    const jkPreds = new Float64Array(next.length * small.length)
    for (let t = 0; t < next.length; t++) jkPreds.set(loo, t * small.length)
    const ownFolds = Int32Array.from(small.keys())
    const jk = cvPlusIntervals(absoluteResiduals(loo, small), ownFolds, jkPreds, small.length, coverage)
    result.jackknifePlus += covered(jk, next) / reps
  }
  for (const [method, mean] of Object.entries(result)) {
    assert.ok(Math.abs(mean - coverage) < 0.01, `${method}: mean coverage ${mean}`)
  }
})
