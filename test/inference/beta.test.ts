import assert from 'node:assert/strict'
import test from 'node:test'
import { applyBeta, betaFeatures, fitBeta, fitBetaMap, fitRidgeLogistic } from '../../src/inference/calibration/beta.js'
import { applyTemperature } from '../../src/inference/calibration/temperature.js'
import { applyPostProcessors, fitPostProcessor, loadPostProcessor } from '../../src/inference/post-processors.js'
import { assertEdgeCasesHold, logitStandardErrors, meanLogLoss, rng, sampleLabels, softmaxRows } from './logit-maps.js'

/**
 * Binary probabilities (n, 2) whose positive-class score s is spread over (0.005, 0.995), and labels drawn from a
 * known beta map of it: P(y = 1) = sigmoid(a ln s - b ln(1 - s) + c). Also the true probabilities and the map's
 * features (ln s, -ln(1 - s), 1), for standard errors.
 */
function fromBetaMap(n: number, seed: number, a: number, b: number, c: number) {
  const r = rng(seed)
  const p = new Float64Array(n * 2)
  const q = new Float64Array(n * 2)
  const x = new Float64Array(n * 3)
  for (let i = 0; i < n; i++) {
    const s = 0.005 + 0.99 * r()
    const t = 1 / (1 + Math.exp(-(a * Math.log(s) - b * Math.log(1 - s) + c)))
    p.set([1 - s, s], i * 2)
    q.set([1 - t, t], i * 2)
    x.set([Math.log(s), -Math.log(1 - s), 1], i * 3)
  }
  return { p, q, x, y: sampleLabels(q, 2, r) }
}

test('beta: labels drawn from a known beta map give back its a, b, c within 4 standard errors, and a lower held-out log-loss', () => {
  const truth = { a: 2, b: 0.6, c: 0.3 }
  const val = fromBetaMap(20_000, 1, truth.a, truth.b, truth.c)
  const fitted = fitBeta(val.p, val.y, 2)
  assert.equal(fitted.maps.length, 1)
  const m = fitted.maps[0]
  // The ridge (0.01 on a summed log-loss over 20,000 rows) moves the estimate by far less than one standard error.
  const se = logitStandardErrors(val.x, 3, val.q, 2)
  assert.ok(Math.abs(m.a - truth.a) < 4 * se[0], `a ${m.a} (se ${se[0]})`)
  assert.ok(Math.abs(m.b - truth.b) < 4 * se[1], `b ${m.b} (se ${se[1]})`)
  assert.ok(Math.abs(m.c - truth.c) < 4 * se[2], `c ${m.c} (se ${se[2]})`)
  const test = fromBetaMap(20_000, 2, truth.a, truth.b, truth.c)
  const raw = meanLogLoss(test.p, test.y, 2)
  const calibrated = meanLogLoss(applyBeta(fitted, test.p, 2), test.y, 2)
  const oracle = meanLogLoss(test.q, test.y, 2)
  assert.ok(calibrated < raw - 0.02, `raw ${raw} -> ${calibrated}`)
  // Three parameters fitted on 20,000 rows cost about 3 / (2 * 20,000) nats out of sample.
  assert.ok(calibrated < oracle + 0.002, `oracle ${oracle}, calibrated ${calibrated}`)
})

test('beta: perfectly calibrated scores give (nearly) the identity map a = b = 1, c = 0', () => {
  const val = fromBetaMap(20_000, 3, 1, 1, 0)
  const m = fitBeta(val.p, val.y, 2).maps[0]
  const se = logitStandardErrors(val.x, 3, val.q, 2)
  assert.ok(
    Math.abs(m.a - 1) < 4 * se[0] && Math.abs(m.b - 1) < 4 * se[1] && Math.abs(m.c) < 4 * se[2],
    `${m.a} ${m.b} ${m.c}`,
  )
  const test = fromBetaMap(5000, 4, 1, 1, 0)
  const out = applyBeta({ method: 'beta', classes: 2, maps: [m] }, test.p, 2)
  let moved = 0
  for (let i = 0; i < out.length; i++) moved += Math.abs(out[i] - test.p[i]) / out.length
  assert.ok(moved < 0.01, `mean |p' - p| = ${moved}`)
})

test('beta: a and b are never negative; a feature whose unconstrained weight is negative is dropped and the rest refitted', () => {
  // Truth with a < 0: P(y = 1) rises again as s -> 0, which no monotone map can follow.
  const aNeg = fromBetaMap(5000, 5, -1, 1.5, 0)
  const s = Float64Array.from({ length: 5000 }, (_, i) => aNeg.p[i * 2 + 1])
  const y = Uint8Array.from(aNeg.y)
  const { lnP, lnQ } = betaFeatures(s)
  const free = fitRidgeLogistic([lnP, lnQ], y, 1e-2)
  assert.ok(free[0] < -0.5, `the unconstrained a is ${free[0]}`)
  const m = fitBetaMap(s, y)
  assert.equal(m.a, 0)
  assert.ok(m.b > 0)
  // And its refit on -ln(1 - s) alone is what the map holds.
  const refit = fitRidgeLogistic([lnQ], y, 1e-2)
  assert.deepEqual([m.b, m.c], [refit[0], refit[1]])

  const bNeg = fromBetaMap(5000, 6, 1.5, -1, 0)
  const mb = fitBetaMap(
    Float64Array.from({ length: 5000 }, (_, i) => bNeg.p[i * 2 + 1]),
    Uint8Array.from(bNeg.y),
  )
  assert.ok(mb.b === 0 && mb.a > 0, JSON.stringify(mb))

  // Anti-calibrated scores (y drawn from 1 - s): both weights would be negative, only the base rate is left.
  const anti = fromBetaMap(5000, 7, -1, -1, 0)
  const ma = fitBetaMap(
    Float64Array.from({ length: 5000 }, (_, i) => anti.p[i * 2 + 1]),
    Uint8Array.from(anti.y),
  )
  assert.ok(ma.a === 0 && ma.b === 0, JSON.stringify(ma))
  const rate = anti.y.reduce((t, v) => t + v, 0) / anti.y.length
  assert.ok(Math.abs(1 / (1 + Math.exp(-ma.c)) - rate) < 1e-3, `${ma.c} vs base rate ${rate}`)

  // Random truths of either sign, small samples: the constraint holds every time.
  const r = rng(8)
  for (let t = 0; t < 30; t++) {
    const d = fromBetaMap(200, 100 + t, 4 * r() - 2, 4 * r() - 2, 2 * r() - 1)
    const fitted = fitBeta(d.p, d.y, 2)
    assert.ok(fitted.maps[0].a >= 0 && fitted.maps[0].b >= 0, JSON.stringify(fitted))
  }
})

