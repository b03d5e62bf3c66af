import assert from 'node:assert/strict'
import test from 'node:test'
import { applyDirichlet, fitDirichlet, type DirichletCalibrator } from '../../src/inference/calibration/dirichlet.js'
import { applyTemperature, fitTemperature } from '../../src/inference/calibration/temperature.js'
import { applyPostProcessors, fitPostProcessor, loadPostProcessor } from '../../src/inference/post-processors.js'
import { assertEdgeCasesHold, logitStandardErrors, meanLogLoss, rng, sampleLabels, softmaxRows } from './logit-maps.js'

/**
 * Model probabilities p (n, k) from random logits in [-spread/2, spread/2], and labels drawn from a known Dirichlet
 * map of them, q = softmax(W ln p + b). Also q and the map's features (ln p, 1), for standard errors.
 */
function fromDirichletMap(n: number, seed: number, w: readonly number[][], b: readonly number[], spread = 4) {
  const k = b.length
  const r = rng(seed)
  const p = softmaxRows(
    Float64Array.from({ length: n * k }, () => spread * (r() - 0.5)),
    k,
  )
  const z = new Float64Array(n * k)
  const x = new Float64Array(n * (k + 1))
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let s = b[j]
      for (let m = 0; m < k; m++) s += w[j][m] * Math.log(p[i * k + m])
      z[i * k + j] = s
      x[i * (k + 1) + j] = Math.log(p[i * k + j])
    }
    x[i * (k + 1) + k] = 1
  }
  const q = softmaxRows(z, k)
  return { p, q, x, y: sampleLabels(q, k, r) }
}

/**
 * The identifiable part of a map: each class's row (W_j, b_j) minus class 0's. The softmax ignores a shift shared by
 * every class, so only these contrasts are set by the data (the regularisation picks the rest).
 */
function contrasts(w: readonly number[], b: readonly number[], k: number): number[] {
  const out: number[] = []
  for (let j = 1; j < k; j++) {
    for (let m = 0; m < k; m++) out.push(w[j * k + m] - w[m])
    out.push(b[j] - b[0])
  }
  return out
}

function assertWithin4Se(fitted: DirichletCalibrator, w: readonly number[][], b: readonly number[], se: Float64Array) {
  const k = b.length
  const got = contrasts(fitted.weights, fitted.intercept, k)
  const want = contrasts(w.flat(), b, k)
  for (let q = 0; q < got.length; q++)
    assert.ok(Math.abs(got[q] - want[q]) < 4 * se[q], `contrast ${q}: ${got[q]} vs ${want[q]} (se ${se[q]})`)
}

const W3 = [
  [1.5, 0.3, -0.2],
  [0.1, 0.8, 0.4],
  [-0.3, 0.2, 1.2],
]
const B3 = [0.2, -0.1, 0]

test('dirichlet: labels drawn from a known map give back its identifiable parameters within 4 standard errors', () => {
  const val = fromDirichletMap(30_000, 1, W3, B3)
  // Nearly unregularised, so the estimate is the maximum likelihood one the standard errors describe.
  const fitted = fitDirichlet(val.p, val.y, 3, { offdiag: 1e-6, intercept: 1e-6 })
  assertWithin4Se(fitted, W3, B3, logitStandardErrors(val.x, 4, val.q, 3))
  // With the default ODIR strengths: held out, it beats the raw probabilities and temperature scaling, and comes
  // within what 12 parameters fitted on 30,000 rows cost (about 12 / 60,000 nats) of the true map.
  const byDefault = fitDirichlet(val.p, val.y, 3)
  const test = fromDirichletMap(30_000, 2, W3, B3)
  const raw = meanLogLoss(test.p, test.y, 3)
  const calibrated = meanLogLoss(applyDirichlet(byDefault, test.p, 3), test.y, 3)
  const t = fitTemperature(val.p, Float64Array.from(val.y), 3).temperature
  const temperature = meanLogLoss(applyTemperature(test.p, 3, t), test.y, 3)
  const oracle = meanLogLoss(test.q, test.y, 3)
  assert.ok(calibrated < raw - 0.02 && calibrated < temperature - 0.01, `${raw} ${temperature} -> ${calibrated}`)
  assert.ok(calibrated < oracle + 0.003, `oracle ${oracle}, calibrated ${calibrated}`)
})

test('dirichlet, binary: a 2 x 2 map is recovered the same way', () => {
  const w = [
    [0.7, -0.4],
    [0.2, 1.6],
  ]
  const b = [0.3, -0.2]
  const val = fromDirichletMap(20_000, 3, w, b)
  const fitted = fitDirichlet(val.p, val.y, 2, { offdiag: 1e-6, intercept: 1e-6 })
  assertWithin4Se(fitted, w, b, logitStandardErrors(val.x, 3, val.q, 2))
})

test('dirichlet: perfectly calibrated inputs give (nearly) the identity map', () => {
  const identity = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]
  const val = fromDirichletMap(20_000, 4, identity, [0, 0, 0])
  const fitted = fitDirichlet(val.p, val.y, 3)
  // The identity is also the ODIR penalty's own optimum, so the defaults add no bias here.
  assertWithin4Se(fitted, identity, [0, 0, 0], logitStandardErrors(val.x, 4, val.q, 3))
  const test = fromDirichletMap(5000, 5, identity, [0, 0, 0])
  const out = applyDirichlet(fitted, test.p, 3)
  let moved = 0
  for (let i = 0; i < out.length; i++) moved += Math.abs(out[i] - test.p[i]) / out.length
  assert.ok(moved < 0.01, `mean |p' - p| = ${moved}`)
})

