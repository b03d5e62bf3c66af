import assert from 'node:assert/strict'
import { test } from 'node:test'
import { filterBatch } from '../../../src/models/regime/markov-filter.js'
import {
  ergodicProbabilities,
  expectationMaximisation,
  fitMarkovSwitching,
  initialParams,
  logLikelihood,
  markovSwitchingFromJson,
  markovSwitchingToJson,
  orderByVariance,
  parseMarkovSwitchingParams,
  smoothedProbabilities,
  type MarkovSwitching,
} from '../../../src/models/regime/markov-switching.js'
import { accuracy, sameBits, sampleMarkovSwitching, twoRegimeModel } from './synthetic.js'

const N = 20_000
const KEYS = ['startProb', 'transmat', 'intercepts', 'arCoefs', 'variances'] as const

/**
 * Tolerances: 5 standard errors of the estimate had the regimes been observed (the complete-data standard error,
 * from the true parameters and the true regimes of the sample): sqrt(sigma2_k / n_k) for a mean, sigma2_k
 * sqrt(2 / n_k) for a variance, sqrt(p (1 - p) / n_i) for a transition probability out of regime i, and
 * sqrt(sigma2_k / sum_{t in k} (r_{t-1} - mean)^2) for an AR coefficient. The regimes are latent, which widens the
 * true errors somewhat; 5 rather than 3 standard errors leaves room for that, and a wrong regime assignment or a
 * swapped label still misses by many times these widths (the two regimes' variances differ 8-fold).
 */
function completeDataErrors(truth: MarkovSwitching, r: Float64Array, regimes: Int32Array) {
  const K = truth.regimes
  const count = new Float64Array(K)
  const from = new Float64Array(K)
  const lagSs = new Float64Array(K)
  let mean = 0
  for (let t = 0; t < r.length; t++) mean += r[t] / r.length
  for (let t = 0; t < r.length; t++) {
    count[regimes[t]]++
    if (t + 1 < r.length) from[regimes[t]]++
    if (t > 0) lagSs[regimes[t]] += (r[t - 1] - mean) ** 2
  }
  return {
    mean: (k: number) => Math.sqrt(truth.variances[k] / count[k]),
    variance: (k: number) => truth.variances[k] * Math.sqrt(2 / count[k]),
    transition: (i: number, j: number) => {
      const p = truth.transmat[i * K + j]
      return Math.sqrt((p * (1 - p)) / from[i])
    },
    ar: (k: number) => Math.sqrt(truth.variances[k] / lagSs[k]),
  }
}

for (const ar of [false, true]) {
  const label = ar ? 'switching AR(1)' : 'switching mean and variance'
  test(`markov switching (${label}): recovers a known 2-regime model within 5 complete-data standard errors; filtered accuracy >= 0.98 of the oracle's`, () => {
    const truth = twoRegimeModel(ar)
    const { r, regimes } = sampleMarkovSwitching(truth, N, 11)
    const params = parseMarkovSwitchingParams({ restarts: 3, seed: 5, ar: ar ? 'switching' : 'none' })
    const fit = fitMarkovSwitching(r, N, params)
    const m = fit.model
    const se = completeDataErrors(truth, r, regimes)
    const near = (name: string, got: number, want: number, err: number) =>
      assert.ok(Math.abs(got - want) <= 5 * err, `${name} ${got} vs true ${want} (5 SE = ${5 * err})`)
    for (let k = 0; k < 2; k++) {
      near(`variance[${k}]`, m.variances[k], truth.variances[k], se.variance(k))
      if (ar) {
        near(`arCoef[${k}]`, m.arCoefs[k], truth.arCoefs[k], se.ar(k))
        // the intercept's error is the mean's, plus the coefficient's times the lag's mean (near 0 here)
        near(`intercept[${k}]`, m.intercepts[k], truth.intercepts[k], se.mean(k) + se.ar(k) * 0.1)
      } else {
        near(`mean[${k}]`, m.intercepts[k], truth.intercepts[k], se.mean(k))
      }
      for (let j = 0; j < 2; j++)
        near(`transmat[${k}][${j}]`, m.transmat[k * 2 + j], truth.transmat[k * 2 + j], se.transition(k, j))
    }
    const oracle = accuracy(filterBatch(truth, r, N), regimes, 2)
    const ours = accuracy(filterBatch(m, r, N), regimes, 2)
    assert.ok(oracle > 0.85, `the oracle filter itself is informative (${oracle})`)
    assert.ok(ours >= 0.98 * oracle, `fitted filter accuracy ${ours} vs oracle ${oracle}`)
    assert.ok(fit.logLikelihood >= logLikelihood(truth, r, N), 'the fit is at least as likely as the truth')
    const reordered = logLikelihood(m, r, N) // the same model with its regimes relabelled: equal up to rounding
    assert.ok(
      Math.abs(fit.logLikelihood - reordered) <= 1e-9 * Math.abs(reordered),
      `${fit.logLikelihood} vs ${reordered}`,
    )
    assert.equal(fit.restarts.length, 3)
    assert.ok(fit.restarts.every((x) => x.logLikelihood <= fit.logLikelihood && x.converged))
  })
}

