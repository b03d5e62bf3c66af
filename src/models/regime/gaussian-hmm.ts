import { z } from 'zod'
import { seededRandom } from '../../core/random.js'
import { bestOfRestarts, emParamsShape, parseRegimeParams } from './restarts.js'
import { gaussianEmission, logDensities, type CovarianceType, type GaussianEmission } from './emission.js'

/**
 * A Gaussian hidden Markov model fitted by Baum-Welch: K hidden states, each emitting a d-dimensional Gaussian
 * (diagonal or full covariance), a first-order transition matrix and initial state probabilities.
 *
 * Fitting (on the training window only; the caller passes just those rows) uses the scaled forward-backward
 * recursion over row-major Float64Array observations (n, d): emission densities are taken relative to their row
 * maximum before exp, alpha is normalised each row and its normaliser s_t kept, beta is scaled by the same s_t; the
 * log-likelihood is sum_t (log s_t + max_t). Every buffer is allocated once per fit, none per row or iteration.
 *
 * Several restarts, each seeded by deriveSeed(seed, 'gaussian_hmm', 'restart', r), start from a k-means++-style
 * seeding; the fit with the best final log-likelihood is kept (the first on ties). The states are then ordered by
 * volatility (trace of the covariance, ascending) so that state 0 is the calmest on every refit.
 *
 * At prediction time only the forward filter (hmm-filter.ts) is used: P(state_t | x_1..x_t), never smoothed.
 */

const MAX_STATES = 16

export const gaussianHmmParams = z.strictObject({
  states: z
    .union([z.number().int().min(1).max(MAX_STATES), z.literal('bic')])
    .default(2)
    .describe("number of hidden states, or 'bic' to choose it in 1..max_states by the lowest BIC"),
  max_states: z
    .number()
    .int()
    .min(1)
    .max(MAX_STATES)
    .default(4)
    .describe("largest number of states tried when states is 'bic'"),
  covariance: z.enum(['diag', 'full']).default('diag').describe('covariance of each state: diagonal or full'),
  ...emParamsShape({ maxIter: 100, maxIterLimit: 10_000, tol: 1e-6, what: 'Baum-Welch' }),
  min_variance: z
    .number()
    .positive()
    .default(1e-6)
    .describe('floor of every variance (diag) or ridge added to the covariance diagonal (full)'),
})
export type GaussianHmmParams = z.infer<typeof gaussianHmmParams>

/** Parse raw params; errors name the field. */
export function parseGaussianHmmParams(raw: unknown): GaussianHmmParams {
  return parseRegimeParams(gaussianHmmParams, raw, 'gaussian HMM')
}

/** A Gaussian HMM's parameters, row-major: transmat (K, K), means (K, d), covars diag (K, d) or full (K, d, d). */
export interface GaussianHmm {
  readonly states: number
  readonly dim: number
  readonly covariance: CovarianceType
  readonly startProb: Float64Array
  readonly transmat: Float64Array
  readonly means: Float64Array
  readonly covars: Float64Array
}

export interface BaumWelchOptions {
  readonly maxIter: number
  /** per-row log-likelihood gain under which the fit stops; 0 runs maxIter iterations */
  readonly tol: number
  readonly minVariance: number
}

export interface BaumWelchResult {
  readonly model: GaussianHmm
  /** log-likelihood of the training rows under the returned model */
  readonly logLikelihood: number
  /** M-steps applied */
  readonly iterations: number
  /** whether the tolerance stopped the fit (false when it ran out of iterations, or tol was 0) */
  readonly converged: boolean
}

export interface GaussianHmmFit extends BaumWelchResult {
  /** every restart's seed and outcome, in order (before the volatility ordering of the kept one) */
  readonly restarts: readonly { seed: number; logLikelihood: number; iterations: number; converged: boolean }[]
  /** when states was 'bic': each K tried with its log-likelihood and BIC */
  readonly bic?: readonly { states: number; logLikelihood: number; bic: number }[]
}

