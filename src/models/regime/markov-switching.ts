import { z } from 'zod'
import { seededRandom } from '../../core/random.js'
import { bestOfRestarts, emParamsShape, parseRegimeParams } from './restarts.js'

/**
 * A Markov switching model of returns (Hamilton 1989): K hidden regimes following a first-order Markov chain, and
 * in regime k
 *
 *     r_t = c_k + e_t                       (ar 'none': switching mean and variance)
 *     r_t = c_k + phi_k r_{t-1} + e_t       (ar 'switching': an AR(1) term whose coefficient switches too)
 *
 * with e_t ~ N(0, sigma2_k). The AR(1) term is in intercept form (the regression on the previous return that
 * statsmodels' MarkovRegression fits with the lag as a switching regressor), not Hamilton's mean-adjusted form
 * r_t - mu_{s_t} = phi (r_{t-1} - mu_{s_{t-1}}), which needs K^2 joint states. The coefficient switches (one per
 * regime) rather than being shared because then the M-step stays closed-form: a weighted least squares of r_t on
 * (1, r_{t-1}) per regime, weights the smoothed regime probabilities; a shared coefficient would couple the regimes
 * through their variances. No stationarity constraint is put on phi_k. With an AR term the first row has no previous
 * return: it is an unobserved row (its regime probabilities are the prediction alone), so the likelihood is that
 * of r_2..r_n given r_1.
 *
 * Fitting (on the training window only; the caller passes just those rows) is EM: the E-step is the Hamilton filter
 * (densities relative to their row maximum before exp, each row normalised, log-likelihood sum_t log s_t + max_t)
 * and Kim's smoother over the filtered and predicted probabilities, which also yields the expected transition
 * counts; the M-step is closed-form (initial probabilities, transition matrix, weighted means and variances, or the
 * per-regime weighted least squares). Every variance is floored at min_variance_ratio times the sample variance of
 * the training returns. Every buffer is allocated once per fit, none per row or iteration.
 *
 * Several restarts, each seeded by deriveSeed(seed, 'markov_switching', 'restart', r), start from randomised
 * parameters around the sample moments; the fit with the best final log-likelihood is kept (the first on ties).
 * The regimes are then ordered by variance, ascending, so that regime 0 is the calmest on every refit.
 *
 * At prediction time only the filter (markov-filter.ts) is used: P(regime_t | r_1..r_t), never smoothed.
 */

const MAX_REGIMES = 8

export const markovSwitchingParams = z.strictObject({
  regimes: z.number().int().min(1).max(MAX_REGIMES).default(2).describe('number of regimes'),
  ar: z
    .enum(['none', 'switching'])
    .default('none')
    .describe("'switching': an AR(1) term on the previous return, its coefficient one per regime"),
  ...emParamsShape({ maxIter: 1000, maxIterLimit: 100_000, tol: 1e-9, what: 'EM' }),
  min_variance_ratio: z
    .number()
    .positive()
    .max(1)
    .default(1e-6)
    .describe('floor of every regime variance, as a fraction of the sample variance of the training returns'),
})
export type MarkovSwitchingParams = z.infer<typeof markovSwitchingParams>

/** Parse raw params; errors name the field. */
export function parseMarkovSwitchingParams(raw: unknown): MarkovSwitchingParams {
  return parseRegimeParams(markovSwitchingParams, raw, 'markov switching')
}

/** A Markov switching model's parameters: transmat (K, K) row-major, P(next = j | now = i) at [i * K + j]. */
export interface MarkovSwitching {
  readonly regimes: number
  /** whether the model has the switching AR(1) term */
  readonly ar: boolean
  readonly startProb: Float64Array
  readonly transmat: Float64Array
  /** c_k: the regime mean without an AR term, the intercept with one */
  readonly intercepts: Float64Array
  /** phi_k (length K) with an AR term, empty without */
  readonly arCoefs: Float64Array
  readonly variances: Float64Array
}

export interface EmOptions {
  readonly maxIter: number
  /** per-row log-likelihood gain under which the fit stops; 0 runs maxIter iterations */
  readonly tol: number
  /** absolute floor of every regime variance */
  readonly minVariance: number
}

