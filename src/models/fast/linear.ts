import type { LinearScorer } from '../tabular/linear/classifier.js'
import { imputeRow, splitRows } from './row.js'
import type { FastPredictor } from './types.js'

export interface FastLinearParams {
  /** Row-major (rows, features) weights on raw features. */
  readonly coef: Float64Array
  readonly intercept: Float64Array
  /** `softmax` over rows (one per class) or `sigmoid` of a single row (binary). */
  readonly link: 'softmax' | 'sigmoid'
  /** When given, a NaN feature takes this value (the model's training median); otherwise NaN is rejected. */
  readonly medians?: Float64Array
}

/*
 * Kernels are module-level functions over one interleaved parameter array (w_0j, w_1j, w_2j for each j), not
 * closures: every predictor instance calls the same function object (monomorphic, inlinable however many
 * predictors are alive, as in ensembles), one array means one bounds check per step, and its length bounds the loop.
 */

/** out <- softmax of three linear scores; p = interleaved weights (3 * features); false when a score is NaN. */
function softmax3(p: Float64Array, b: Float64Array, x: Float64Array, o: number, out: Float64Array): boolean {
  let z0 = b[0]
  let z1 = b[1]
  let z2 = b[2]
  // Two features per step into separate accumulators: shorter dependency chains.
  let y0 = 0
  let y1 = 0
  let y2 = 0
  const n = p.length
  let q = 0
  let j = o
  for (; q + 5 < n; q += 6, j += 2) {
    const v = x[j]
    const u = x[j + 1]
    z0 += p[q] * v
    z1 += p[q + 1] * v
    z2 += p[q + 2] * v
    y0 += p[q + 3] * u
    y1 += p[q + 4] * u
    y2 += p[q + 5] * u
  }
  if (q < n) {
    const v = x[j]
    z0 += p[q] * v
    z1 += p[q + 1] * v
    z2 += p[q + 2] * v
  }
  z0 += y0
  z1 += y1
  z2 += y2
  const m = z0 > z1 ? (z0 > z2 ? z0 : z2) : z1 > z2 ? z1 : z2
  const e0 = expNormal(z0 - m)
  const e1 = expNormal(z1 - m)
  const e2 = expNormal(z2 - m)
  const inv = 1 / (e0 + e1 + e2)
  out[0] = e0 * inv
  out[1] = e1 * inv
  out[2] = e2 * inv
  return inv === inv
}

/** out <- (1 - p, p) with p = sigmoid(w x + b). */
function sigmoid1(w: Float64Array, b: number, n: number, x: Float64Array, o: number, out: Float64Array): boolean {
  let z = b
  for (let j = 0; j < n; j++) z += w[j] * x[o + j]
  const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))
  out[0] = 1 - p
  out[1] = p
  return p === p
}

/** out <- softmax of K linear scores. */
function softmaxK(
  w: readonly Float64Array[],
  b: Float64Array,
  n: number,
  x: Float64Array,
  o: number,
  out: Float64Array,
): boolean {
  let max = -Infinity
  for (let k = 0; k < w.length; k++) {
    const wk = w[k]
    let z = b[k]
    for (let j = 0; j < n; j++) z += wk[j] * x[o + j]
    out[k] = z
    if (z > max) max = z
  }
  return softmaxInPlace(out, max)
}

/** Linear model with softmax/sigmoid link: p = softmax(W x + b); three classes get a one-pass kernel. */
export function createFastLinear(params: FastLinearParams): FastPredictor {
  const rows = params.intercept.length
  const features = params.coef.length / rows
  if (!Number.isInteger(features) || features < 1) {
    throw new Error(`fast linear: ${params.coef.length} weights do not fill ${rows} rows`)
  }
  if (params.link === 'sigmoid' && rows !== 1) throw new Error('fast linear: a sigmoid link takes exactly one row')
  if (params.medians && params.medians.length !== features)
    throw new Error('fast linear: medians length differs from features')
  const medians = params.medians ? Float64Array.from(params.medians) : undefined
  const scratch = new Float64Array(features)
  const w = splitRows(params.coef, rows, features)
  const b = Float64Array.from(params.intercept)
  const classes = params.link === 'sigmoid' ? 2 : rows
  const out = new Float64Array(classes)
  const F = features
  const who = 'fast linear'

  if (params.link === 'sigmoid') {
    const w0 = w[0]
    const b0 = b[0]
    return {
      features,
      classes,
      out,
      predict(x, offset = 0) {
        if (!sigmoid1(w0, b0, F, x, offset, out))
          sigmoid1(w0, b0, F, imputeRow(x, offset, medians, scratch, who), 0, out)
        return out
      },
    }
  }
  if (rows === 3) {
    const p = new Float64Array(3 * F)
    for (let j = 0; j < F; j++) for (let k = 0; k < 3; k++) p[3 * j + k] = w[k][j]
    return {
      features,
      classes,
      out,
      predict(x, offset = 0) {
        if (!softmax3(p, b, x, offset, out)) softmax3(p, b, imputeRow(x, offset, medians, scratch, who), 0, out)
        return out
      },
    }
  }
  return {
    features,
    classes,
    out,
    predict(x, offset = 0) {
      if (!softmaxK(w, b, F, x, offset, out)) softmaxK(w, b, F, imputeRow(x, offset, medians, scratch, who), 0, out)
      return out
    },
  }
}

/**
 * exp(t) for t <= 0, flushed to 0 below -700: results under ~1e-304 would be (or multiply into) subnormal doubles,
 * whose arithmetic is ~100x slower on x86, and as probabilities they are 0 to any tolerance that matters.
 */
export function expNormal(t: number): number {
  return t < -700 ? 0 : Math.exp(t)
}

/** out <- softmax(out), given its maximum; false when the scores were NaN. */
export function softmaxInPlace(out: Float64Array, max: number): boolean {
  let sum = 0
  for (let k = 0; k < out.length; k++) {
    const e = expNormal(out[k] - max)
    out[k] = e
    sum += e
  }
  const inv = 1 / sum
  for (let k = 0; k < out.length; k++) out[k] *= inv
  return inv === inv
}

/** Fast predictor of a fitted logistic / linear_svc scorer (standardization folded into the weights). */
export function fastFromScorer(s: LinearScorer): FastPredictor {
  if (s.link === 'identity') throw new Error('fast linear: a regression scorer has no class probabilities')
  const f = s.preprocess.medians.length
  const rows = s.intercept.length
  const coef = new Float64Array(rows * f)
  const intercept = Float64Array.from(s.intercept)
  const { center, scale } = s.preprocess
  for (let k = 0; k < rows; k++) {
    for (let j = 0; j < f; j++) {
      const w = s.coef[k * f + j] / scale[j]
      coef[k * f + j] = w
      intercept[k] -= w * center[j]
    }
  }
  return createFastLinear({ coef, intercept, link: s.link, medians: s.preprocess.medians })
}