function covarsLength(K: number, d: number, covariance: CovarianceType): number {
  return covariance === 'diag' ? K * d : K * d * d
}

/** Checks that x holds n rows of d finite values; errors name the first bad row and column. */
export function checkObservations(x: Float64Array, n: number, d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new Error(`gaussian HMM: dimension d must be a positive integer, got ${d}`)
  if (!Number.isInteger(n) || n < 1) throw new Error(`gaussian HMM: needs at least one row, got n=${n}`)
  if (x.length !== n * d)
    throw new Error(`gaussian HMM: observations hold ${x.length} values, not n x d = ${n} x ${d} = ${n * d}`)
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const row = Math.floor(i / d)
      throw new Error(`gaussian HMM: observation row ${row}, column ${i - row * d} is ${x[i]} (rows must be finite)`)
    }
  }
}

/** Checks a model's shapes and that its probabilities are probabilities. */
export function checkModel(m: GaussianHmm): void {
  const K = m.states
  const d = m.dim
  if (!Number.isInteger(K) || K < 1) throw new Error(`gaussian HMM: states must be a positive integer, got ${K}`)
  if (!Number.isInteger(d) || d < 1) throw new Error(`gaussian HMM: dim must be a positive integer, got ${d}`)
  const shape = (name: string, a: Float64Array, len: number) => {
    if (a.length !== len) throw new Error(`gaussian HMM: ${name} holds ${a.length} values, expected ${len}`)
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i])) throw new Error(`gaussian HMM: ${name}[${i}] is ${a[i]}`)
  }
  shape('startProb', m.startProb, K)
  shape('transmat', m.transmat, K * K)
  shape('means', m.means, K * d)
  shape('covars', m.covars, covarsLength(K, d, m.covariance))
  const simplex = (name: string, a: Float64Array, o: number) => {
    let s = 0
    for (let k = 0; k < K; k++) {
      if (a[o + k] < 0) throw new Error(`gaussian HMM: ${name} has a negative probability ${a[o + k]}`)
      s += a[o + k]
    }
    if (Math.abs(s - 1) > 1e-6) throw new Error(`gaussian HMM: ${name} sums to ${s}, not 1`)
  }
  simplex('startProb', m.startProb, 0)
  for (let i = 0; i < K; i++) simplex(`transmat row ${i}`, m.transmat, i * K)
}

export function emissionOf(m: GaussianHmm): GaussianEmission {
  return gaussianEmission(m.states, m.dim, m.covariance, m.means, m.covars)
}

/** Per-feature mean and variance of all rows (the fallback of a state with too few rows at initialisation). */
function globalMoments(x: Float64Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d)
  for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) mean[j] += x[t * d + j]
  for (let j = 0; j < d; j++) mean[j] /= n
  const cov = new Float64Array(d * d)
  for (let t = 0; t < n; t++)
    for (let i = 0; i < d; i++) {
      const zi = x[t * d + i] - mean[i]
      for (let j = 0; j <= i; j++) cov[i * d + j] += zi * (x[t * d + j] - mean[j])
    }
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      cov[i * d + j] /= n
      cov[j * d + i] = cov[i * d + j]
    }
  return { mean, cov }
}

/**
 * Initial parameters from a seed: k-means++ seeding of K centres (distances in units of each feature's standard
 * deviation), every row assigned to its nearest centre, each state's mean and covariance taken from its rows (all
 * rows' when it has too few), uniform initial probabilities and a transition matrix with 0.9 on the diagonal.
 */