export interface EmResult {
  readonly model: MarkovSwitching
  /** log-likelihood of the training returns under the returned model */
  readonly logLikelihood: number
  /** M-steps applied */
  readonly iterations: number
  /** whether the tolerance stopped the fit (false when it ran out of iterations, or tol was 0) */
  readonly converged: boolean
}

export interface MarkovSwitchingFit extends EmResult {
  /** every restart's seed and outcome, in order (before the variance ordering of the kept one) */
  readonly restarts: readonly { seed: number; logLikelihood: number; iterations: number; converged: boolean }[]
  /** the variance floor used: min_variance_ratio times the sample variance */
  readonly minVariance: number
}

/** Checks that r holds n finite returns; errors name the first bad row. */
export function checkReturns(r: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`markov switching: needs at least one row, got n=${n}`)
  if (r.length !== n) throw new Error(`markov switching: returns hold ${r.length} values, not n = ${n}`)
  for (let t = 0; t < n; t++)
    if (!Number.isFinite(r[t])) throw new Error(`markov switching: return row ${t} is ${r[t]} (rows must be finite)`)
}

/** Checks a model's shapes, that its probabilities are probabilities and its variances positive. */
export function checkModel(m: MarkovSwitching): void {
  const K = m.regimes
  if (!Number.isInteger(K) || K < 1) throw new Error(`markov switching: regimes must be a positive integer, got ${K}`)
  const shape = (name: string, a: Float64Array, len: number) => {
    if (a.length !== len) throw new Error(`markov switching: ${name} holds ${a.length} values, expected ${len}`)
    for (let i = 0; i < a.length; i++)
      if (!Number.isFinite(a[i])) throw new Error(`markov switching: ${name}[${i}] is ${a[i]}`)
  }
  shape('startProb', m.startProb, K)
  shape('transmat', m.transmat, K * K)
  shape('intercepts', m.intercepts, K)
  shape('arCoefs', m.arCoefs, m.ar ? K : 0)
  shape('variances', m.variances, K)
  for (let k = 0; k < K; k++)
    if (!(m.variances[k] > 0)) throw new Error(`markov switching: regime ${k} variance ${m.variances[k]} is not > 0`)
  const simplex = (name: string, a: Float64Array, o: number) => {
    let s = 0
    for (let k = 0; k < K; k++) {
      if (a[o + k] < 0) throw new Error(`markov switching: ${name} has a negative probability ${a[o + k]}`)
      s += a[o + k]
    }
    if (Math.abs(s - 1) > 1e-6) throw new Error(`markov switching: ${name} sums to ${s}, not 1`)
  }
  simplex('startProb', m.startProb, 0)
  for (let i = 0; i < K; i++) simplex(`transmat row ${i}`, m.transmat, i * K)
}

/**
 * A model's densities precomputed once per parameter set, so that a filter step only subtracts, multiplies, adds
 * and takes K exps.
 */
export interface Kernel {
  readonly regimes: number
  readonly ar: boolean
  readonly startProb: Float64Array
  readonly transmat: Float64Array
  readonly intercepts: Float64Array
  readonly arCoefs: Float64Array
  /** -0.5 log(2 pi sigma2_k) */
  readonly logNorm: Float64Array
  /** 0.5 / sigma2_k */
  readonly halfPrecision: Float64Array
}

const LOG_2PI = Math.log(2 * Math.PI)

export function kernelOf(m: MarkovSwitching): Kernel {
  const K = m.regimes
  const logNorm = new Float64Array(K)
  const halfPrecision = new Float64Array(K)
  for (let k = 0; k < K; k++) {
    logNorm[k] = -0.5 * (LOG_2PI + Math.log(m.variances[k]))
    halfPrecision[k] = 0.5 / m.variances[k]
  }
  return {
    regimes: K,
    ar: m.ar,
    startProb: Float64Array.from(m.startProb),
    transmat: Float64Array.from(m.transmat),
    intercepts: Float64Array.from(m.intercepts),
    arCoefs: Float64Array.from(m.arCoefs),
    logNorm,
    halfPrecision,
  }
}

