import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  baumWelch,
  fitGaussianHmm,
  freeParameters,
  gaussianHmmFromJson,
  gaussianHmmToJson,
  initialParams,
  logLikelihood,
  orderByVolatility,
  parseGaussianHmmParams,
  stateVolatility,
  type GaussianHmm,
} from '../../../src/models/regime/gaussian-hmm.js'
import { filterBatch } from '../../../src/models/regime/hmm-filter.js'
import { accuracy, sameBits, sampleHmm, twoStateModel } from './synthetic.js'

const N = 6000

for (const covariance of ['diag', 'full'] as const) {
  test(`gaussian HMM (${covariance}): recovers a known 2-state HMM (transitions within 0.05, filtered accuracy >= 0.9 of the oracle's)`, () => {
    const truth = twoStateModel(covariance)
    const { x, states } = sampleHmm(truth, N, 11)
    const params = parseGaussianHmmParams({ states: 2, covariance, restarts: 3, max_iter: 300, tol: 1e-8, seed: 5 })
    const fit = fitGaussianHmm(x, N, 2, params)
    const m = fit.model
    for (let i = 0; i < 4; i++)
      assert.ok(
        Math.abs(m.transmat[i] - truth.transmat[i]) <= 0.05,
        `transmat[${i}] ${m.transmat[i]} vs true ${truth.transmat[i]}`,
      )
    const oracle = accuracy(filterBatch(truth, x, N), states, 2)
    const ours = accuracy(filterBatch(m, x, N), states, 2)
    assert.ok(oracle > 0.8, `the oracle filter itself is informative (${oracle})`)
    assert.ok(ours >= 0.9 * oracle, `fitted filter accuracy ${ours} vs oracle ${oracle}`)
    assert.ok(fit.logLikelihood >= logLikelihood(truth, x, N) - 1e-6 * N, 'the fit is at least as likely as the truth')
    assert.equal(fit.restarts.length, 3)
    assert.ok(fit.restarts.every((r) => r.logLikelihood <= fit.logLikelihood))
  })
}

test('gaussian HMM: the same seed gives bitwise the same parameters; restarts use derived seeds', () => {
  const { x } = sampleHmm(twoStateModel('full'), 2000, 3)
  const p = parseGaussianHmmParams({ states: 3, covariance: 'full', restarts: 2, max_iter: 20, seed: 42 })
  const a = fitGaussianHmm(x, 2000, 2, p)
  const b = fitGaussianHmm(x, 2000, 2, p)
  for (const k of ['startProb', 'transmat', 'means', 'covars'] as const)
    assert.ok(sameBits(a.model[k], b.model[k]), `${k} bitwise identical`)
  assert.equal(a.logLikelihood, b.logLikelihood)
  assert.notEqual(a.restarts[0].seed, a.restarts[1].seed)
  assert.deepEqual(JSON.stringify(gaussianHmmToJson(a.model)), JSON.stringify(gaussianHmmToJson(b.model)))
})

test('gaussian HMM: states come out ordered by volatility (trace ascending), whatever the restart found', () => {
  const { x } = sampleHmm(twoStateModel('diag'), 3000, 8)
  for (const seed of [1, 2, 3]) {
    const fit = fitGaussianHmm(x, 3000, 2, parseGaussianHmmParams({ states: 3, restarts: 2, max_iter: 30, seed }))
    for (let k = 1; k < 3; k++) assert.ok(stateVolatility(fit.model, k - 1) <= stateVolatility(fit.model, k))
  }
  // a model given volatile-first is permuted consistently (rows and columns of the transition matrix alike)
  const truth = twoStateModel('full')
  const swapped: GaussianHmm = {
    ...truth,
    startProb: Float64Array.from([0.4, 0.6]),
    transmat: Float64Array.from([0.94, 0.06, 0.03, 0.97]),
    means: Float64Array.from([-0.4, 0.8, 0.1, 0]),
    covars: Float64Array.from([2.0, -0.9, -0.9, 1.5, 0.5, 0.25, 0.25, 0.4]),
  }
  const back = orderByVolatility(swapped)
  for (const k of ['startProb', 'transmat', 'means', 'covars'] as const) assert.ok(sameBits(back[k], truth[k]), k)
})

test('gaussian HMM: BIC picks 2 states on 2-state data among 1..4; free parameters counted per covariance type', () => {
  assert.equal(freeParameters(2, 2, 'diag'), 1 + 2 + 4 + 4)
  assert.equal(freeParameters(2, 2, 'full'), 1 + 2 + 4 + 6)
  assert.equal(freeParameters(3, 4, 'full'), 2 + 6 + 12 + 30)
  for (const covariance of ['diag', 'full'] as const) {
    const { x } = sampleHmm(twoStateModel(covariance), 4000, 21)
    const p = parseGaussianHmmParams({ states: 'bic', max_states: 4, covariance, restarts: 2, max_iter: 100, seed: 9 })
    const fit = fitGaussianHmm(x, 4000, 2, p)
    assert.equal(fit.model.states, 2, `BIC table ${JSON.stringify(fit.bic)}`)
    assert.deepEqual(
      fit.bic!.map((b) => b.states),
      [1, 2, 3, 4],
    )
  }
})