export function initialParams(
  x: Float64Array,
  n: number,
  d: number,
  K: number,
  covariance: CovarianceType,
  seed: number,
  minVariance: number,
): GaussianHmm {
  checkObservations(x, n, d)
  if (!Number.isInteger(K) || K < 1) throw new Error(`gaussian HMM: states must be a positive integer, got ${K}`)
  if (n < K) throw new Error(`gaussian HMM: ${K} states need at least ${K} rows, got ${n}`)
  const rand = seededRandom(seed)
  const g = globalMoments(x, n, d)
  const w = new Float64Array(d)
  for (let j = 0; j < d; j++) w[j] = 1 / Math.max(g.cov[j * d + j], minVariance)
  const dist2 = (t: number, c: number) => {
    let s = 0
    for (let j = 0; j < d; j++) {
      const z = x[t * d + j] - x[c * d + j]
      s += z * z * w[j]
    }
    return s
  }
  const centers: number[] = [Math.min(n - 1, Math.floor(rand() * n))]
  const near = new Float64Array(n)
  for (let t = 0; t < n; t++) near[t] = dist2(t, centers[0])
  while (centers.length < K) {
    let total = 0
    for (let t = 0; t < n; t++) total += near[t]
    let pick = -1
    if (total > 0) {
      const r = rand() * total
      let acc = 0
      for (let t = 0; t < n && pick < 0; t++) {
        acc += near[t]
        if (acc >= r && near[t] > 0) pick = t
      }
    }
    // every row coincides with a centre already (or rounding ran past the end): any row not yet chosen
    if (pick < 0) pick = Math.min(n - 1, Math.floor(rand() * n))
    centers.push(pick)
    for (let t = 0; t < n; t++) near[t] = Math.min(near[t], dist2(t, pick))
  }
  const label = new Int32Array(n)
  const count = new Float64Array(K)
  for (let t = 0; t < n; t++) {
    let best = 0
    let bestD = Infinity
    for (let k = 0; k < K; k++) {
      const dk = dist2(t, centers[k])
      if (dk < bestD) {
        bestD = dk
        best = k
      }
    }
    label[t] = best
    count[best]++
  }
  const means = new Float64Array(K * d)
  for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) means[label[t] * d + j] += x[t * d + j]
  const full = new Float64Array(K * d * d)
  const enough = (k: number) => count[k] > d + 1
  for (let k = 0; k < K; k++)
    for (let j = 0; j < d; j++) means[k * d + j] = enough(k) ? means[k * d + j] / count[k] : x[centers[k] * d + j]
  for (let t = 0; t < n; t++) {
    const k = label[t]
    if (!enough(k)) continue
    for (let i = 0; i < d; i++) {
      const zi = x[t * d + i] - means[k * d + i]
      for (let j = 0; j <= i; j++) full[k * d * d + i * d + j] += zi * (x[t * d + j] - means[k * d + j])
    }
  }
  const covars = new Float64Array(covarsLength(K, d, covariance))
  for (let k = 0; k < K; k++) {
    const o = k * d * d
    for (let i = 0; i < d; i++)
      for (let j = 0; j <= i; j++) {
        const v = enough(k) ? full[o + i * d + j] / count[k] : g.cov[i * d + j]
        full[o + i * d + j] = v
        full[o + j * d + i] = v
      }
    if (covariance === 'diag') {
      for (let j = 0; j < d; j++) covars[k * d + j] = Math.max(full[o + j * d + j], minVariance)
    } else {
      for (let i = 0; i < d * d; i++) covars[o + i] = full[o + i]
      for (let j = 0; j < d; j++) covars[o + j * d + j] += minVariance
    }
  }
  const startProb = new Float64Array(K).fill(1 / K)
  const transmat = new Float64Array(K * K)
  for (let i = 0; i < K; i++)
    for (let j = 0; j < K; j++) transmat[i * K + j] = K === 1 ? 1 : i === j ? 0.9 : 0.1 / (K - 1)
  return { states: K, dim: d, covariance, startProb, transmat, means, covars }
}

/** Buffers of one fit: allocated once, reused by every iteration. */
interface Work {
  readonly logB: Float64Array // (n, K): log densities, then exp(log density - row max) in place
  readonly rowMax: Float64Array // (n)
  readonly alpha: Float64Array // (n, K): normalised forward variables, then the posteriors gamma in place
  readonly scale: Float64Array // (n): the normaliser s_t of each row
}