test('dirichlet: huge ODIR strengths keep W diagonal and b at zero', () => {
  const val = fromDirichletMap(5000, 6, W3, B3)
  const fitted = fitPostProcessor(
    'dirichlet',
    { l2_offdiag: 1e6, l2_intercept: 1e6 },
    { n: 5000, p: val.p, classes: 3 },
    Float64Array.from(val.y),
  ).state as unknown as DirichletCalibrator
  for (let j = 0; j < 3; j++) {
    assert.ok(Math.abs(fitted.intercept[j]) < 1e-4, `b ${fitted.intercept}`)
    for (let m = 0; m < 3; m++)
      if (m !== j) assert.ok(Math.abs(fitted.weights[j * 3 + m]) < 1e-4, `W ${fitted.weights}`)
  }
})

test('dirichlet: its off-diagonal weights repair a model that swaps two classes, which temperature cannot', () => {
  // The model reports p; the truth is p with classes 0 and 1 exchanged (a map in the family: W a permutation).
  const swap = (n: number, seed: number) => {
    const d = fromDirichletMap(
      n,
      seed,
      [
        [0, 1, 0],
        [1, 0, 0],
        [0, 0, 1],
      ],
      [0, 0, 0],
      5,
    )
    return d
  }
  const val = swap(5000, 7)
  const test = swap(5000, 8)
  const dir = fitPostProcessor('dirichlet', {}, { n: 5000, p: val.p, classes: 3 }, Float64Array.from(val.y))
  const temp = fitPostProcessor('temperature', {}, { n: 5000, p: val.p, classes: 3 }, Float64Array.from(val.y))
  const byDirichlet = meanLogLoss(applyPostProcessors([dir], { n: 5000, p: test.p, classes: 3 }).p!, test.y, 3)
  const byTemperature = meanLogLoss(applyPostProcessors([temp], { n: 5000, p: test.p, classes: 3 }).p!, test.y, 3)
  const oracle = meanLogLoss(test.q, test.y, 3)
  assert.ok(byDirichlet < byTemperature - 0.2, `temperature ${byTemperature}, dirichlet ${byDirichlet}`)
  assert.ok(byDirichlet < oracle + 0.01, `oracle ${oracle}, dirichlet ${byDirichlet}`)
})

test('dirichlet: the same inputs give bitwise the same state', () => {
  const d = fromDirichletMap(3000, 9, W3, B3)
  const a = fitPostProcessor('dirichlet', {}, { n: 3000, p: d.p, classes: 3 }, Float64Array.from(d.y))
  const b = fitPostProcessor('dirichlet', {}, { n: 3000, p: d.p.slice(), classes: 3 }, Float64Array.from(d.y))
  assert.deepEqual(a, b)
  assert.equal(JSON.stringify(a), JSON.stringify(b))
})

test('dirichlet: a single class, equal inputs, one or two rows, exact 0s and 1s: a finite state and valid rows', () => {
  assertEdgeCasesHold('dirichlet', 2)
  assertEdgeCasesHold('dirichlet', 3)
})

test('dirichlet: bad parameters, labels, class counts and saved states are refused, naming the field', () => {
  const p = Float64Array.from([0.2, 0.3, 0.5, 0.6, 0.3, 0.1])
  const y = Float64Array.from([2, 0])
  assert.throws(() => fitPostProcessor('dirichlet', { l2_offdiag: 0 }, { n: 2, p, classes: 3 }, y), /l2_offdiag/)
  assert.throws(() => fitPostProcessor('dirichlet', { l2_intercept: -1 }, { n: 2, p, classes: 3 }, y), /l2_intercept/)
  assert.throws(() => fitPostProcessor('dirichlet', { lambda: 1 }, { n: 2, p, classes: 3 }, y), /lambda/)
  assert.throws(
    () => fitPostProcessor('dirichlet', {}, { n: 2, p, classes: 3 }, Float64Array.from([0, 0.5])),
    /dirichlet: target 0\.5 at row 1 is not a class 0\.\.2/,
  )
  assert.throws(
    () => fitPostProcessor('dirichlet', {}, { n: 1, p: new Float64Array(17).fill(1 / 17), classes: 17 }, y.slice(1)),
    /dirichlet: 17 classes; the Newton fit is for 2 to 16/,
  )
  const fitted = fitPostProcessor('dirichlet', {}, { n: 2, p, classes: 3 }, y)
  assert.throws(
    () => applyPostProcessors([fitted], { n: 1, p: Float64Array.from([0.2, 0.8]), classes: 2 }),
    /dirichlet: fitted on 3 classes, given 2/,
  )
  const load = (state: unknown) => loadPostProcessor({ name: 'dirichlet', state }, 'bundle x')
  const good = { method: 'dirichlet', classes: 2, weights: [1, 0, 0, 1], intercept: [0, 0] }
  assert.deepEqual(load(good).state, good)
  assert.throws(
    () => load({ ...good, weights: [1, 0, 0] }),
    /dirichlet state is invalid at weights: 4 weights \(W is 2 x 2\)/,
  )
  assert.throws(() => load({ ...good, intercept: [0] }), /dirichlet state is invalid at intercept: 2 intercepts/)
  assert.throws(() => load({ ...good, weights: [1, 0, null, 1] }), /invalid at weights\.2/)
  assert.throws(() => load({ ...good, intercept: [0, Infinity] }), /invalid at intercept\.1/)
  assert.throws(() => load({ ...good, classes: 40 }), /invalid at classes/)
  assert.throws(() => load({ ...good, extra: 1 }), /dirichlet state is invalid/)
})