test('gaussian HMM: Baum-Welch never lowers the log-likelihood; tol 0 runs exactly max_iter iterations', () => {
  const { x } = sampleHmm(twoStateModel('diag'), 2000, 4)
  const init = initialParams(x, 2000, 2, 2, 'diag', 77, 1e-6)
  let prev = logLikelihood(init, x, 2000)
  for (const iters of [1, 2, 5, 10]) {
    const r = baumWelch(x, 2000, 2, init, { maxIter: iters, tol: 0, minVariance: 1e-6 })
    assert.equal(r.iterations, iters)
    assert.ok(r.logLikelihood >= prev - 1e-9 * Math.abs(prev), `${iters} iterations: ${r.logLikelihood} < ${prev}`)
    assert.equal(r.logLikelihood, logLikelihood(r.model, x, 2000))
    prev = r.logLikelihood
  }
})

test('gaussian HMM: the saved state is plain JSON and round-trips bitwise; bad states name the field', () => {
  const m = twoStateModel('full')
  const json = JSON.parse(JSON.stringify(gaussianHmmToJson(m)))
  const back = gaussianHmmFromJson(json)
  for (const k of ['startProb', 'transmat', 'means', 'covars'] as const) assert.ok(sameBits(back[k], m[k]), k)
  assert.throws(() => gaussianHmmFromJson({ ...json, means: [[0, 0]] }), /means must hold 2 entries/)
  assert.throws(
    () =>
      gaussianHmmFromJson({
        ...json,
        transmat: [
          [0.5, 0.6],
          [0.5, 0.5],
        ],
      }),
    /transmat row 0 sums to/,
  )
  assert.throws(
    () =>
      gaussianHmmFromJson({
        ...json,
        covars: [
          [
            [1, 2],
            [2, 1],
          ],
          json.covars[1],
        ],
      }),
    /state 0 covariance is not positive definite/,
  )
  assert.throws(() => gaussianHmmFromJson({ ...json, format: 'other' }), /format/)
})

test('gaussian HMM: bad input errors name the row, column or field', () => {
  const { x } = sampleHmm(twoStateModel('diag'), 100, 1)
  const p = parseGaussianHmmParams({ states: 2, restarts: 1, max_iter: 5 })
  const bad = Float64Array.from(x)
  bad[17 * 2 + 1] = NaN
  assert.throws(() => fitGaussianHmm(bad, 100, 2, p), /row 17, column 1 is NaN/)
  bad[17 * 2 + 1] = Infinity
  assert.throws(() => fitGaussianHmm(bad, 100, 2, p), /row 17, column 1 is Infinity/)
  assert.throws(() => fitGaussianHmm(x, 100, 3, p), /200 values, not n x d = 100 x 3/)
  assert.throws(() => fitGaussianHmm(x, 1, 2, p), /200 values/)
  assert.throws(() => parseGaussianHmmParams({ states: 0 }), /states:/)
  assert.throws(() => parseGaussianHmmParams({ states: 2.5 }), /states:/)
  assert.throws(() => parseGaussianHmmParams({ covariance: 'spherical' }), /covariance:/)
  assert.throws(() => parseGaussianHmmParams({ min_variance: 0 }), /min_variance:/)
  assert.throws(() => parseGaussianHmmParams({ stats: 2 }), /stats|unrecognized/i)
  assert.throws(() => fitGaussianHmm(x.subarray(0, 4), 2, 2, parseGaussianHmmParams({ states: 3 })), /3 states need/)
  const m = twoStateModel('diag')
  assert.throws(() => baumWelch(x, 50, 4, m, { maxIter: 1, tol: 0, minVariance: 1e-6 }), /dimension 2 does not match/)
})

test('gaussian HMM: a constant feature and a 1-state model stay finite (variance floor, ridge)', () => {
  const n = 500
  const { x } = sampleHmm(twoStateModel('diag'), n, 2)
  for (let t = 0; t < n; t++) x[t * 2 + 1] = 3
  for (const covariance of ['diag', 'full'] as const) {
    for (const states of [1, 2]) {
      const fit = fitGaussianHmm(x, n, 2, parseGaussianHmmParams({ states, covariance, restarts: 2, max_iter: 30 }))
      assert.ok(Number.isFinite(fit.logLikelihood), `${covariance} K=${states}`)
      const probs = filterBatch(fit.model, x, n)
      assert.ok(probs.every(Number.isFinite))
    }
  }
})
