import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import test from 'node:test'
import { fitIsotonic, isotonicEntry, predictIsotonic } from '../../src/inference/calibration/isotonic.js'
import { loadPostProcessor } from '../../src/inference/post-processors.js'
import type { Outputs } from '../../src/models/contract.js'
import { SHARED_MISSING, sharedFile, uniform } from '../helpers.js'

const FIXTURE = 'fixtures/calibration/calibration_vectors.json'

const f64 = (xs: readonly number[]) => Float64Array.from(xs)

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

test("isotonic: scikit-learn's fixtures (PAV, ties, weights), fitted values at the training scores to 1e-6", (t) => {
  const path = sharedFile(FIXTURE)
  if (!path) return t.skip(SHARED_MISSING)
  const v = JSON.parse(readFileSync(path, 'utf8'))
  const pavX = f64(v.isotonic_pav_sklearn_test.x_index)
  const ties = v.isotonic_ties
  const weighted = v.isotonic_weighted
  // The JSON keys hold dots ("sklearn_1.2.1_fit"), so they are read by bracket.
  const cases: [string, Float64Array, number[], number[] | undefined, number[]][] = [
    ['pav', pavX, v.isotonic_pav_sklearn_test.y, undefined, v.isotonic_pav_sklearn_test.expected_fit],
    ['ties', f64(ties.x), ties.y, undefined, ties['sklearn_1.2.1_fit_at_x']],
    ['weighted', f64(weighted.x), weighted.y, weighted.w, weighted['sklearn_1.2.1_fit']],
  ]
  for (const [what, x, y, w, want] of cases) {
    const curve = fitIsotonic(x, f64(y), w && f64(w))
    const err = maxDiff(predictIsotonic(curve, x), want)
    t.diagnostic(`${what}: max error ${err.toExponential(2)}`)
    assert.ok(err < 1e-6, `${what}: ${err}`)
  }
  // The documented example also agrees with what scikit-learn 1.2.1 returned.
  const pav = fitIsotonic(pavX, f64(v.isotonic_pav_sklearn_test.y))
  assert.ok(maxDiff(predictIsotonic(pav, pavX), v.isotonic_pav_sklearn_test['sklearn_1.2.1_fit']) < 1e-6)
})

test('isotonic tie rule: equal scores are pooled to their weighted mean and always get one value', () => {
  // Unpooled, sorting ties by target would fit [1, 2, 3, 4, 5] here (no violation): pooling gives one value per score.
  const x = f64([3, 1, 2, 1, 3])
  const curve = fitIsotonic(x, f64([4, 2, 3, 1, 5]))
  assert.deepEqual(Array.from(predictIsotonic(curve, x)), [4.5, 1.5, 3, 1.5, 4.5])
  // Weighted ties: the weights enter the pooled mean, whatever the row order.
  const w = fitIsotonic(f64([1, 1, 1, 0]), f64([0, 1, 1, 0]), f64([3, 1, 0, 2]))
  assert.deepEqual(Array.from(predictIsotonic(w, f64([0, 1]))), [0, 0.25])
  // A row of weight 0 is ignored outright: it neither moves a mean nor adds a breakpoint.
  assert.deepEqual(Array.from(w.x), [0, 1])
})

test('isotonic ranking: never reversed, ties kept, ordered scores only merge into flat steps', () => {
  const r = uniform(2)
  const n = 5000
  const x = Float64Array.from({ length: n }, () => Math.round(r() * 200) / 200)
  const y = Float64Array.from(x, (v) => (r() < v * v ? 1 : 0))
  const curve = fitIsotonic(x, y)
  const probe = Float64Array.from({ length: 3000 }, (_, i) => -0.1 + (1.2 * i) / 2999)
  const fitted = predictIsotonic(curve, probe)
  for (let i = 1; i < probe.length; i++) assert.ok(fitted[i] >= fitted[i - 1])
  for (let i = 1; i < curve.x.length; i++) assert.ok(curve.x[i] > curve.x[i - 1] && curve.y[i] >= curve.y[i - 1])
  // Between two steps of different heights the interpolation is strictly increasing.
  const j = Array.from(curve.y.keys()).find((i) => i > 0 && curve.y[i] > curve.y[i - 1])!
  const mid = predictIsotonic(
    curve,
    f64([curve.x[j - 1] + (curve.x[j] - curve.x[j - 1]) / 3, curve.x[j - 1] + (2 * (curve.x[j] - curve.x[j - 1])) / 3]),
  )
  assert.ok(mid[1] > mid[0])
})

