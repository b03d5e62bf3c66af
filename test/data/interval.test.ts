import { test } from 'node:test'
import assert from 'node:assert/strict'
import { intervalMismatch } from '../../src/data/interval.js'

const MIN = 60_000
const DAY = 1440 * MIN
const ONE_MINUTE = { name: '1m', ms: MIN }
const ONE_DAY = { name: '1d', ms: DAY }

/** Timestamps from steps (ms), starting at a Monday. */
function fromSteps(steps: readonly number[]): Float64Array {
  const ts = [Date.UTC(2023, 0, 2)]
  for (const s of steps) ts.push(ts[ts.length - 1] + s)
  return Float64Array.from(ts)
}

test('bars of another interval are refused once the file shows it', () => {
  const fiveMinute = fromSteps(Array.from({ length: 200 }, (_, i) => (i % 50 === 49 ? 60 * MIN : 5 * MIN)))
  assert.match(
    intervalMismatch('f.csv', fiveMinute, ONE_MINUTE) ?? '',
    /bars in f\.csv are 5-minute \(most common step 5m in 98% of 200 steps\) but data\.interval is 1m; set data\.interval: 5m/,
  )
  // Coarser bars without a single step of the interval, even where no step dominates.
  const mixed = fromSteps(Array.from({ length: 60 }, (_, i) => [2, 3, 4][i % 3] * MIN))
  assert.match(intervalMismatch('f.csv', mixed, ONE_MINUTE) ?? '', /are 2-minute .* but data\.interval is 1m/)
  // Finer bars than the interval: even two bars say so.
  assert.match(intervalMismatch('f.csv', fromSteps([MIN]), ONE_DAY) ?? '', /are 1-minute .* data\.interval is 1d/)
})

test('short files and thinly traded bars of the interval are not taken for another interval', () => {
  // Two bars around a weekend, or two minutes apart: too little to tell.
  assert.equal(intervalMismatch('f.csv', fromSteps([2941 * MIN]), ONE_MINUTE), null)
  assert.equal(intervalMismatch('f.csv', fromSteps([2 * MIN]), ONE_MINUTE), null)
  // A daily file of a Friday and a Monday.
  assert.equal(intervalMismatch('f.csv', fromSteps([3 * DAY]), ONE_DAY), null)
  // Thin 1-minute trading: gaps of 2 to 5 minutes, 3-minute steps the most common, 1-minute steps present.
  const thin = fromSteps(Array.from({ length: 200 }, (_, i) => [1, 3, 3, 2, 5, 3, 4, 1][i % 8] * MIN))
  assert.equal(intervalMismatch('f.csv', thin, ONE_MINUTE), null)
  // Daily bars with weekends.
  const weekdays = fromSteps(Array.from({ length: 100 }, (_, i) => (i % 5 === 4 ? 3 * DAY : DAY)))
  assert.equal(intervalMismatch('f.csv', weekdays, ONE_DAY), null)
})
