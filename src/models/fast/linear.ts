import type { LinearScorer } from '../tabular/linear/classifier.js'
import { linearKernel, type RowKernel, UNROLL_LIMIT } from './codegen.js'
import { expNonPositive } from './exp.js'
import { rowPredictor, splitRows } from './row.js'
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
 * Models up to UNROLL_LIMIT terms get a kernel generated for them (fast/codegen.ts); larger ones use the loop kernels
 * below, module-level functions that every such predictor shares.
 */

/** out <- (1 - p, p) with p = sigmoid(w x + b). */
function sigmoid1(w: Float64Array, b: number, n: number, x: Float64Array, o: number, out: Float64Array): boolean {
  let z = b
  for (let j = 0; j < n; j++) z += w[j] * x[o + j]
  const a = expNonPositive(z > 0 ? -z : z)
  const inv = 1 / (1 + a)
  out[0] = z > 0 ? a * inv : inv
  out[1] = z > 0 ? inv : a * inv
  return inv === inv
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

/** Linear model with softmax/sigmoid link: p = softmax(W x + b). */
export function createFastLinear(params: FastLinearParams): FastPredictor {
  const rows = params.intercept.length
  const features = params.coef.length / rows
  if (!Number.isInteger(features) || features < 1) {
    throw new Error(`fast linear: ${params.coef.length} weights do not fill ${rows} rows`)
  }
  if (params.link === 'sigmoid' && rows !== 1) throw new Error('fast linear: a sigmoid link takes exactly one row')
  if (params.medians && params.medians.length !== features)
    throw new Error('fast linear: medians length differs from features')
  const w = splitRows(params.coef, rows, features)
  const b = Float64Array.from(params.intercept)
  const classes = params.link === 'sigmoid' ? 2 : rows
  const kernel = linearRowKernel(params.link, w, b, features)
  return rowPredictor(kernel, features, classes, params.medians, 'fast linear')
}

/** The generated kernel when the model is small enough, else a loop kernel. */
function linearRowKernel(
  link: 'softmax' | 'sigmoid',
  w: readonly Float64Array[],
  b: Float64Array,
  F: number,
): RowKernel {
  if (link === 'sigmoid') {
    const w0 = w[0]
    const b0 = b[0]
    return F <= UNROLL_LIMIT ? linearKernel(w0, b.subarray(0, 1), F) : (x, o, out) => sigmoid1(w0, b0, F, x, o, out)
  }
  const rows = w.length
  if (rows < 2 || (rows - 1) * F > UNROLL_LIMIT) return (x, o, out) => softmaxK(w, b, F, x, o, out)
  // Scores relative to class 0: softmax is unchanged by subtracting z_0 from every score.
  const diff = new Float64Array((rows - 1) * F)
  const c = new Float64Array(rows - 1)
  for (let r = 1; r < rows; r++) {
    for (let j = 0; j < F; j++) diff[(r - 1) * F + j] = w[r][j] - w[0][j]
    c[r - 1] = b[r] - b[0]
  }
  return linearKernel(diff, c, F)
}

/** out <- softmax(out), given its maximum; false when the scores were NaN. */
export function softmaxInPlace(out: Float64Array, max: number): boolean {
  let sum = 0
  for (let k = 0; k < out.length; k++) {
    const e = expNonPositive(out[k] - max)
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