function allocWork(n: number, K: number): Work {
  return {
    logB: new Float64Array(n * K),
    rowMax: new Float64Array(n),
    alpha: new Float64Array(n * K),
    scale: new Float64Array(n),
  }
}

/** Scaled forward pass: fills w.logB (as relative densities), w.rowMax, w.alpha, w.scale; returns log p(x_1..n). */
function forward(m: GaussianHmm, x: Float64Array, n: number, w: Work): number {
  const K = m.states
  const { logB: b, rowMax, alpha, scale } = w
  logDensities(emissionOf(m), x, n, b)
  for (let t = 0; t < n; t++) {
    const o = t * K
    let mx = -Infinity
    for (let k = 0; k < K; k++) if (b[o + k] > mx) mx = b[o + k]
    rowMax[t] = mx
    for (let k = 0; k < K; k++) b[o + k] = Math.exp(b[o + k] - mx)
  }
  const A = m.transmat
  const pi = m.startProb
  let ll = 0
  for (let t = 0; t < n; t++) {
    const o = t * K
    let s = 0
    if (t === 0) {
      for (let k = 0; k < K; k++) {
        const v = pi[k] * b[k]
        alpha[k] = v
        s += v
      }
    } else {
      const p = o - K
      for (let j = 0; j < K; j++) {
        let acc = 0
        for (let i = 0; i < K; i++) acc += alpha[p + i] * A[i * K + j]
        const v = acc * b[o + j]
        alpha[o + j] = v
        s += v
      }
    }
    if (!(s > 0) || !Number.isFinite(s))
      throw new Error(`gaussian HMM: row ${t} has probability ${s} under every state path (degenerate parameters)`)
    const inv = 1 / s
    for (let k = 0; k < K; k++) alpha[o + k] *= inv
    scale[t] = s
    ll += Math.log(s) + rowMax[t]
  }
  return ll
}

/** Log-likelihood log p(x_1..x_n) of observations (n, d) under a model. */
export function logLikelihood(m: GaussianHmm, x: Float64Array, n: number): number {
  checkModel(m)
  checkObservations(x, n, m.dim)
  return forward(m, x, n, allocWork(n, m.states))
}

/**
 * Backward pass fused with the expected transition counts: turns w.alpha into the posteriors gamma (n, K) in place
 * and adds sum_t xi_t(i, j) into xi (K, K).
 */
function backward(m: GaussianHmm, n: number, w: Work, xi: Float64Array, beta: Float64Array, next: Float64Array) {
  const K = m.states
  const A = m.transmat
  const { logB: b, alpha, scale } = w
  beta.fill(1)
  // gamma_{n-1} = alpha_{n-1}: beta is 1 there
  for (let t = n - 2; t >= 0; t--) {
    const o = t * K
    const q = o + K
    const inv = 1 / scale[t + 1]
    for (let j = 0; j < K; j++) next[j] = b[q + j] * beta[j] * inv
    for (let i = 0; i < K; i++) {
      const a = alpha[o + i]
      let acc = 0
      for (let j = 0; j < K; j++) {
        const v = A[i * K + j] * next[j]
        xi[i * K + j] += a * v
        acc += v
      }
      beta[i] = acc
    }
    for (let i = 0; i < K; i++) alpha[o + i] = alpha[o + i] * beta[i]
  }
}

/**
 * The posteriors P(state_t | x_1..x_n) of every row (n, K): the E-step of a fit. They look at the whole window,
 * future rows included, so they are for fitting only, never for prediction (hmm-filter.ts is).
 */
export function posteriors(m: GaussianHmm, x: Float64Array, n: number): Float64Array {
  checkModel(m)
  checkObservations(x, n, m.dim)
  const K = m.states
  const w = allocWork(n, K)
  forward(m, x, n, w)
  backward(m, n, w, new Float64Array(K * K), new Float64Array(K), new Float64Array(K))
  return w.alpha
}