test('markov switching: the same seed gives bitwise the same parameters; restarts use derived seeds', () => {
  const { r } = sampleMarkovSwitching(twoRegimeModel(true), 3000, 3)
  for (const ar of ['none', 'switching'] as const) {
    const p = parseMarkovSwitchingParams({ regimes: 3, ar, restarts: 2, max_iter: 30, seed: 42 })
    const a = fitMarkovSwitching(r, 3000, p)
    const b = fitMarkovSwitching(r, 3000, p)
    for (const k of KEYS) assert.ok(sameBits(a.model[k], b.model[k]), `${ar}: ${k} bitwise identical`)
    assert.equal(a.logLikelihood, b.logLikelihood)
    assert.notEqual(a.restarts[0].seed, a.restarts[1].seed)
    assert.equal(JSON.stringify(markovSwitchingToJson(a.model)), JSON.stringify(markovSwitchingToJson(b.model)))
  }
})

test('markov switching: regimes come out ordered by variance (ascending), whatever the restart found', () => {
  const { r } = sampleMarkovSwitching(twoRegimeModel(), 3000, 8)
  for (const seed of [1, 2, 3]) {
    const fit = fitMarkovSwitching(r, 3000, parseMarkovSwitchingParams({ regimes: 3, restarts: 2, max_iter: 30, seed }))
    for (let k = 1; k < 3; k++) assert.ok(fit.model.variances[k - 1] <= fit.model.variances[k])
  }
  // a model given volatile-first is permuted consistently (rows and columns of the transition matrix alike)
  const truth = twoRegimeModel(true)
  const swapped: MarkovSwitching = {
    ...truth,
    startProb: Float64Array.from([0.5, 0.5]),
    transmat: Float64Array.from([0.95, 0.05, 0.02, 0.98]),
    intercepts: Float64Array.from([-0.11, 0.03]),
    arCoefs: Float64Array.from([-0.1, 0.4]),
    variances: Float64Array.from([4, 0.5]),
  }
  const back = orderByVariance(swapped)
  for (const k of KEYS) assert.ok(sameBits(back[k], truth[k]), k)
})

test('markov switching: EM never lowers the log-likelihood; tol 0 runs exactly max_iter iterations', () => {
  for (const ar of [false, true]) {
    const { r } = sampleMarkovSwitching(twoRegimeModel(ar), 2000, 4)
    const init = initialParams(r, 2000, 2, ar, 77, 1e-6)
    let prev = logLikelihood(init, r, 2000)
    for (const iters of [1, 2, 5, 10]) {
      const res = expectationMaximisation(r, 2000, init, { maxIter: iters, tol: 0, minVariance: 1e-6 })
      assert.equal(res.iterations, iters)
      assert.ok(
        res.logLikelihood >= prev - 1e-9 * Math.abs(prev),
        `${iters} iterations: ${res.logLikelihood} < ${prev}`,
      )
      assert.equal(res.logLikelihood, logLikelihood(res.model, r, 2000))
      prev = res.logLikelihood
    }
  }
})

test('markov switching: smoothed probabilities are probabilities, and the last row equals the filtered one', () => {
  for (const ar of [false, true]) {
    const m = twoRegimeModel(ar)
    const { r } = sampleMarkovSwitching(m, 1000, 6)
    const s = smoothedProbabilities(m, r, 1000)
    const f = filterBatch(m, r, 1000)
    for (let t = 0; t < 1000; t++) assert.ok(Math.abs(s[t * 2] + s[t * 2 + 1] - 1) < 1e-12, `row ${t}`)
    for (let k = 0; k < 2; k++) assert.equal(s[999 * 2 + k], f[999 * 2 + k])
    // with an AR term the first return is not observed: its filtered probabilities are the initial ones
    if (ar) assert.ok(sameBits(f.subarray(0, 2), m.startProb))
  }
})

test('markov switching: ergodic probabilities solve pi A = pi (2 regimes: p10 / (p01 + p10))', () => {
  const m = twoRegimeModel()
  const pi = ergodicProbabilities(m)
  assert.ok(Math.abs(pi[0] - 0.05 / 0.07) < 1e-12 && Math.abs(pi[1] - 0.02 / 0.07) < 1e-12, `${pi}`)
  const three: MarkovSwitching = {
    ...m,
    regimes: 3,
    startProb: Float64Array.from([1, 0, 0]),
    transmat: Float64Array.from([0.9, 0.08, 0.02, 0.1, 0.8, 0.1, 0.05, 0.15, 0.8]),
    intercepts: new Float64Array(3),
    variances: Float64Array.from([1, 2, 3]),
  }
  const p3 = ergodicProbabilities(three)
  for (let j = 0; j < 3; j++) {
    let v = 0
    for (let i = 0; i < 3; i++) v += p3[i] * three.transmat[i * 3 + j]
    assert.ok(Math.abs(v - p3[j]) < 1e-12, `column ${j}`)
  }
})

