import assert from 'node:assert/strict'
import test from 'node:test'
import {
  fitConformalSets,
  predictionSets,
  rowHashUniform,
  setCoverage,
  type SetOptions,
} from '../../src/inference/conformal/classification.js'
import { uniform } from '../helpers.js'

test('lac and non-randomised aps on a hand-computed calibration set', () => {
  // Three calibration rows of two classes; true class probabilities 0.9, 0.6, 0.3.
  const p = Float64Array.of(0.9, 0.1, 0.4, 0.6, 0.7, 0.3)
  const y = Float64Array.of(0, 1, 1)
  // lac scores 1 - p_y: 0.1, 0.4, 0.7; coverage 0.5 takes rank ceil(4 * 0.5) = 2: threshold 0.4.
  const lac = fitConformalSets(p, y, 2, { method: 'lac', coverage: 0.5 })
  assert.ok(Math.abs(lac.threshold - 0.4) < 1e-12)
  // A new row (0.55, 0.45): class 0 scores 0.45 > 0.4, class 1 scores 0.55: an empty set; (0.65, 0.35) holds class 0.
  assert.deepEqual(
    [...predictionSets(lac, Float64Array.of(0.55, 0.45, 0.65, 0.35), { method: 'lac', coverage: 0.5 })],
    [0, 0, 1, 0],
  )
  // aps with u = 1 scores the mass down to the true class: 0.9, 0.6, 1.0; rank 2 gives 0.9.
  const opts: SetOptions = { method: 'aps', coverage: 0.5, randomized: false }
  const aps = fitConformalSets(p, y, 2, opts)
  assert.ok(Math.abs(aps.threshold - 0.9) < 1e-12)
  // (0.95, 0.05): the top class alone reaches 0.95 > 0.9: empty; (0.6, 0.4): top class 0.6, both 1.0: {class 0}.
  assert.deepEqual([...predictionSets(aps, Float64Array.of(0.95, 0.05, 0.6, 0.4), opts)], [0, 0, 1, 0])
  // Too few rows for the coverage: every class is in every set.
  const all = fitConformalSets(p, y, 2, { method: 'lac', coverage: 0.9 })
  assert.equal(all.threshold, Infinity)
  assert.deepEqual([...predictionSets(all, Float64Array.of(0.99, 0.01), { method: 'lac', coverage: 0.9 })], [1, 1])
  assert.throws(() => fitConformalSets(p, Float64Array.of(0, 2, 1), 2, opts), /target 2 at row 1/)
  assert.throws(
    () => fitConformalSets(Float64Array.of(0.5, NaN), Float64Array.of(0), 2, opts),
    /row 0 has probability NaN/,
  )
})

/** Rows of k class probabilities (random, peaked) and labels drawn from them: calibrated and exchangeable. */
function calibrated(r: () => number, n: number, k: number): { p: Float64Array; y: Float64Array } {
  const p = new Float64Array(n * k)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let sum = 0
    for (let c = 0; c < k; c++) sum += p[i * k + c] = Math.pow(r(), 3)
    for (let c = 0; c < k; c++) p[i * k + c] /= sum
    // The label: the first class whose cumulative probability passes a uniform draw.
    const v = r()
    let cum = 0
    y[i] = k - 1
    for (let c = 0; c < k - 1; c++) {
      cum += p[i * k + c]
      if (v < cum) {
        y[i] = c
        break
      }
    }
  }
  return { p, y }
}

test('set coverage over 200 repetitions of 300 calibration rows, 5 classes: lac, aps, raps at 0.9', () => {
  const r = uniform(31)
  const k = 5
  const reps = 200
  const methods: SetOptions[] = [
    { method: 'lac', coverage: 0.9 },
    { method: 'aps', coverage: 0.9, seed: 1 },
    { method: 'raps', coverage: 0.9, seed: 1, lambda: 0.05, kReg: 1 },
  ]
  const mean = methods.map(() => ({ coverage: 0, size: 0 }))
  for (let rep = 0; rep < reps; rep++) {
    const cal = calibrated(r, 299, k)
    const fresh = calibrated(r, 300, k)
    methods.forEach((opts, j) => {
      const sets = fitConformalSets(cal.p, cal.y, k, { ...opts, seed: rep })
      const got = setCoverage(predictionSets(sets, fresh.p, { ...opts, seed: rep }), fresh.y, k)
      mean[j].coverage += got.coverage / reps
      mean[j].size += got.meanSize / reps
    })
  }
  // 299 rows: rank ceil(300 * 0.9) = 270 is exactly 90% of n + 1.
  for (const [j, m] of mean.entries())
    assert.ok(Math.abs(m.coverage - 0.9) < 0.01, `${methods[j].method}: ${JSON.stringify(m)}`)
  // lac gives the smallest sets; raps's penalty keeps its sets no larger than aps's.
  assert.ok(mean[0].size < mean[1].size && mean[2].size <= mean[1].size, JSON.stringify(mean))
})

test('row-hash draws: a row gets the same u wherever it is scored, and aps and raps still cover their target over 200 repetitions', () => {
  const r = uniform(47)
  const k = 4
  const { p } = calibrated(r, 50, k)
  // The same row, alone or among others, in any position, gets the same draw; other rows or seeds get others.
  const u = (rows: Float64Array, i: number, seed = 3) => rowHashUniform(rows, i, k, seed)
  const row7 = p.slice(7 * k, 8 * k)
  assert.equal(u(row7, 0), u(p, 7))
  assert.notEqual(u(p, 7), u(p, 8))
  assert.notEqual(u(p, 7), u(p, 7, 4))
  const draws = Array.from({ length: 50 }, (_, i) => u(p, i))
  assert.ok(draws.every((v) => v >= 0 && v < 1))
  const sets = fitConformalSets(p, calibrated(r, 50, k).y, k, { method: 'aps', coverage: 0.8, draw: 'row_hash' })
  const opts: SetOptions = { method: 'aps', coverage: 0.8, draw: 'row_hash' }
  const all = predictionSets(sets, p, opts)
  assert.deepEqual([...predictionSets(sets, row7, opts)], [...all.subarray(7 * k, 8 * k)])

  const reps = 200
  const methods: SetOptions[] = [
    { method: 'aps', coverage: 0.9, draw: 'row_hash' },
    { method: 'raps', coverage: 0.9, lambda: 0.05, kReg: 1, draw: 'row_hash' },
  ]
  const mean = methods.map(() => 0)
  for (let rep = 0; rep < reps; rep++) {
    const cal = calibrated(r, 299, 5)
    const fresh = calibrated(r, 300, 5)
    methods.forEach((o, j) => {
      const fitted = fitConformalSets(cal.p, cal.y, 5, { ...o, seed: rep })
      mean[j] += setCoverage(predictionSets(fitted, fresh.p, { ...o, seed: rep }), fresh.y, 5).coverage / reps
    })
  }
  for (const [j, m] of mean.entries()) assert.ok(Math.abs(m - 0.9) < 0.01, `${methods[j].method}: ${m}`)
})