test('isotonic: interpolates linearly between breakpoints and clips outside them', () => {
  const curve = fitIsotonic(f64([0, 1, 2]), f64([0, 0.5, 1]))
  assert.deepEqual(Array.from(predictIsotonic(curve, f64([-5, 0.5, 1.5, 7]))), [0, 0.25, 0.75, 1])
})

test('isotonic: one row, equal scores, one class, two rows: finite constants or steps', () => {
  for (const [what, x, y, want] of [
    ['n = 1', [0.3], [1], [1, 1, 1]],
    ['equal scores', [0.4, 0.4, 0.4, 0.4], [1, 0, 0, 1], [0.5, 0.5, 0.5]],
    ['one class', [0.1, 0.7, 0.2], [0, 0, 0], [0, 0, 0]],
    ['n = 2, decreasing', [0.2, 0.8], [1, 0], [0.5, 0.5, 0.5]],
  ] as const) {
    const curve = fitIsotonic(f64(x), f64(y))
    assert.deepEqual(Array.from(predictIsotonic(curve, f64([0, 0.5, 1]))), want, what)
  }
})

test('isotonic: bad inputs are refused, naming the row', () => {
  assert.throws(() => fitIsotonic(f64([0, NaN]), f64([0, 1])), /isotonic: the score of row 1 is NaN/)
  assert.throws(() => fitIsotonic(f64([0, 1]), f64([0, Infinity])), /the target of row 1 is Infinity/)
  assert.throws(() => fitIsotonic(f64([0, 1]), f64([0, 1]), f64([1, -2])), /the weight of row 1 is -2/)
  assert.throws(() => fitIsotonic(f64([0, 1]), f64([0, 1]), f64([0, 0])), /no rows with a positive weight/)
  assert.throws(() => fitIsotonic(f64([]), f64([])), /no rows/)
  const out: Outputs = { n: 2, p: f64([0.5, 0.5, 0.2, 0.8]), classes: 2 }
  assert.throws(() => isotonicEntry.fit({}, out, f64([0, 0.5])), /isotonic: the label of row 1 is 0.5/)
  assert.throws(() => isotonicEntry.fit({}, { ...out, p: f64([0.5, 0.5, NaN, 0.8]) }, f64([0, 1])), /row 1, class 0/)
  assert.throws(() => isotonicEntry.params.parse({ increasing: false }), /increasing/)
})

const rowsOf = (out: Outputs) => Array.from({ length: out.n }, (_, i) => Array.from(out.p!.subarray(i * 3, i * 3 + 3)))

test('isotonic entry: a row every class calibrates to 0 keeps the model row (renormalised), never NaN', () => {
  // Class c's curve is 0 below 0.5 and 1 above: a row with every probability below 0.5 gets 0 for every class.
  const step = { x: [0.49, 0.5], y: [0, 1] }
  const saved = loadPostProcessor(
    { name: 'isotonic', state: { method: 'isotonic', classes: 3, curves: [step, step, step] } },
    'hand-made',
  )
  const out = isotonicEntry.apply(saved.state as never, { n: 2, p: f64([0.2, 0.3, 0.4, 0.7, 0.2, 0.1]), classes: 3 })
  const rows = rowsOf(out)
  assert.ok(Math.abs(rows[0][0] - 0.2 / 0.9) < 1e-15 && Math.abs(rows[0][2] - 0.4 / 0.9) < 1e-15, String(rows[0]))
  assert.deepEqual(rows[1], [1, 0, 0])
  assert.equal(out.p_up![0], rows[0][2])
  // A model row that also sums to 0 becomes uniform.
  const zero = isotonicEntry.apply(saved.state as never, { n: 1, p: f64([0, 0, 0]), classes: 3 })
  assert.deepEqual(rowsOf(zero)[0], [1 / 3, 1 / 3, 1 / 3])
})

