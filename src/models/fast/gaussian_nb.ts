import type { SklearnGaussianNb } from '../imported/sklearn.js'
import type { GaussianNbState } from '../tabular/gaussian_nb.js'
import { expNormal, softmaxInPlace } from './linear.js'
import { imputeRow, splitRows } from './row.js'
import type { FastPredictor } from './types.js'

export interface FastGaussianNbParams {
  /** Row-major (classes, features) means. */
  readonly theta: Float64Array
  /** 1 / (2 var), row-major (classes, features). */
  readonly invTwoVar: Float64Array
  /** log prior_k - 0.5 sum_j ln(2 pi var_kj). */
  readonly base: Float64Array
  /** When given, a NaN feature takes this value (the model's training median); otherwise NaN is rejected. */
  readonly medians?: Float64Array
}

/** Three classes over one interleaved array (theta_0j, a_0j, theta_1j, a_1j, theta_2j, a_2j), a = 1 / (2 var); see
 * fast/linear.ts for why kernels are module-level functions over a single array. */
function nb3(p: Float64Array, base: Float64Array, x: Float64Array, o: number, out: Float64Array): boolean {
  let a0 = base[0]
  let a1 = base[1]
  let a2 = base[2]
  const n = p.length
  for (let q = 0, j = o; q < n; q += 6, j++) {
    const v = x[j]
    const d0 = v - p[q]
    const d1 = v - p[q + 2]
    const d2 = v - p[q + 4]
    a0 -= d0 * d0 * p[q + 1]
    a1 -= d1 * d1 * p[q + 3]
    a2 -= d2 * d2 * p[q + 5]
  }
  const m = a0 > a1 ? (a0 > a2 ? a0 : a2) : a1 > a2 ? a1 : a2
  const e0 = expNormal(a0 - m)
  const e1 = expNormal(a1 - m)
  const e2 = expNormal(a2 - m)
  const s = 1 / (e0 + e1 + e2)
  out[0] = e0 * s
  out[1] = e1 * s
  out[2] = e2 * s
  return s === s
}

function nbK(
  theta: readonly Float64Array[],
  inv: readonly Float64Array[],
  base: Float64Array,
  n: number,
  x: Float64Array,
  o: number,
  out: Float64Array,
): boolean {
  let max = -Infinity
  for (let k = 0; k < theta.length; k++) {
    const tk = theta[k]
    const ik = inv[k]
    let acc = base[k]
    for (let j = 0; j < n; j++) {
      const d = x[o + j] - tk[j]
      acc -= d * d * ik[j]
    }
    out[k] = acc
    if (acc > max) max = acc
  }
  return softmaxInPlace(out, max)
}

/** Gaussian naive Bayes: p = softmax_k(base_k - sum_j (x_j - theta_kj)^2 / (2 var_kj)). */
export function createFastGaussianNb(params: FastGaussianNbParams): FastPredictor {
  const classes = params.base.length
  const features = params.theta.length / classes
  if (!Number.isInteger(features) || features < 1 || params.invTwoVar.length !== params.theta.length) {
    throw new Error('fast gaussian_nb: theta and invTwoVar must both be (classes, features)')
  }
  const F = features
  const theta = splitRows(params.theta, classes, F)
  const inv = splitRows(params.invTwoVar, classes, F)
  const base = Float64Array.from(params.base)
  const medians = params.medians ? Float64Array.from(params.medians) : undefined
  const scratch = new Float64Array(F)
  const out = new Float64Array(classes)
  const who = 'fast gaussian_nb'
  if (classes === 3) {
    const p = new Float64Array(6 * F)
    for (let j = 0; j < F; j++) {
      for (let k = 0; k < 3; k++) {
        p[6 * j + 2 * k] = theta[k][j]
        p[6 * j + 2 * k + 1] = inv[k][j]
      }
    }
    return {
      features,
      classes,
      out,
      predict(x, offset = 0) {
        if (!nb3(p, base, x, offset, out)) nb3(p, base, imputeRow(x, offset, medians, scratch, who), 0, out)
        return out
      },
    }
  }
  return {
    features,
    classes,
    out,
    predict(x, offset = 0) {
      if (!nbK(theta, inv, base, F, x, offset, out))
        nbK(theta, inv, base, F, imputeRow(x, offset, medians, scratch, who), 0, out)
      return out
    },
  }
}

export function fastFromGaussianNb(s: GaussianNbState): FastPredictor {
  const K = s.logPrior.length
  const f = s.theta.length / K
  const invTwoVar = new Float64Array(K * f)
  const base = Float64Array.from(s.logPrior)
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < f; j++) {
      const v = s.variance[k * f + j]
      invTwoVar[k * f + j] = 1 / (2 * v)
      base[k] -= 0.5 * Math.log(2 * Math.PI * v)
    }
  }
  return createFastGaussianNb({ theta: s.theta, invTwoVar, base, medians: s.preprocess.medians })
}

export function fastFromSklearnNb(m: SklearnGaussianNb): FastPredictor {
  return createFastGaussianNb({ theta: m.theta, invTwoVar: m.invTwoVar, base: m.base })
}
