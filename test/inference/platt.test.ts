import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import test from 'node:test'
import { fitPlatt, logit, plattEntry, plattProbability } from '../../src/inference/calibration/platt.js'
import { loadPostProcessor } from '../../src/inference/post-processors.js'
import type { Outputs } from '../../src/models/contract.js'
import { SHARED_MISSING, sharedFile, uniform } from '../helpers.js'

const FIXTURE = 'fixtures/calibration/calibration_vectors.json'

test("platt: libsvm's coefficients on its decision values, to 1e-6 (sign convention mapped: a = -A, b = -B)", (t) => {
  const path = sharedFile(FIXTURE)
  if (!path) return t.skip(SHARED_MISSING)
  const v = JSON.parse(readFileSync(path, 'utf8')).platt_sigmoid_libsvm as {
    decision_values: number[]
    labels: number[]
    expected_AB: [number, number]
  }
  const y = v.labels.map((l) => (l > 0 ? 1 : 0))
  const fit = fitPlatt(Float64Array.from(v.decision_values), y)
  const [A, B] = v.expected_AB
  const err = Math.max(Math.abs(fit.a + A), Math.abs(fit.b + B))
  t.diagnostic(`max error ${err.toExponential(2)} (a=${fit.a}, b=${fit.b}, ${fit.iterations} iterations)`)
  assert.ok(err < 1e-6, String(err))
  assert.ok(fit.converged)
  // libsvm writes P(y = 1 | f) = 1 / (1 + exp(A f + B)): the same probabilities as ours.
  for (const f of v.decision_values)
    assert.ok(Math.abs(plattProbability(fit.a, fit.b, f) - 1 / (1 + Math.exp(A * f + B))) < 1e-6)
})

test('platt: a tighter tolerance reaches the exact optimum, where the gradient of the smoothed loss vanishes', () => {
  const s = Float64Array.from([5, -4, 1])
  const y = [1, 0, 0]
  const fit = fitPlatt(s, y, undefined, { tol: 1e-13 })
  const t = [2 / 3, 1 / 4, 1 / 4]
  let ga = 0
  let gb = 0
  for (let i = 0; i < 3; i++) {
    const d = plattProbability(fit.a, fit.b, s[i]) - t[i]
    ga += d * s[i]
    gb += d
  }
  assert.ok(Math.abs(ga) < 1e-12 && Math.abs(gb) < 1e-12, `${ga} ${gb}`)
})

test('platt: recovers a planted sigmoid; an integer weight is a repeated row', () => {
  const r = uniform(3)
  const n = 20_000
  const s = Float64Array.from({ length: n }, () => (r() - 0.5) * 8)
  const y = Float64Array.from(s, (v) => (r() < plattProbability(0.7, -0.4, v) ? 1 : 0))
  const fit = fitPlatt(s, y)
  assert.ok(fit.converged && Math.abs(fit.a - 0.7) < 0.05 && Math.abs(fit.b + 0.4) < 0.05, `${fit.a} ${fit.b}`)

  const w = Float64Array.from({ length: 300 }, (_, i) => 1 + (i % 3))
  const sub = s.subarray(0, 300)
  const weighted = fitPlatt(sub, y.subarray(0, 300), w, { tol: 1e-12 })
  const rs: number[] = []
  const ry: number[] = []
  for (let i = 0; i < 300; i++)
    for (let k = 0; k < w[i]; k++) {
      rs.push(sub[i])
      ry.push(y[i])
    }
  const repeated = fitPlatt(Float64Array.from(rs), ry, undefined, { tol: 1e-12 })
  assert.ok(Math.abs(weighted.a - repeated.a) < 1e-9 && Math.abs(weighted.b - repeated.b) < 1e-9)
})

test('platt: finite on a single class, equal scores, n = 1 and 2, separable data and extreme scores', () => {
  const cases: [string, number[], number[]][] = [
    ['all positive', [0.3, -1, 2], [1, 1, 1]],
    ['all negative', [0.3, -1, 2], [0, 0, 0]],
    ['equal scores', [1.5, 1.5, 1.5, 1.5], [1, 0, 1, 1]],
    ['n = 1', [2], [1]],
    ['n = 2', [-1, 1], [0, 1]],
    ['separable', [-3, -2, -1, 1, 2, 3], [0, 0, 0, 1, 1, 1]],
    ['clipped logits of 0 and 1', [logit(0), logit(1), logit(0), logit(1)], [0, 1, 1, 1]],
  ]
  for (const [what, s, y] of cases) {
    const fit = fitPlatt(Float64Array.from(s), y)
    assert.ok(Number.isFinite(fit.a) && Number.isFinite(fit.b), what)
    for (const v of [...s, -1e3, 1e3]) {
      const p = plattProbability(fit.a, fit.b, v)
      assert.ok(p >= 0 && p <= 1, `${what}: ${p}`)
    }
  }
  // One class only: the prior start is already the optimum, the smoothed target (n + 1) / (n + 2).
  const one = fitPlatt(Float64Array.from([0.3, -1, 2]), [1, 1, 1])
  assert.equal(one.iterations, 0)
  assert.ok(Math.abs(plattProbability(one.a, one.b, 7) - 4 / 5) < 1e-15)
})

