import assert from 'node:assert/strict'
import test from 'node:test'
import { conformalQuantile, conformalRank, minCalibrationScores } from '../../src/inference/conformal/quantile.js'
import { gauss } from '../helpers.js'

test('conformal rank: ceil((n + 1) * coverage), exact where the product rounds just above a whole number', () => {
  assert.equal(conformalRank(9, 0.9), 9)
  assert.equal(conformalRank(8, 0.9), 9, 'above n: too few scores')
  assert.equal(conformalRank(19, 0.95), 19)
  assert.equal(conformalRank(10, 0.5), 6)
  // (99 + 1) * 0.07 is 7.000000000000001 in floating point; the rule's rank is 7.
  assert.equal(conformalRank(99, 0.07), 7)
  assert.deepEqual([0.5, 0.9, 0.95, 0.99].map(minCalibrationScores), [1, 9, 19, 99])
  assert.throws(() => conformalRank(10, 1), /coverage 1 is not in \(0, 1\)/)
  assert.throws(() => conformalRank(-1, 0.9), /not a count/)
})

test('conformal quantile: the score of that rank, +Infinity when the rank exceeds n, refusing non-finite scores', () => {
  const scores = Float64Array.from([7, 3, 10, 1, 9, 2, 8, 4, 6, 5])
  assert.equal(conformalQuantile(scores, 0.9), 10)
  assert.equal(conformalQuantile(scores, 0.5), 6)
  assert.deepEqual([...scores], [7, 3, 10, 1, 9, 2, 8, 4, 6, 5], 'the input is not reordered')
  assert.equal(conformalQuantile(scores.subarray(0, 8), 0.9), Infinity)
  assert.equal(conformalQuantile(new Float64Array(0), 0.5), Infinity)
  assert.throws(() => conformalQuantile(Float64Array.of(1, NaN, 2), 0.5), /calibration row 1 is not finite/)
})

test('conformal quantile covers new exchangeable scores at the target: 200 repetitions of 50 calibration scores', () => {
  const g = gauss(17)
  const coverage = 0.9
  const n = 50
  const reps = 200
  const perRep: number[] = []
  for (let r = 0; r < reps; r++) {
    const q = conformalQuantile(Float64Array.from({ length: n }, g), coverage)
    let covered = 0
    const fresh = 2000
    for (let j = 0; j < fresh; j++) if (g() <= q) covered++
    perRep.push(covered / fresh)
  }
  const mean = perRep.reduce((s, v) => s + v, 0) / reps
  // Exactly rank / (n + 1) = 46/51 = 0.902 in expectation: never below the target beyond noise, at most 1/(n + 1) over.
  assert.ok(Math.abs(mean - coverage) < 0.01, String(mean))
  assert.ok(mean >= coverage - 0.005 && mean <= coverage + 1 / (n + 1) + 0.005, String(mean))
})
