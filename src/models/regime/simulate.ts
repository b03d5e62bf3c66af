import { seededRandom, standardNormal } from '../../core/random.js'
import type { GaussianHmm } from './gaussian-hmm.js'
import type { MarkovSwitching } from './markov-switching.js'

/**
 * Draws n rows (and their true states) from a Gaussian HMM with a seeded generator: synthetic data for the tests
 * and benchmarks, where the generating states and parameters are known.
 */
export function sampleHmm(m: GaussianHmm, n: number, seed: number): { x: Float64Array; states: Int32Array } {
  const rand = seededRandom(seed)
  const K = m.states
  const d = m.dim
  const normal = () => standardNormal(rand)
  const pick = (p: Float64Array, o: number) => {
    const u = rand()
    let acc = 0
    for (let k = 0; k < K - 1; k++) {
      acc += p[o + k]
      if (u < acc) return k
    }
    return K - 1
  }
  // lower Cholesky factors of the covariances (diagonal: standard deviations)
  const chol = new Float64Array(K * d * d)
  for (let k = 0; k < K; k++) {
    const o = k * d * d
    for (let i = 0; i < d; i++)
      for (let j = 0; j <= i; j++) {
        const cov = (a: number, b: number) =>
          m.covariance === 'diag' ? (a === b ? m.covars[k * d + a] : 0) : m.covars[o + a * d + b]
        let s = cov(i, j)
        for (let l = 0; l < j; l++) s -= chol[o + i * d + l] * chol[o + j * d + l]
        chol[o + i * d + j] = i === j ? Math.sqrt(s) : s / chol[o + j * d + j]
      }
  }
  const x = new Float64Array(n * d)
  const states = new Int32Array(n)
  const z = new Float64Array(d)
  let s = pick(m.startProb, 0)
  for (let t = 0; t < n; t++) {
    if (t > 0) s = pick(m.transmat, s * K)
    states[t] = s
    for (let j = 0; j < d; j++) z[j] = normal()
    for (let i = 0; i < d; i++) {
      let v = m.means[s * d + i]
      for (let j = 0; j <= i; j++) v += chol[s * d * d + i * d + j] * z[j]
      x[t * d + i] = v
    }
  }
  return { x, states }
}

/**
 * Draws n returns (and their true regimes) from a Markov switching model with a seeded generator; with an AR term
 * the first return's lag is 0.
 */
export function sampleMarkovSwitching(
  m: MarkovSwitching,
  n: number,
  seed: number,
): { r: Float64Array; regimes: Int32Array } {
  const rand = seededRandom(seed)
  const K = m.regimes
  const normal = () => standardNormal(rand)
  const pick = (p: Float64Array, o: number) => {
    const u = rand()
    let acc = 0
    for (let k = 0; k < K - 1; k++) {
      acc += p[o + k]
      if (u < acc) return k
    }
    return K - 1
  }
  const sd = Float64Array.from(m.variances, Math.sqrt)
  const r = new Float64Array(n)
  const regimes = new Int32Array(n)
  let s = pick(m.startProb, 0)
  let lag = 0
  for (let t = 0; t < n; t++) {
    if (t > 0) s = pick(m.transmat, s * K)
    regimes[t] = s
    const v = m.intercepts[s] + (m.ar ? m.arCoefs[s] * lag : 0) + sd[s] * normal()
    r[t] = v
    lag = v
  }
  return { r, regimes }
}