/**
 * One step of the Hamilton filter, shared by the fit's E-step and the incremental filter so that both compute the
 * same numbers. From the previous filtered probabilities post[po..po + K) (or the initial probabilities when
 * `first`), writes the prediction P(regime_t | r_1..r_{t-1}) to pred[qo..qo + K) and the filtered probabilities
 * P(regime_t | r_1..r_t) to post[oo..oo + K); dens (length K) is scratch. The row is observed when r (and, with an
 * AR term, the previous return lag) is finite; an unobserved row's filtered probabilities are its prediction.
 * Returns log p(r_t | r_1..r_{t-1}): 0 for an unobserved row, -Infinity when the prediction gives zero weight to
 * every regime that can emit r_t (then the filtered probabilities restart from the densities alone).
 */
export function hamiltonStep(
  k: Kernel,
  first: boolean,
  post: Float64Array,
  po: number,
  r: number,
  lag: number,
  pred: Float64Array,
  qo: number,
  out: Float64Array,
  oo: number,
  dens: Float64Array,
): number {
  const K = k.regimes
  if (first) {
    for (let j = 0; j < K; j++) pred[qo + j] = k.startProb[j]
  } else {
    const A = k.transmat
    for (let j = 0; j < K; j++) {
      let acc = 0
      for (let i = 0; i < K; i++) acc += post[po + i] * A[i * K + j]
      pred[qo + j] = acc
    }
  }
  const observed = Number.isFinite(r) && (!k.ar || Number.isFinite(lag))
  if (!observed) {
    let s = 0
    for (let j = 0; j < K; j++) s += pred[qo + j]
    const inv = 1 / s
    for (let j = 0; j < K; j++) out[oo + j] = pred[qo + j] * inv
    return 0
  }
  let mx = -Infinity
  for (let j = 0; j < K; j++) {
    const z = k.ar ? r - k.intercepts[j] - k.arCoefs[j] * lag : r - k.intercepts[j]
    const lb = k.logNorm[j] - z * z * k.halfPrecision[j]
    dens[j] = lb
    if (lb > mx) mx = lb
  }
  let s = 0
  for (let j = 0; j < K; j++) {
    const b = Math.exp(dens[j] - mx)
    dens[j] = b
    const v = pred[qo + j] * b
    out[oo + j] = v
    s += v
  }
  if (s > 0 && Number.isFinite(s)) {
    const inv = 1 / s
    for (let j = 0; j < K; j++) out[oo + j] *= inv
    return Math.log(s) + mx
  }
  let sd = 0
  for (let j = 0; j < K; j++) sd += dens[j]
  const inv = 1 / sd
  for (let j = 0; j < K; j++) out[oo + j] = dens[j] * inv
  return -Infinity
}

/** Buffers of one fit: allocated once, reused by every iteration. */
interface Work {
  readonly pred: Float64Array // (n, K): predicted probabilities
  readonly filt: Float64Array // (n, K): filtered probabilities
  readonly smooth: Float64Array // (n, K): smoothed probabilities
  readonly xi: Float64Array // (K, K): expected transition counts
  readonly dens: Float64Array // (K) scratch
  readonly ratio: Float64Array // (K) scratch
}

function allocWork(n: number, K: number): Work {
  return {
    pred: new Float64Array(n * K),
    filt: new Float64Array(n * K),
    smooth: new Float64Array(n * K),
    xi: new Float64Array(K * K),
    dens: new Float64Array(K),
    ratio: new Float64Array(K),
  }
}

/** The Hamilton filter over every row: fills w.pred and w.filt; returns log p(r_1..r_n) (conditional on r_1 with AR). */
function filterAll(kn: Kernel, r: Float64Array, n: number, w: Work): number {
  const K = kn.regimes
  const { pred, filt, dens } = w
  let ll = 0
  for (let t = 0; t < n; t++) {
    const lag = t === 0 ? NaN : r[t - 1]
    const step = hamiltonStep(kn, t === 0, filt, (t - 1) * K, r[t], lag, pred, t * K, filt, t * K, dens)
    if (step === -Infinity)
      throw new Error(`markov switching: return row ${t} has probability 0 under every regime (degenerate parameters)`)
    ll += step
  }
  return ll
}

