import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validationPolicySchema } from '../../src/data/validate.js'
import { ONE_MINUTE, parseTimeframe } from '../../src/data/timeframe.js'
import { RequestError } from '../../src/serve/errors.js'
import { parseBarTime, planLiveBars } from '../../src/serve/live-bars.js'

const T = Date.parse('2023-08-01T00:10:00Z')
const bar = (min: number, over: Record<string, number | null> = {}) => ({
  ts: T + min * 60_000,
  open: 10,
  high: 11,
  low: 9,
  close: 10.5,
  volume: 3,
  ...over,
})
const last = { ts: T, open: 10, high: 11, low: 9, close: 10.5, volume: 3 }
const policy = (over: Record<string, string> = {}) => validationPolicySchema.parse(over)

test('live bars follow the ingest policies: fail refuses the whole request, drop and repair act per bar', () => {
  // fail (the defaults): the request is refused, naming the bar and the rule.
  for (const [b, status, rule] of [
    [bar(-1), 409, /backward step/],
    [bar(1, { close: 10.6 }), 409, /duplicate conflict/],
    [bar(2, { high: 8 }), 422, /ohlc violation/],
    [bar(2, { low: 0 }), 422, /bad price/],
    [bar(2, { volume: -1 }), 422, /bad volume/],
  ] as const) {
    assert.throws(
      () => planLiveBars([bar(1), b], last, policy(), ONE_MINUTE),
      (e: unknown) =>
        e instanceof RequestError && e.status === status && rule.test(e.message) && /bars\[1\]/.test(e.message),
    )
  }
  // An exact duplicate is dropped by default, like ingest drops it.
  assert.deepEqual(
    planLiveBars([bar(0)], last, policy(), ONE_MINUTE).map((a) => a.kind),
    ['dropped'],
  )
  // drop, repair, keep.
  const lenient = policy({
    backward_step: 'repair',
    ohlc_violation: 'repair',
    missing_volume: 'repair',
    bad_price: 'drop',
  })
  const plan = planLiveBars(
    [bar(1, { high: 10 }), bar(-3), bar(2, { volume: null }), bar(3, { open: -1 }), bar(6)],
    last,
    lenient,
    ONE_MINUTE,
  )
  assert.deepEqual(
    plan.map((a) => a.kind),
    ['push', 'dropped', 'push', 'dropped', 'push'],
  )
  const [first, , third, , fifth] = plan
  assert.ok(first.kind === 'push' && first.bar.high === 10.5 && first.bar.low === 9)
  assert.ok(third.kind === 'push' && third.bar.volume === 0)
  // After bar 2 (bar 3 was dropped): bars 3, 4 and 5 are missing.
  assert.ok(fifth.kind === 'push' && fifth.gapBars === 3, 'a gap of three missing bars is reported')
  // Bars off the interval's grid (1m bars sent to a 5m bundle) are refused.
  const fiveMinutes = parseTimeframe('5m')
  assert.equal(planLiveBars([bar(5), bar(15)], last, policy(), fiveMinutes).length, 2)
  assert.throws(
    () => planLiveBars([bar(5), bar(6)], last, policy(), fiveMinutes),
    (e: unknown) =>
      e instanceof RequestError &&
      e.status === 422 &&
      e.field === 'bars[1].ts' &&
      /not a whole number of the bundle's 5m bars/.test(e.message),
  )
  const kept = planLiveBars([bar(1, { volume: null })], last, policy(), ONE_MINUTE)
  assert.ok(kept[0].kind === 'push' && Number.isNaN(kept[0].bar.volume), 'missing volume kept as NaN by default')
})

test('bar times: epoch ms or ISO-8601 with an offset, on a whole minute', () => {
  assert.equal(parseBarTime('2023-08-01T00:10:00Z', 'ts'), T)
  assert.equal(parseBarTime('2023-08-01T02:10:00+02:00', 'ts'), T)
  assert.equal(parseBarTime(T, 'ts'), T)
  for (const bad of ['2023-08-01 00:10', '2023-08-01T00:10:30Z', 'soon', T + 1, T + 0.5])
    assert.throws(
      () => parseBarTime(bad, 'bars[3].ts'),
      (e: unknown) => e instanceof RequestError && e.field === 'bars[3].ts',
    )
})
