import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cumulativeRegret, rowLogLosses } from '../../src/metrics/regret.js'

test('regret: cumulative against the best alternative in hindsight (the first on ties), negative when beaten', () => {
  const done = Float64Array.from([1, 1, 1, 1])
  const a = Float64Array.from([0, 2, 0, 2]) // total 4
  const b = Float64Array.from([1, 0, 1, 1]) // total 3: the best
  const r = cumulativeRegret(done, [a, b])
  assert.equal(r.best, 1)
  assert.deepEqual(Array.from(r.cumulative), [0, 1, 1, 1])
  assert.equal(
    cumulativeRegret(Float64Array.from([0, 0]), [Float64Array.from([1, 1]), Float64Array.from([2, 0])]).best,
    0,
  )
  const beaten = cumulativeRegret(Float64Array.from([0, 0]), [Float64Array.from([1, 1])])
  assert.deepEqual(Array.from(beaten.cumulative), [-1, -2])
  assert.throws(() => cumulativeRegret(done, []), /at least one alternative/)
  assert.throws(() => cumulativeRegret(done, [Float64Array.from([1])]), /alternative 0 has 1 losses for 4 rows/)
})

test('regret: per-row log-loss of the true class, floored (never infinite)', () => {
  const p = Float64Array.from([0.5, 0.25, 0.25, 0, 1, 0])
  const l = rowLogLosses(p, Float64Array.from([0, 0]), 3)
  assert.equal(l[0], Math.log(2))
  assert.equal(l[1], -Math.log(1e-15))
})