/** Log-likelihood of the returns r (n) under a model (with an AR term: of r_2..r_n given r_1). */
export function logLikelihood(m: MarkovSwitching, r: Float64Array, n: number): number {
  checkModel(m)
  checkReturns(r, n)
  return filterAll(kernelOf(m), r, n, allocWork(n, m.regimes))
}

/**
 * Kim's smoother over w.filt and w.pred: writes P(regime_t | r_1..r_n) to w.smooth and the expected transition
 * counts sum_t P(regime_t = i, regime_{t+1} = j | r_1..r_n) to w.xi.
 */
function kimSmoother(kn: Kernel, n: number, w: Work): void {
  const K = kn.regimes
  const A = kn.transmat
  const { pred, filt, smooth, xi, ratio } = w
  xi.fill(0)
  const last = (n - 1) * K
  for (let k = 0; k < K; k++) smooth[last + k] = filt[last + k]
  for (let t = n - 2; t >= 0; t--) {
    const o = t * K
    const q = o + K
    // a zero prediction means filt[t, i] A[i, j] = 0 for every i: that term carries nothing
    for (let j = 0; j < K; j++) ratio[j] = pred[q + j] > 0 ? smooth[q + j] / pred[q + j] : 0
    for (let i = 0; i < K; i++) {
      const f = filt[o + i]
      let acc = 0
      for (let j = 0; j < K; j++) {
        const v = A[i * K + j] * ratio[j]
        xi[i * K + j] += f * v
        acc += v
      }
      smooth[o + i] = f * acc
    }
  }
}

/**
 * The smoothed probabilities P(regime_t | r_1..r_n) of every row (n, K): the E-step of a fit. They look at the
 * whole window, future rows included, so they are for fitting only, never for prediction (markov-filter.ts is).
 */
export function smoothedProbabilities(m: MarkovSwitching, r: Float64Array, n: number): Float64Array {
  checkModel(m)
  checkReturns(r, n)
  const w = allocWork(n, m.regimes)
  const kn = kernelOf(m)
  filterAll(kn, r, n, w)
  kimSmoother(kn, n, w)
  return w.smooth
}

/** M-step from the smoothed probabilities and transition counts in w; returns the new model. */
function maximise(m: MarkovSwitching, r: Float64Array, n: number, w: Work, minVariance: number): MarkovSwitching {
  const K = m.regimes
  const { smooth: g, xi } = w
  const startProb = new Float64Array(K)
  let s0 = 0
  for (let k = 0; k < K; k++) s0 += g[k]
  for (let k = 0; k < K; k++) startProb[k] = g[k] / s0
  const transmat = new Float64Array(K * K)
  for (let i = 0; i < K; i++) {
    let s = 0
    for (let j = 0; j < K; j++) s += xi[i * K + j]
    for (let j = 0; j < K; j++) transmat[i * K + j] = s > 0 ? xi[i * K + j] / s : m.transmat[i * K + j]
  }
  const intercepts = new Float64Array(K)
  const arCoefs = new Float64Array(m.ar ? K : 0)
  const variances = new Float64Array(K)
  // With an AR term row 0 is unobserved and carries no weight in the regressions.
  const t0 = m.ar ? 1 : 0
  for (let k = 0; k < K; k++) {
    let sw = 0
    let sy = 0
    let sx = 0
    let sxx = 0
    let sxy = 0
    for (let t = t0; t < n; t++) {
      const gk = g[t * K + k]
      const y = r[t]
      sw += gk
      sy += gk * y
      if (m.ar) {
        const x = r[t - 1]
        sx += gk * x
        sxx += gk * x * x
        sxy += gk * x * y
      }
    }
    // A regime that (numerically) no row belongs to keeps its previous parameters.
    if (!(sw > 1e-10)) {
      intercepts[k] = m.intercepts[k]
      if (m.ar) arCoefs[k] = m.arCoefs[k]
      variances[k] = m.variances[k]
      continue
    }
    let c = sy / sw
    let phi = 0
    if (m.ar) {
      // weighted least squares of r_t on (1, r_{t-1}), centred: phi = cov_w(x, y) / var_w(x)
      const mx = sx / sw
      const vxx = sxx / sw - mx * mx
      if (vxx > 1e-12 * (sxx / sw) && vxx > 0) {
        phi = (sxy / sw - mx * c) / vxx
        c = c - phi * mx
      } else {
        // the lagged returns this regime sees are (nearly) constant: the coefficient is not identified, keep it
        phi = m.arCoefs[k]
        c = c - phi * mx
      }
      arCoefs[k] = phi
    }
    intercepts[k] = c
    // residual variance in a second pass (no cancellation between sums of squares)
    let ss = 0
    for (let t = t0; t < n; t++) {
      const z = m.ar ? r[t] - c - phi * r[t - 1] : r[t] - c
      ss += g[t * K + k] * z * z
    }
    variances[k] = Math.max(ss / sw, minVariance)
  }
  return { regimes: K, ar: m.ar, startProb, transmat, intercepts, arCoefs, variances }
}