/** M-step from the posteriors gamma (in w.alpha) and transition counts xi; returns the new model. */
function maximise(m: GaussianHmm, x: Float64Array, n: number, w: Work, xi: Float64Array, minVariance: number) {
  const K = m.states
  const d = m.dim
  const gamma = w.alpha
  const startProb = new Float64Array(K)
  let s0 = 0
  for (let k = 0; k < K; k++) s0 += gamma[k]
  for (let k = 0; k < K; k++) startProb[k] = gamma[k] / s0
  const transmat = new Float64Array(K * K)
  for (let i = 0; i < K; i++) {
    let s = 0
    for (let j = 0; j < K; j++) s += xi[i * K + j]
    for (let j = 0; j < K; j++) transmat[i * K + j] = s > 0 ? xi[i * K + j] / s : m.transmat[i * K + j]
  }
  const mass = new Float64Array(K)
  const means = new Float64Array(K * d)
  for (let t = 0; t < n; t++) {
    const xo = t * d
    const go = t * K
    for (let k = 0; k < K; k++) {
      const g = gamma[go + k]
      mass[k] += g
      const ko = k * d
      for (let j = 0; j < d; j++) means[ko + j] += g * x[xo + j]
    }
  }
  // A state that (numerically) no row belongs to keeps its previous mean and covariance.
  const alive = (k: number) => mass[k] > 1e-10
  for (let k = 0; k < K; k++)
    for (let j = 0; j < d; j++) means[k * d + j] = alive(k) ? means[k * d + j] / mass[k] : m.means[k * d + j]
  const covars = new Float64Array(m.covars.length)
  if (m.covariance === 'diag') {
    for (let t = 0; t < n; t++) {
      const xo = t * d
      const go = t * K
      for (let k = 0; k < K; k++) {
        const g = gamma[go + k]
        const ko = k * d
        for (let j = 0; j < d; j++) {
          const z = x[xo + j] - means[ko + j]
          covars[ko + j] += g * z * z
        }
      }
    }
    for (let k = 0; k < K; k++)
      for (let j = 0; j < d; j++) {
        const i = k * d + j
        covars[i] = alive(k) ? Math.max(covars[i] / mass[k], minVariance) : m.covars[i]
      }
  } else {
    const z = new Float64Array(d)
    for (let t = 0; t < n; t++) {
      const xo = t * d
      const go = t * K
      for (let k = 0; k < K; k++) {
        const g = gamma[go + k]
        const ko = k * d
        const co = k * d * d
        for (let j = 0; j < d; j++) z[j] = x[xo + j] - means[ko + j]
        for (let i = 0; i < d; i++) {
          const gi = g * z[i]
          for (let j = 0; j <= i; j++) covars[co + i * d + j] += gi * z[j]
        }
      }
    }
    for (let k = 0; k < K; k++) {
      const co = k * d * d
      for (let i = 0; i < d; i++)
        for (let j = 0; j <= i; j++) {
          const v = alive(k) ? covars[co + i * d + j] / mass[k] + (i === j ? minVariance : 0) : m.covars[co + i * d + j]
          covars[co + i * d + j] = v
          covars[co + j * d + i] = v
        }
    }
  }
  return { states: K, dim: d, covariance: m.covariance, startProb, transmat, means, covars }
}

/**
 * Baum-Welch from the given initial parameters: each iteration an E-step (scaled forward-backward) and an M-step.
 * With tol > 0 it stops as soon as an E-step gains less than tol per row over the previous one (keeping the
 * parameters that E-step evaluated); otherwise it runs maxIter iterations and evaluates the final parameters with
 * one more forward pass. No reordering of the states here (see orderByVolatility).
 */
