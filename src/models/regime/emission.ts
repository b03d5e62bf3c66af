/**
 * Gaussian emission densities of an HMM's states, precomputed once per parameter set so that the hot loops (the
 * Baum-Welch E-step over every row, the filter's one row per update) only subtract, multiply and add.
 *
 * - diag: per state, 0.5 / variance per feature and the log normalising constant.
 * - full: per state, the lower Cholesky factor L of the covariance (row-major d x d) and the log normalising
 *   constant -0.5 (d log 2 pi + 2 sum log L_ii); the quadratic form is |L^-1 (x - mu)|^2 by forward substitution.
 */
export type CovarianceType = 'diag' | 'full'

export interface GaussianEmission {
  readonly states: number
  readonly dim: number
  readonly covariance: CovarianceType
  readonly means: Float64Array
  /** diag: 0.5 / variance (K, d); full: lower Cholesky factors (K, d, d) */
  readonly factor: Float64Array
  readonly logNorm: Float64Array
  /** scratch for the full-covariance solve (length d) */
  readonly work: Float64Array
}

const LOG_2PI = Math.log(2 * Math.PI)

/** Precompute the emission of K states from means (K, d) and covariances (diag: (K, d); full: (K, d, d)). */
export function gaussianEmission(
  states: number,
  dim: number,
  covariance: CovarianceType,
  means: Float64Array,
  covars: Float64Array,
): GaussianEmission {
  const K = states
  const d = dim
  const logNorm = new Float64Array(K)
  let factor: Float64Array
  if (covariance === 'diag') {
    factor = new Float64Array(K * d)
    for (let k = 0; k < K; k++) {
      let logDet = 0
      for (let j = 0; j < d; j++) {
        const v = covars[k * d + j]
        if (!(v > 0) || !Number.isFinite(v)) throw new Error(`gaussian HMM: state ${k} variance ${j} is ${v}`)
        factor[k * d + j] = 0.5 / v
        logDet += Math.log(v)
      }
      logNorm[k] = -0.5 * (d * LOG_2PI + logDet)
    }
  } else {
    factor = new Float64Array(K * d * d)
    for (let k = 0; k < K; k++) {
      const o = k * d * d
      choleskyInto(covars, o, d, factor, o, k)
      let logDet = 0
      for (let j = 0; j < d; j++) logDet += 2 * Math.log(factor[o + j * d + j])
      logNorm[k] = -0.5 * (d * LOG_2PI + logDet)
    }
  }
  return { states: K, dim: d, covariance, means, factor, logNorm, work: new Float64Array(d) }
}

/** Lower Cholesky factor of the symmetric d x d matrix at a[ao...] into l[lo...]; errors name the state. */
function choleskyInto(a: Float64Array, ao: number, d: number, l: Float64Array, lo: number, state: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[ao + i * d + j]
      for (let m = 0; m < j; m++) s -= l[lo + i * d + m] * l[lo + j * d + m]
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s))
          throw new Error(`gaussian HMM: state ${state} covariance is not positive definite (pivot ${i} is ${s})`)
        l[lo + i * d + i] = Math.sqrt(s)
      } else {
        l[lo + i * d + j] = s / l[lo + j * d + j]
      }
    }
    for (let j = i + 1; j < d; j++) l[lo + i * d + j] = 0
  }
}

/** log N(x | state k) for every state k, of the row x[xo .. xo + d), written to out[oo .. oo + K). */
export function rowLogDensities(e: GaussianEmission, x: ArrayLike<number>, xo: number, out: Float64Array, oo: number) {
  const K = e.states
  const d = e.dim
  const mu = e.means
  const f = e.factor
  if (e.covariance === 'diag') {
    for (let k = 0; k < K; k++) {
      const ko = k * d
      let q = 0
      for (let j = 0; j < d; j++) {
        const z = x[xo + j] - mu[ko + j]
        q += z * z * f[ko + j]
      }
      out[oo + k] = e.logNorm[k] - q
    }
  } else {
    const z = e.work
    for (let k = 0; k < K; k++) {
      const lo = k * d * d
      let q = 0
      for (let i = 0; i < d; i++) {
        let s = x[xo + i] - mu[k * d + i]
        for (let m = 0; m < i; m++) s -= f[lo + i * d + m] * z[m]
        const zi = s / f[lo + i * d + i]
        z[i] = zi
        q += zi * zi
      }
      out[oo + k] = e.logNorm[k] - 0.5 * q
    }
  }
}

/** rowLogDensities for every row of the row-major (n, d) observations, into out (n, K). */
export function logDensities(e: GaussianEmission, x: Float64Array, n: number, out: Float64Array): void {
  const K = e.states
  const d = e.dim
  for (let t = 0; t < n; t++) rowLogDensities(e, x, t * d, out, t * K)
}