/**
 * EM from the given initial parameters: each iteration an E-step (Hamilton filter, Kim smoother) and an M-step.
 * With tol > 0 it stops as soon as an E-step gains less than tol per row over the previous one (keeping the
 * parameters that E-step evaluated); otherwise it runs maxIter iterations and evaluates the final parameters with
 * one more filter pass. No reordering of the regimes here (see orderByVariance).
 */
export function expectationMaximisation(
  r: Float64Array,
  n: number,
  init: MarkovSwitching,
  options: EmOptions,
): EmResult {
  checkModel(init)
  checkReturns(r, n)
  if (!(options.minVariance > 0))
    throw new Error(`markov switching: minVariance must be > 0, got ${options.minVariance}`)
  const w = allocWork(n, init.regimes)
  let m = init
  let prev = -Infinity
  for (let iter = 0; iter < options.maxIter; iter++) {
    const kn = kernelOf(m)
    const ll = filterAll(kn, r, n, w)
    if (options.tol > 0 && iter > 0 && (ll - prev) / n < options.tol)
      return { model: m, logLikelihood: ll, iterations: iter, converged: true }
    prev = ll
    kimSmoother(kn, n, w)
    m = maximise(m, r, n, w, options.minVariance)
  }
  return { model: m, logLikelihood: filterAll(kernelOf(m), r, n, w), iterations: options.maxIter, converged: false }
}

/** Sample mean, variance and lag-1 autocorrelation of the returns. */
function sampleMoments(r: Float64Array, n: number): { mean: number; variance: number; rho: number } {
  let mean = 0
  for (let t = 0; t < n; t++) mean += r[t]
  mean /= n
  let v = 0
  let c = 0
  for (let t = 0; t < n; t++) {
    const z = r[t] - mean
    v += z * z
    if (t > 0) c += z * (r[t - 1] - mean)
  }
  return { mean, variance: v / n, rho: v > 0 ? c / v : 0 }
}

/** The variance floor of a fit: ratio times the sample variance (times 1 when the returns are constant). */
export function varianceFloor(r: Float64Array, n: number, ratio: number): number {
  checkReturns(r, n)
  const v = sampleMoments(r, n).variance
  return ratio * (v > 0 ? v : 1)
}

/**
 * Initial parameters from a seed: regime variances drawn log-uniformly between a quarter and four times the sample
 * variance (then sorted ascending), means within a fifth of a standard deviation of the sample mean, AR
 * coefficients (if any) within 0.1 of the sample lag-1 autocorrelation, a transition matrix with 0.9 to 0.99 on
 * the diagonal and the rest spread evenly, uniform initial probabilities.
 */