test('beta, multiclass: one map per class against the rest, renormalised; it repairs an over-confident model', () => {
  const make = (n: number, seed: number) => {
    const r = rng(seed)
    const truth = softmaxRows(
      Float64Array.from({ length: n * 3 }, () => 2 * r() - 1),
      3,
    )
    const y = sampleLabels(truth, 3, r)
    return { y, reported: applyTemperature(truth, 3, 1 / 3) }
  }
  const val = make(20_000, 9)
  const fitted = fitPostProcessor('beta', {}, { n: 20_000, p: val.reported, classes: 3 }, Float64Array.from(val.y))
  assert.equal((fitted.state.maps as unknown[]).length, 3)
  const test = make(20_000, 10)
  const out = applyPostProcessors([fitted], { n: 20_000, p: test.reported, classes: 3 })
  for (let i = 0; i < 20_000; i++)
    assert.ok(Math.abs(out.p![i * 3] + out.p![i * 3 + 1] + out.p![i * 3 + 2] - 1) < 1e-12)
  const before = meanLogLoss(test.reported, test.y, 3)
  const after = meanLogLoss(out.p!, test.y, 3)
  assert.ok(after < before - 0.1, `${before} -> ${after}`)
})

test('beta: the same inputs give bitwise the same state', () => {
  const d = fromBetaMap(3000, 12, 1.3, 0.7, -0.2)
  const a = fitPostProcessor('beta', {}, { n: 3000, p: d.p, classes: 2 }, Float64Array.from(d.y))
  const b = fitPostProcessor('beta', {}, { n: 3000, p: d.p.slice(), classes: 2 }, Float64Array.from(d.y))
  assert.deepEqual(a, b)
  assert.equal(JSON.stringify(a), JSON.stringify(b))
})

test('beta: a single class, equal inputs, one or two rows, exact 0s and 1s: a finite state and valid rows', () => {
  assertEdgeCasesHold('beta', 2)
  assertEdgeCasesHold('beta', 3)
})

test('beta: bad parameters, labels, class counts and saved states are refused, naming the field', () => {
  const p = Float64Array.from([0.2, 0.8, 0.6, 0.4])
  assert.throws(() => fitPostProcessor('beta', { l2: 0 }, { n: 2, p, classes: 2 }, Float64Array.from([1, 0])), /l2/)
  assert.throws(
    () => fitPostProcessor('beta', { bogus: 1 }, { n: 2, p, classes: 2 }, Float64Array.from([1, 0])),
    /bogus/,
  )
  assert.throws(
    () => fitPostProcessor('beta', {}, { n: 2, p, classes: 2 }, Float64Array.from([1, 2])),
    /beta: target 2 at row 1 is not a class 0\.\.1/,
  )
  assert.throws(
    () => fitPostProcessor('beta', {}, { n: 0, p: new Float64Array(), classes: 2 }, new Float64Array()),
    /beta: the validation split is empty/,
  )
  const fitted = fitPostProcessor('beta', {}, { n: 2, p, classes: 2 }, Float64Array.from([1, 0]))
  assert.throws(
    () => applyPostProcessors([fitted], { n: 1, p: Float64Array.from([0.2, 0.3, 0.5]), classes: 3 }),
    /beta: fitted on 2 classes, given 3/,
  )
  const load = (state: unknown) => loadPostProcessor({ name: 'beta', state }, 'bundle x')
  const good = { method: 'beta', classes: 3, maps: [0, 1, 2].map(() => ({ a: 1, b: 1, c: 0 })) }
  assert.deepEqual(load(good).state, good)
  assert.throws(
    () => load({ ...good, maps: [{ a: -1, b: 1, c: 0 }, ...good.maps.slice(1)] }),
    /beta state is invalid at maps\.0\.a: a non-negative/,
  )
  assert.throws(
    () => load({ ...good, maps: good.maps.slice(1) }),
    /beta state is invalid at maps: 3 maps for 3 classes/,
  )
  assert.throws(
    () => load({ ...good, maps: [{ a: 1, b: 1, c: Infinity }, ...good.maps.slice(1)] }),
    /invalid at maps\.0\.c/,
  )
  assert.throws(() => load({ ...good, maps: [{ a: 1, b: 1 }, ...good.maps.slice(1)] }), /invalid at maps\.0\.c/)
  assert.throws(() => load({ ...good, classes: 1 }), /invalid at classes/)
})
