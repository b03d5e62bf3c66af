import type { SklearnGaussianNb } from '../imported/sklearn.js'
import type { GaussianNbState } from '../tabular/gaussian_nb.js'
import { quadraticKernel, type RowKernel, UNROLL_LIMIT } from './codegen.js'
import { softmaxInPlace } from './linear.js'
import { rowPredictor, splitRows } from './row.js'
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
  const kernel: RowKernel =
    classes >= 2 && (classes - 1) * F <= UNROLL_LIMIT
      ? differenceKernel(theta, inv, base, F)
      : (x, o, out) => nbK(theta, inv, base, F, x, o, out)
  return rowPredictor(kernel, features, classes, params.medians, 'fast gaussian_nb')
}

/**
 * Log-likelihood differences against class 0 as quadratics in u = x - m: with a = 1 / (2 var) and d_k = theta_k - m,
 *   L_k - L_0 = base_k - base_0 + sum_j (a_0j - a_kj) u_j^2 + 2 (a_kj d_kj - a_0j d_0j) u_j + a_0j d_0j^2 - a_kj d_kj^2.
 * The center m is 0 where that is safe, else theta_0: expanded squares of features far from zero (a price near 4000
 * with a spread of 1) would cancel catastrophically, while centering costs one subtraction per feature.
 */
function differenceKernel(
  theta: readonly Float64Array[],
  inv: readonly Float64Array[],
  base: Float64Array,
  F: number,
): RowKernel {
  const rows = theta.length - 1
  const center = needsCentering(theta[0], inv, F) ? theta[0] : new Float64Array(F)
  const a = new Float64Array(rows * F)
  const b = new Float64Array(rows * F)
  const c = new Float64Array(rows)
  for (let r = 0; r < rows; r++) {
    const k = r + 1
    let constant = base[k] - base[0]
    for (let j = 0; j < F; j++) {
      const d0 = theta[0][j] - center[j]
      const dk = theta[k][j] - center[j]
      a[r * F + j] = inv[0][j] - inv[k][j]
      b[r * F + j] = 2 * (inv[k][j] * dk - inv[0][j] * d0)
      constant += inv[0][j] * d0 * d0 - inv[k][j] * dk * dk
    }
    c[r] = constant
  }
  return quadraticKernel(a, b, c, center, F)
}

/**
 * Whether some class-0 mean sits more than CENTER_BELOW standard deviations (of the narrowest class) from zero:
 * then the uncentered terms would exceed the centered ones by more than CENTER_BELOW^2 and lose that many digits.
 */
function needsCentering(theta0: Float64Array, inv: readonly Float64Array[], F: number): boolean {
  for (let j = 0; j < F; j++) {
    let widest = 0 // the largest 1 / (2 var_kj)
    for (const ik of inv) widest = Math.max(widest, ik[j])
    if (2 * widest * theta0[j] * theta0[j] > CENTER_BELOW * CENTER_BELOW) return true
  }
  return false
}

const CENTER_BELOW = 4

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