export function initialParams(
  r: Float64Array,
  n: number,
  K: number,
  ar: boolean,
  seed: number,
  minVariance: number,
): MarkovSwitching {
  checkReturns(r, n)
  if (!Number.isInteger(K) || K < 1) throw new Error(`markov switching: regimes must be a positive integer, got ${K}`)
  const rand = seededRandom(seed)
  const mom = sampleMoments(r, n)
  const sd = Math.sqrt(mom.variance)
  const variances = new Float64Array(K)
  for (let k = 0; k < K; k++) variances[k] = Math.max(mom.variance * Math.pow(4, 2 * rand() - 1), minVariance)
  variances.sort()
  const intercepts = new Float64Array(K)
  const arCoefs = new Float64Array(ar ? K : 0)
  for (let k = 0; k < K; k++) {
    const phi = ar ? mom.rho + 0.2 * rand() - 0.1 : 0
    if (ar) arCoefs[k] = phi
    intercepts[k] = (mom.mean + 0.2 * sd * (2 * rand() - 1)) * (1 - phi)
  }
  const transmat = new Float64Array(K * K)
  for (let i = 0; i < K; i++) {
    const stay = K === 1 ? 1 : 0.9 + 0.09 * rand()
    for (let j = 0; j < K; j++) transmat[i * K + j] = i === j ? stay : (1 - stay) / (K - 1)
  }
  const startProb = new Float64Array(K).fill(1 / K)
  return { regimes: K, ar, startProb, transmat, intercepts, arCoefs, variances }
}

/** The same model with its regimes permuted so that their variance ascends (ties keep their order). */
export function orderByVariance(m: MarkovSwitching): MarkovSwitching {
  const K = m.regimes
  const order = Array.from({ length: K }, (_, k) => k).sort((a, b) => m.variances[a] - m.variances[b] || a - b)
  const startProb = new Float64Array(K)
  const transmat = new Float64Array(K * K)
  const intercepts = new Float64Array(K)
  const arCoefs = new Float64Array(m.arCoefs.length)
  const variances = new Float64Array(K)
  for (let a = 0; a < K; a++) {
    const k = order[a]
    startProb[a] = m.startProb[k]
    for (let b = 0; b < K; b++) transmat[a * K + b] = m.transmat[k * K + order[b]]
    intercepts[a] = m.intercepts[k]
    if (m.ar) arCoefs[a] = m.arCoefs[k]
    variances[a] = m.variances[k]
  }
  return { regimes: K, ar: m.ar, startProb, transmat, intercepts, arCoefs, variances }
}

/**
 * The stationary (ergodic) distribution of the transition matrix: pi A = pi, sum pi = 1, solved by Gaussian
 * elimination with partial pivoting (K is small). A reducible chain has several; this returns one of them.
 */
export function ergodicProbabilities(m: MarkovSwitching): Float64Array {
  checkModel(m)
  const K = m.regimes
  // rows of (A^T - I), the last replaced by ones; right-hand side e_K
  const M = new Float64Array(K * (K + 1))
  for (let i = 0; i < K; i++)
    for (let j = 0; j < K; j++) M[i * (K + 1) + j] = i === K - 1 ? 1 : m.transmat[j * K + i] - (i === j ? 1 : 0)
  M[(K - 1) * (K + 1) + K] = 1
  for (let c = 0; c < K; c++) {
    let p = c
    for (let i = c + 1; i < K; i++) if (Math.abs(M[i * (K + 1) + c]) > Math.abs(M[p * (K + 1) + c])) p = i
    if (M[p * (K + 1) + c] === 0)
      throw new Error('markov switching: the transition matrix has no unique ergodic distribution')
    if (p !== c)
      for (let j = 0; j <= K; j++) {
        const tmp = M[c * (K + 1) + j]
        M[c * (K + 1) + j] = M[p * (K + 1) + j]
        M[p * (K + 1) + j] = tmp
      }
    for (let i = c + 1; i < K; i++) {
      const f = M[i * (K + 1) + c] / M[c * (K + 1) + c]
      for (let j = c; j <= K; j++) M[i * (K + 1) + j] -= f * M[c * (K + 1) + j]
    }
  }
  const pi = new Float64Array(K)
  for (let i = K - 1; i >= 0; i--) {
    let s = M[i * (K + 1) + K]
    for (let j = i + 1; j < K; j++) s -= M[i * (K + 1) + j] * pi[j]
    pi[i] = Math.max(0, s / M[i * (K + 1) + i])
  }
  let s = 0
  for (let k = 0; k < K; k++) s += pi[k]
  for (let k = 0; k < K; k++) pi[k] /= s
  return pi
}