test('platt: bad inputs are refused, naming the row', () => {
  assert.throws(() => fitPlatt(Float64Array.from([1, NaN]), [0, 1]), /platt: the score of row 1 is NaN/)
  assert.throws(() => fitPlatt(Float64Array.from([1, 2]), [0, 2]), /platt: the label of row 1 is 2; expected 0 or 1/)
  assert.throws(() => fitPlatt(Float64Array.from([1, 2]), [0, 1], Float64Array.from([1, -1])), /weight of row 1/)
  assert.throws(() => fitPlatt(Float64Array.from([1]), [0, 1]), /1 scores for 2 labels/)
  assert.throws(() => fitPlatt(new Float64Array(), []), /no rows/)
  const out: Outputs = { n: 2, p: Float64Array.from([0.5, 0.5, 0.2, 0.8]), classes: 2 }
  assert.throws(
    () => plattEntry.fit(plattEntry.params.parse({}), out, Float64Array.from([0, 3])),
    /label of row 1 is 3/,
  )
  assert.throws(() => plattEntry.params.parse({ tol: 0 }), /tol/)
  assert.throws(() => plattEntry.params.parse({ bogus: 1 }), /bogus/)
})

test('platt entry: binary calibrates the positive class on its logit, and is the identity on a calibrated model', () => {
  const r = uniform(9)
  const n = 40_000
  const p = new Float64Array(n * 2)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const q = plattProbability(1, 0, (r() - 0.5) * 6)
    p[i * 2] = 1 - q
    p[i * 2 + 1] = q
    y[i] = r() < q ? 1 : 0
  }
  const state = plattEntry.fit(plattEntry.params.parse({}), { n, p, classes: 2 }, y)
  assert.equal(state.a.length, 1)
  // Already calibrated: a near 1, b near 0 (on probabilities, a sigmoid could not be the identity).
  assert.ok(Math.abs(state.a[0] - 1) < 0.05 && Math.abs(state.b[0]) < 0.05, JSON.stringify(state))
  const out = plattEntry.apply(state, { n, p, classes: 2 })
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(out.p![i * 2] + out.p![i * 2 + 1] - 1) < 1e-15)
    assert.equal(out.p_up![i], out.p![i * 2 + 1])
  }
})

test('platt entry: probabilities 0 and 1, a single-class set and tiny sets give finite distributions', () => {
  const raw = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.2, 0.3, 0.5])
  for (const [what, p, y] of [
    ['one class', raw, [0, 0, 0, 0]],
    ['n = 1', raw.subarray(0, 3), [0]],
    ['n = 2', raw.subarray(0, 6), [0, 1]],
    ['exact 0 and 1', raw, [0, 1, 2, 1]],
  ] as const) {
    const val: Outputs = { n: y.length, p: Float64Array.from(p), classes: 3 }
    const state = plattEntry.fit(plattEntry.params.parse({}), val, Float64Array.from(y))
    const saved = loadPostProcessor(JSON.parse(JSON.stringify({ name: 'platt', state })), what)
    const out = plattEntry.apply(saved.state as never, { n: 4, p: raw, classes: 3 })
    for (let i = 0; i < 4; i++) {
      let sum = 0
      for (let c = 0; c < 3; c++) {
        const v = out.p![i * 3 + c]
        assert.ok(v >= 0 && v <= 1, `${what}: row ${i} ${v}`)
        sum += v
      }
      assert.ok(Math.abs(sum - 1) < 1e-12, `${what}: row ${i} sums to ${sum}`)
    }
  }
})

test('platt state: the wrong number of coefficients or a non-finite one is refused on load', () => {
  assert.throws(
    () => loadPostProcessor({ name: 'platt', state: { method: 'platt', classes: 3, a: [1, 1], b: [0, 0] } }, 'b'),
    /platt state is invalid at a: 3 coefficients for 3 classes, given 2/,
  )
  assert.throws(
    () => loadPostProcessor({ name: 'platt', state: { method: 'platt', classes: 2, a: [null], b: [0] } }, 'b'),
    /platt state is invalid at a\.0/,
  )
})
