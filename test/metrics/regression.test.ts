import assert from 'node:assert/strict'
import test from 'node:test'
import {
  averageRanks,
  directionalHitRate,
  informationCoefficient,
  intervalCoverage,
  meanAbsoluteError,
  pearson,
  pinballLoss,
} from '../../src/metrics/regression.js'

const f = (...v: number[]) => Float64Array.from(v)

test('regression metrics on hand-computed cases', () => {
  assert.equal(meanAbsoluteError(f(1, 2, 3), f(2, 2, 5)), 1)
  assert.deepEqual([...averageRanks(f(10, 30, 20, 30))], [1, 3.5, 2, 3.5])
  assert.ok(Math.abs(pearson(f(1, 2, 3), f(2, 4, 6)) - 1) < 1e-15)
  // Spearman: monotone but not linear is still 1; reversed is -1.
  assert.ok(Math.abs(informationCoefficient(f(1, 2, 3, 4), f(1, 8, 27, 64)) - 1) < 1e-15)
  assert.ok(Math.abs(informationCoefficient(f(1, 2, 3, 4), f(4, 3, 2, 1)) + 1) < 1e-15)
  // Rows with a zero outcome are left out; a zero forecast is a miss.
  assert.equal(directionalHitRate(f(0.1, -0.2, 0, 0.3), f(0.5, 0.1, -0.1, 0)), 1 / 3)
  assert.deepEqual(intervalCoverage(f(0, 0, 0), f(1, 2, 3), f(0.5, 2.5, 3)), {
    coverage: 2 / 3,
    width: 2,
    unbounded: 0,
  })
  // An unbounded interval holds its target and stays out of the mean width.
  assert.deepEqual(intervalCoverage(f(0, -Infinity, 0), f(1, 2, Infinity), f(0.5, -9, 7)), {
    coverage: 1,
    width: 1,
    unbounded: 2,
  })
  // Pinball at 0.9: under-forecast by 1 costs 0.9, over-forecast by 1 costs 0.1.
  assert.ok(Math.abs(pinballLoss(f(0, 2), f(1, 1), 0.9) - 0.5) < 1e-15)
})

test('regression metrics on empty and constant sets are numbers, never NaN', () => {
  const e = new Float64Array(0)
  for (const v of [
    meanAbsoluteError(e, e),
    informationCoefficient(e, e),
    directionalHitRate(e, e),
    intervalCoverage(e, e, e).coverage,
    pinballLoss(e, e, 0.5),
    informationCoefficient(f(1, 1, 1), f(1, 2, 3)),
    pearson(f(2), f(3)),
  ])
    assert.equal(v, 0)
})