/**
 * Fit a Markov switching model to the training returns r (n): every restart, the best kept, regimes ordered by
 * variance.
 */
export function fitMarkovSwitching(r: Float64Array, n: number, params: MarkovSwitchingParams): MarkovSwitchingFit {
  checkReturns(r, n)
  const K = params.regimes
  const ar = params.ar === 'switching'
  const need = ar ? K + 2 : K + 1
  if (n < need)
    throw new Error(
      `markov switching: ${K} regimes${ar ? ' with an AR term' : ''} need at least ${need} rows, got ${n}`,
    )
  const minVariance = varianceFloor(r, n, params.min_variance_ratio)
  const options = { maxIter: params.max_iter, tol: params.tol, minVariance }
  const { best, restarts } = bestOfRestarts(params.restarts, params.seed, 'markov_switching', (seed) =>
    expectationMaximisation(r, n, initialParams(r, n, K, ar, seed, minVariance), options),
  )
  return { ...best, model: orderByVariance(best.model), restarts, minVariance }
}

const finite = z.number().refine(Number.isFinite, 'must be finite')

/** The saved state: plain JSON. */
export const markovSwitchingState = z.strictObject({
  format: z.literal('mlfactory.markov_switching'),
  version: z.literal(1),
  regimes: z.number().int().min(1).max(MAX_REGIMES),
  ar: z.enum(['none', 'switching']),
  start_prob: z.array(finite),
  transmat: z.array(z.array(finite)),
  intercepts: z.array(finite),
  /** null without an AR term */
  ar_coefs: z.array(finite).nullable(),
  variances: z.array(finite),
})
export type MarkovSwitchingState = z.infer<typeof markovSwitchingState>

export function markovSwitchingToJson(m: MarkovSwitching): MarkovSwitchingState {
  const K = m.regimes
  return {
    format: 'mlfactory.markov_switching',
    version: 1,
    regimes: K,
    ar: m.ar ? 'switching' : 'none',
    start_prob: [...m.startProb],
    transmat: Array.from({ length: K }, (_, i) => [...m.transmat.subarray(i * K, i * K + K)]),
    intercepts: [...m.intercepts],
    ar_coefs: m.ar ? [...m.arCoefs] : null,
    variances: [...m.variances],
  }
}

/** A model from its saved state; errors name the field whose shape or values are wrong. */
export function markovSwitchingFromJson(raw: unknown): MarkovSwitching {
  const parsed = markovSwitchingState.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    throw new Error(`markov switching state: ${issues.join('; ')}`)
  }
  const s = parsed.data
  const K = s.regimes
  const vec = (name: string, v: readonly number[], len: number) => {
    if (v.length !== len) throw new Error(`markov switching state: ${name} must hold ${len} entries`)
    return Float64Array.from(v)
  }
  const ar = s.ar === 'switching'
  if (ar !== (s.ar_coefs !== null))
    throw new Error(`markov switching state: ar_coefs must be ${ar ? 'a list' : 'null'} when ar is '${s.ar}'`)
  if (s.transmat.length !== K) throw new Error(`markov switching state: transmat must hold ${K} entries`)
  const transmat = new Float64Array(K * K)
  s.transmat.forEach((row, i) => transmat.set(vec(`transmat[${i}]`, row, K), i * K))
  const m: MarkovSwitching = {
    regimes: K,
    ar,
    startProb: vec('start_prob', s.start_prob, K),
    transmat,
    intercepts: vec('intercepts', s.intercepts, K),
    arCoefs: ar ? vec('ar_coefs', s.ar_coefs!, K) : new Float64Array(0),
    variances: vec('variances', s.variances, K),
  }
  checkModel(m)
  return m
}