export function baumWelch(
  x: Float64Array,
  n: number,
  d: number,
  init: GaussianHmm,
  options: BaumWelchOptions,
): BaumWelchResult {
  checkModel(init)
  if (init.dim !== d) throw new Error(`gaussian HMM: model dimension ${init.dim} does not match observations d=${d}`)
  checkObservations(x, n, d)
  const K = init.states
  const w = allocWork(n, K)
  const xi = new Float64Array(K * K)
  const beta = new Float64Array(K)
  const next = new Float64Array(K)
  let m = init
  let prev = -Infinity
  for (let iter = 0; iter < options.maxIter; iter++) {
    const ll = forward(m, x, n, w)
    if (options.tol > 0 && iter > 0 && (ll - prev) / n < options.tol)
      return { model: m, logLikelihood: ll, iterations: iter, converged: true }
    prev = ll
    xi.fill(0)
    backward(m, n, w, xi, beta, next)
    m = maximise(m, x, n, w, xi, options.minVariance)
  }
  return { model: m, logLikelihood: forward(m, x, n, w), iterations: options.maxIter, converged: false }
}

/** Volatility of state k: the trace of its covariance. */
export function stateVolatility(m: GaussianHmm, k: number): number {
  const d = m.dim
  let s = 0
  for (let j = 0; j < d; j++) s += m.covariance === 'diag' ? m.covars[k * d + j] : m.covars[k * d * d + j * d + j]
  return s
}

/** The same model with its states permuted so that their volatility ascends (ties keep their order). */
export function orderByVolatility(m: GaussianHmm): GaussianHmm {
  const K = m.states
  const d = m.dim
  const order = Array.from({ length: K }, (_, k) => k).sort(
    (a, b) => stateVolatility(m, a) - stateVolatility(m, b) || a - b,
  )
  const c = m.covariance === 'diag' ? d : d * d
  const startProb = new Float64Array(K)
  const transmat = new Float64Array(K * K)
  const means = new Float64Array(K * d)
  const covars = new Float64Array(K * c)
  for (let a = 0; a < K; a++) {
    const k = order[a]
    startProb[a] = m.startProb[k]
    for (let b = 0; b < K; b++) transmat[a * K + b] = m.transmat[k * K + order[b]]
    means.set(m.means.subarray(k * d, k * d + d), a * d)
    covars.set(m.covars.subarray(k * c, k * c + c), a * c)
  }
  return { states: K, dim: d, covariance: m.covariance, startProb, transmat, means, covars }
}

/** Free parameters: (K - 1) initial + K (K - 1) transition + K d means + K d (diag) or K d (d + 1) / 2 (full). */
export function freeParameters(K: number, d: number, covariance: CovarianceType): number {
  return K - 1 + K * (K - 1) + K * d + (covariance === 'diag' ? K * d : (K * d * (d + 1)) / 2)
}

/** BIC = -2 log L + p log n. */
export function bic(logL: number, K: number, d: number, covariance: CovarianceType, n: number): number {
  return -2 * logL + freeParameters(K, d, covariance) * Math.log(n)
}

/** Fit with a fixed number of states: every restart, the best kept, states ordered by volatility. */
function fitFixed(x: Float64Array, n: number, d: number, K: number, p: GaussianHmmParams): GaussianHmmFit {
  const options = { maxIter: p.max_iter, tol: p.tol, minVariance: p.min_variance }
  const { best, restarts } = bestOfRestarts(p.restarts, p.seed, 'gaussian_hmm', (seed) =>
    baumWelch(x, n, d, initialParams(x, n, d, K, p.covariance, seed, p.min_variance), options),
  )
  return { ...best, model: orderByVolatility(best.model), restarts }
}

/**
 * Fit a Gaussian HMM to the training rows x (n, d). With states 'bic', every K in 1..max_states is fitted and the
 * lowest BIC wins (the smaller K on ties); the fit lists them all.
 */