test('isotonic entry: a single-class set, tiny sets and probabilities 0 and 1 give finite distributions', () => {
  const raw = f64([1, 0, 0, 0, 1, 0, 0, 0, 1, 0.2, 0.3, 0.5])
  for (const [what, p, y] of [
    ['one class', raw, [2, 2, 2, 2]],
    ['n = 1', raw.subarray(0, 3), [0]],
    ['n = 2', raw.subarray(0, 6), [1, 1]],
    ['exact 0 and 1', raw, [0, 1, 2, 1]],
    ['all equal', f64([0.2, 0.3, 0.5, 0.2, 0.3, 0.5]), [0, 2]],
  ] as const) {
    const state = isotonicEntry.fit({}, { n: y.length, p: Float64Array.from(p), classes: 3 }, Float64Array.from(y))
    const saved = loadPostProcessor(JSON.parse(JSON.stringify({ name: 'isotonic', state })), what)
    const out = isotonicEntry.apply(saved.state as never, { n: 4, p: raw, classes: 3 })
    for (const row of rowsOf(out)) {
      assert.ok(
        row.every((v) => v >= 0 && v <= 1),
        `${what}: ${row}`,
      )
      assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-12, `${what}: ${row}`)
    }
  }
})

test('isotonic entry: binary outputs fit the positive class once and give the other its complement', () => {
  const p = f64([0.9, 0.1, 0.6, 0.4, 0.3, 0.7, 0.2, 0.8])
  const state = isotonicEntry.fit({}, { n: 4, p, classes: 2 }, f64([0, 1, 0, 1]))
  assert.equal(state.curves.length, 1)
  const out = isotonicEntry.apply(state, { n: 4, p, classes: 2 })
  assert.deepEqual(Array.from(out.p_up!), [0, 0.5, 0.5, 1])
  for (let i = 0; i < 4; i++) assert.equal(out.p![i * 2], 1 - out.p![i * 2 + 1])
})

test('isotonic state: breakpoints are checked on load (finite, x increasing, y non-decreasing, within [0, 1])', () => {
  const bad = (curve: unknown) => ({ name: 'isotonic', state: { method: 'isotonic', classes: 2, curves: [curve] } })
  for (const [curve, where] of [
    [{ x: [0.1, 0.1], y: [0, 1] }, /at curves\.0\.x\.1: breakpoints must be strictly increasing/],
    [{ x: [0.1, 0.2], y: [0.6, 0.5] }, /at curves\.0\.y\.1: values must be non-decreasing/],
    [{ x: [0.1, 0.2], y: [0, 1.5] }, /at curves\.0\.y\.1: 1.5 is not a probability/],
    [{ x: [-0.1, 0.2], y: [0, 1] }, /at curves\.0\.x\.0/],
    [{ x: [0.1, 0.2], y: [0] }, /at curves\.0\.y: 1 values for 2 breakpoints/],
    [{ x: [], y: [] }, /at curves\.0\.x/],
    [{ x: [0.1, null], y: [0, 1] }, /at curves\.0\.x\.1/],
  ] as const)
    assert.throws(() => loadPostProcessor(bad(curve), 'bundle y'), where, JSON.stringify(curve))
  assert.throws(
    () => loadPostProcessor({ name: 'isotonic', state: { method: 'isotonic', classes: 3, curves: [] } }, 'b'),
    /at curves: 3 curves for 3 classes, given 0/,
  )
})
