import { seededRandom } from '../../../src/core/random.js'
import type { GaussianHmm } from '../../../src/models/regime/gaussian-hmm.js'

/** Draws n rows (and their true states) from a Gaussian HMM with a seeded generator. */
export function sampleHmm(m: GaussianHmm, n: number, seed: number): { x: Float64Array; states: Int32Array } {
  const rand = seededRandom(seed)
  const K = m.states
  const d = m.dim
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
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

/** The known 2-state models of the tests: a calm state 0 and a volatile state 1. */
export function twoStateModel(covariance: 'diag' | 'full'): GaussianHmm {
  return {
    states: 2,
    dim: 2,
    covariance,
    startProb: Float64Array.from([0.6, 0.4]),
    transmat: Float64Array.from([0.97, 0.03, 0.06, 0.94]),
    means: Float64Array.from([0.1, 0, -0.4, 0.8]),
    covars:
      covariance === 'diag'
        ? Float64Array.from([0.5, 0.4, 2.0, 1.5])
        : Float64Array.from([0.5, 0.25, 0.25, 0.4, 2.0, -0.9, -0.9, 1.5]),
  }
}

/** Share of rows whose most probable filtered state is the true one. */
export function accuracy(probs: Float64Array, states: Int32Array, K: number): number {
  let hit = 0
  for (let t = 0; t < states.length; t++) {
    let best = 0
    for (let k = 1; k < K; k++) if (probs[t * K + k] > probs[t * K + best]) best = k
    if (best === states[t]) hit++
  }
  return hit / states.length
}

export function sameBits(a: Float64Array, b: Float64Array): boolean {
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  )
}