export function fitGaussianHmm(x: Float64Array, n: number, d: number, params: GaussianHmmParams): GaussianHmmFit {
  checkObservations(x, n, d)
  if (params.states !== 'bic') {
    if (n < params.states) throw new Error(`gaussian HMM: ${params.states} states need at least as many rows, got ${n}`)
    return fitFixed(x, n, d, params.states, params)
  }
  const tried: { states: number; logLikelihood: number; bic: number }[] = []
  let best: GaussianHmmFit | null = null
  let bestBic = Infinity
  for (let K = 1; K <= Math.min(params.max_states, n); K++) {
    const fit = fitFixed(x, n, d, K, params)
    const b = bic(fit.logLikelihood, K, d, params.covariance, n)
    tried.push({ states: K, logLikelihood: fit.logLikelihood, bic: b })
    if (b < bestBic) {
      bestBic = b
      best = fit
    }
  }
  return { ...best!, bic: tried }
}

const finite = z.number().refine(Number.isFinite, 'must be finite')

/** The saved state: plain JSON, nested arrays by state. */
export const gaussianHmmState = z.strictObject({
  format: z.literal('mlfactory.gaussian_hmm'),
  version: z.literal(1),
  states: z.number().int().min(1).max(MAX_STATES),
  dim: z.number().int().min(1),
  covariance: z.enum(['diag', 'full']),
  start_prob: z.array(finite),
  transmat: z.array(z.array(finite)),
  means: z.array(z.array(finite)),
  /** diag: (K, d) variances; full: (K, d, d) covariances */
  covars: z.union([z.array(z.array(finite)), z.array(z.array(z.array(finite)))]),
})
export type GaussianHmmState = z.infer<typeof gaussianHmmState>

export function gaussianHmmToJson(m: GaussianHmm): GaussianHmmState {
  const K = m.states
  const d = m.dim
  const rows = (a: Float64Array, w: number) =>
    Array.from({ length: a.length / w }, (_, i) => [...a.subarray(i * w, i * w + w)])
  return {
    format: 'mlfactory.gaussian_hmm',
    version: 1,
    states: K,
    dim: d,
    covariance: m.covariance,
    start_prob: [...m.startProb],
    transmat: rows(m.transmat, K),
    means: rows(m.means, d),
    covars:
      m.covariance === 'diag'
        ? rows(m.covars, d)
        : Array.from({ length: K }, (_, k) => rows(m.covars.subarray(k * d * d, (k + 1) * d * d), d)),
  }
}

/** A model from its saved state; errors name the field whose shape or values are wrong. */
export function gaussianHmmFromJson(raw: unknown): GaussianHmm {
  const parsed = gaussianHmmState.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    throw new Error(`gaussian HMM state: ${issues.join('; ')}`)
  }
  const s = parsed.data
  const K = s.states
  const d = s.dim
  const flat = (name: string, v: unknown, shape: readonly number[]): Float64Array => {
    const out: number[] = []
    const walk = (u: unknown, depth: number, path: string) => {
      if (depth === shape.length) {
        if (typeof u !== 'number') throw new Error(`gaussian HMM state: ${path} is not a number`)
        out.push(u)
        return
      }
      if (!Array.isArray(u) || u.length !== shape[depth])
        throw new Error(`gaussian HMM state: ${path} must hold ${shape[depth]} entries`)
      u.forEach((e, i) => walk(e, depth + 1, `${path}[${i}]`))
    }
    walk(v, 0, name)
    return Float64Array.from(out)
  }
  const m: GaussianHmm = {
    states: K,
    dim: d,
    covariance: s.covariance,
    startProb: flat('start_prob', s.start_prob, [K]),
    transmat: flat('transmat', s.transmat, [K, K]),
    means: flat('means', s.means, [K, d]),
    covars: flat('covars', s.covars, s.covariance === 'diag' ? [K, d] : [K, d, d]),
  }
  checkModel(m)
  emissionOf(m) // variances positive, covariances positive definite
  return m
}
