/** Shared by the beta and Dirichlet calibration tests: seeded data, sampling, standard errors, edge cases. */
import assert from 'node:assert/strict'
import { solveSpd } from '../../src/inference/calibration/damped-newton.js'
import { applyPostProcessors, fitPostProcessor, loadPostProcessor } from '../../src/inference/post-processors.js'
import { uniform } from '../helpers.js'

/** A seeded uniform stream (mulberry32), as the tests elsewhere use. */
export const rng = uniform

/** Softmax of each row of row-major (n, k) logits. */
export function softmaxRows(z: Float64Array, k: number): Float64Array {
  const out = new Float64Array(z.length)
  for (let i = 0; i < z.length / k; i++) {
    let max = -Infinity
    for (let c = 0; c < k; c++) max = Math.max(max, z[i * k + c])
    let sum = 0
    for (let c = 0; c < k; c++) sum += out[i * k + c] = Math.exp(z[i * k + c] - max)
    for (let c = 0; c < k; c++) out[i * k + c] /= sum
  }
  return out
}

/** One label per row drawn from the row's class probabilities. */
export function sampleLabels(q: Float64Array, k: number, r: () => number): Int32Array {
  const n = q.length / k
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const u = r()
    let acc = 0
    let c = 0
    for (; c < k - 1; c++) {
      acc += q[i * k + c]
      if (u < acc) break
    }
    y[i] = c
  }
  return y
}

/**
 * Asymptotic standard errors of a multinomial logit's parameters at the truth, with class 0 as reference: rows
 * x_i (n, f) of features, true class probabilities q (n, k). The parameters are the (k - 1) f contrasts
 * theta_j - theta_0 (j = 1..k-1), in that order; their covariance is the inverse Fisher information
 * sum_i (diag(s_i) - s_i s_i^T) (x) x_i x_i^T, s_i = q_i without class 0. A fit by maximum likelihood lands within 4
 * of these of the truth with probability 0.99994 per parameter.
 */
export function logitStandardErrors(x: Float64Array, f: number, q: Float64Array, k: number): Float64Array {
  const n = q.length / k
  const d = (k - 1) * f
  const info = new Float64Array(d * d)
  for (let i = 0; i < n; i++) {
    for (let j = 1; j < k; j++) {
      for (let l = 1; l < k; l++) {
        const c = q[i * k + j] * ((j === l ? 1 : 0) - q[i * k + l])
        for (let a = 0; a < f; a++)
          for (let b = 0; b < f; b++) info[((j - 1) * f + a) * d + (l - 1) * f + b] += c * x[i * f + a] * x[i * f + b]
      }
    }
  }
  return Float64Array.from({ length: d }, (_, q0) => {
    const e = new Float64Array(d)
    e[q0] = 1
    return Math.sqrt(solveSpd(info, e, d)[q0])
  })
}

/** Mean log-loss of (n, k) probabilities for integer labels. */
export function meanLogLoss(p: Float64Array, y: Int32Array, k: number): number {
  let s = 0
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(1e-15, p[i * k + y[i]]))
  return s / y.length
}

/** Validation sets on which a fit has no ordinary optimum or little to go on, for k classes. */
export function edgeCases(k: number): { what: string; p: Float64Array; y: Float64Array }[] {
  const r = rng(11 + k)
  const random = (n: number) =>
    softmaxRows(
      Float64Array.from({ length: n * k }, () => 6 * (r() - 0.5)),
      k,
    )
  const same = (n: number) => {
    const row = Float64Array.from({ length: k }, (_, c) => (c === 0 ? 0.6 : 0.4 / (k - 1)))
    return Float64Array.from({ length: n * k }, (_, q) => row[q % k])
  }
  const oneHot = (n: number) =>
    Float64Array.from({ length: n * k }, (_, q) => (q % k === Math.floor(q / k) % k ? 1 : 0))
  const cycle = (n: number) => Float64Array.from({ length: n }, (_, i) => i % k)
  return [
    { what: 'a single class (the first)', p: random(50), y: new Float64Array(50) },
    { what: 'a single class (the last)', p: random(50), y: new Float64Array(50).fill(k - 1) },
    { what: 'all inputs equal', p: same(40), y: cycle(40) },
    { what: 'all inputs equal, a single class', p: same(40), y: new Float64Array(40).fill(1) },
    { what: 'n = 1', p: random(1), y: Float64Array.from([0]) },
    { what: 'n = 2', p: random(2), y: Float64Array.from([0, 1]) },
    // One-hot rows (exact 0s and 1s), each right once every k rows and otherwise wrong.
    {
      what: 'probabilities exactly 0 and 1',
      p: oneHot(30),
      y: Float64Array.from({ length: 30 }, (_, i) => (i * 2) % k),
    },
    { what: 'exact 0 and 1, always right', p: oneHot(30), y: cycle(30) },
  ]
}

/**
 * Fit `name` on each edge case: it must not throw, its state must load back as saved, and applied to probabilities
 * that include exact 0s and 1s it gives finite rows that sum to 1, with p_up the last class.
 */
export function assertEdgeCasesHold(name: string, k: number): void {
  const probe = new Float64Array(6 * k)
  for (let c = 0; c < k; c++) probe[c * k + c] = 1
  for (let c = 0; c < k; c++) probe[k * k + c] = 1 / k
  probe[(k + 1) * k] = 1e-300
  probe[(k + 1) * k + 1] = 1 - 1e-300
  const n = probe.length / k
  for (const { what, p, y } of edgeCases(k)) {
    const fitted = fitPostProcessor(name, {}, { n: y.length, p, classes: k }, y)
    assert.deepEqual(loadPostProcessor(JSON.parse(JSON.stringify(fitted)), what), fitted, what)
    // JSON writes a non-finite number as null.
    assert.ok(!JSON.stringify(fitted.state).includes('null'), `${what}: ${JSON.stringify(fitted.state)}`)
    const out = applyPostProcessors([fitted], { n, p: probe, classes: k })
    for (let i = 0; i < n; i++) {
      let sum = 0
      for (let c = 0; c < k; c++) {
        const v = out.p![i * k + c]
        assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `${what}: row ${i} class ${c} = ${v}`)
        sum += v
      }
      assert.ok(Math.abs(sum - 1) < 1e-12, `${what}: row ${i} sums to ${sum}`)
      assert.equal(out.p_up![i], out.p![i * k + k - 1])
    }
  }
}