test('markov switching: the saved state is plain JSON and round-trips bitwise; bad states name the field', () => {
  for (const ar of [false, true]) {
    const m = twoRegimeModel(ar)
    const json = JSON.parse(JSON.stringify(markovSwitchingToJson(m)))
    const back = markovSwitchingFromJson(json)
    for (const k of KEYS) assert.ok(sameBits(back[k], m[k]), k)
  }
  const json = JSON.parse(JSON.stringify(markovSwitchingToJson(twoRegimeModel(true))))
  assert.throws(() => markovSwitchingFromJson({ ...json, variances: [1] }), /variances must hold 2 entries/)
  assert.throws(() => markovSwitchingFromJson({ ...json, variances: [1, 0] }), /regime 1 variance 0 is not > 0/)
  assert.throws(
    () => markovSwitchingFromJson({ ...json, ar_coefs: null }),
    /ar_coefs must be a list when ar is 'switching'/,
  )
  assert.throws(() => markovSwitchingFromJson({ ...json, ar: 'none' }), /ar_coefs must be null when ar is 'none'/)
  assert.throws(
    () =>
      markovSwitchingFromJson({
        ...json,
        transmat: [
          [0.5, 0.6],
          [0.5, 0.5],
        ],
      }),
    /transmat row 0 sums to/,
  )
  assert.throws(() => markovSwitchingFromJson({ ...json, transmat: [[1, 0]] }), /transmat must hold 2 entries/)
  assert.throws(() => markovSwitchingFromJson({ ...json, format: 'other' }), /format/)
})

test('markov switching: bad input errors name the row or field', () => {
  const { r } = sampleMarkovSwitching(twoRegimeModel(), 100, 1)
  const p = parseMarkovSwitchingParams({ restarts: 1, max_iter: 5 })
  const bad = Float64Array.from(r)
  bad[17] = NaN
  assert.throws(() => fitMarkovSwitching(bad, 100, p), /return row 17 is NaN/)
  bad[17] = -Infinity
  assert.throws(() => fitMarkovSwitching(bad, 100, p), /return row 17 is -Infinity/)
  assert.throws(() => logLikelihood(twoRegimeModel(), bad, 100), /return row 17 is -Infinity/)
  assert.throws(() => fitMarkovSwitching(r, 99, p), /100 values, not n = 99/)
  assert.throws(() => fitMarkovSwitching(r.subarray(0, 2), 2, p), /2 regimes need at least 3 rows, got 2/)
  assert.throws(
    () => fitMarkovSwitching(r.subarray(0, 3), 3, parseMarkovSwitchingParams({ ar: 'switching' })),
    /2 regimes with an AR term need at least 4 rows, got 3/,
  )
  assert.throws(() => parseMarkovSwitchingParams({ regimes: 0 }), /regimes:/)
  assert.throws(() => parseMarkovSwitchingParams({ regimes: 2.5 }), /regimes:/)
  assert.throws(() => parseMarkovSwitchingParams({ ar: 'common' }), /ar:/)
  assert.throws(() => parseMarkovSwitchingParams({ min_variance_ratio: 0 }), /min_variance_ratio:/)
  assert.throws(() => parseMarkovSwitchingParams({ regime: 2 }), /unrecognized/i)
})

test('markov switching: constant returns and a 1-regime model stay finite (variance floor)', () => {
  const n = 500
  const flat = new Float64Array(n).fill(0.25)
  const { r } = sampleMarkovSwitching(twoRegimeModel(true), n, 2)
  for (const ar of ['none', 'switching'] as const)
    for (const regimes of [1, 2])
      for (const x of [flat, r]) {
        const fit = fitMarkovSwitching(x, n, parseMarkovSwitchingParams({ regimes, ar, restarts: 2, max_iter: 30 }))
        assert.ok(Number.isFinite(fit.logLikelihood), `${ar} K=${regimes}`)
        assert.ok(fit.model.variances.every((v) => v >= fit.minVariance))
        assert.ok(filterBatch(fit.model, x, n).every(Number.isFinite))
      }
  // one regime without an AR term is the Gaussian: mean and (biased) variance of the sample
  const one = fitMarkovSwitching(r, n, parseMarkovSwitchingParams({ regimes: 1, restarts: 1 })).model
  let mean = 0
  for (let t = 0; t < n; t++) mean += r[t] / n
  let v = 0
  for (let t = 0; t < n; t++) v += (r[t] - mean) ** 2 / n
  assert.ok(Math.abs(one.intercepts[0] - mean) < 1e-12 && Math.abs(one.variances[0] - v) < 1e-12)
})
