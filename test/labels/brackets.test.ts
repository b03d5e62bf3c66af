import { test } from 'node:test'
import assert from 'node:assert/strict'
import { allocBars, type Bars } from '../../src/data/bars.js'
import { bracketEvents, rangeBounds, type BracketEvent } from '../../src/labels/brackets.js'
import { randomBars, rng } from './helpers.js'

const DAY = 86_400_000
const T0 = Date.UTC(2024, 0, 1)

/** Daily bars opening at 00:00 UTC from 2024-01-01 with the given closes (open = high = low = close). */
function daily(closes: readonly number[], skip: readonly number[] = []): Bars {
  const days = closes.map((_, i) => i).filter((i) => !skip.includes(i))
  const b = allocBars(days.length)
  days.forEach((d, i) => {
    b.ts[i] = T0 + d * DAY
    b.open[i] = b.high[i] = b.low[i] = b.close[i] = closes[d]
    b.volume[i] = 1
  })
  return b
}

const e = Math.exp
// Daily returns +0.1, -0.1, 0, +0.2, -0.1 after day 0.
const closes = [100, 100 * e(0.1), 100, 100, 100 * e(0.2), 100 * e(0.1)]
const config = { sigmaWindow: 2, edges: [-1.5, -0.5, 0, 0.5, 1.5] }

const near = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9 * Math.abs(b || 1), `${what}: ${a} vs ${b}`)

test('daily events: C0, settle, sigma from the two previous daily returns, price edges and outcomes', () => {
  const r = bracketEvents(daily(closes), config, DAY)
  assert.equal(r.k, 6)
  // Decision times: the close of each daily bar (T0 + 1 day .. T0 + 6 days).
  assert.deepEqual(
    r.dropped.map((d) => [(d.decisionTs - T0) / DAY, d.reason]),
    [
      [1, 'sigma_warmup'],
      [2, 'sigma_warmup'],
      [6, 'unsettled'],
    ],
  )
  assert.equal(r.droppedBy.sigma_warmup, 2)
  assert.equal(r.droppedBy.unsettled, 1)
  const expected = [
    // T = day 3: C0 = 100, returns {-0.1, +0.1}: sigma = 0.1 sqrt 2; settle 100: z = 0 lies in [0, 0.5): range 3.
    { day: 3, row: 2, c0: 100, settle: 100, sigma: 0.1 * Math.SQRT2, outcome: 3 },
    // T = day 4: returns {0, -0.1}: sigma = 0.1 / sqrt 2; settle up 0.2 = 2.83 sigma: range 5 (>= 1.5).
    { day: 4, row: 3, c0: 100, settle: 100 * e(0.2), sigma: 0.1 / Math.SQRT2, outcome: 5 },
    // T = day 5: returns {0.2, 0}: sigma = 0.1 sqrt 2; settle down 0.1 = -0.71 sigma: range 1 ([-1.5, -0.5)).
    { day: 5, row: 4, c0: 100 * e(0.2), settle: 100 * e(0.1), sigma: 0.1 * Math.SQRT2, outcome: 1 },
  ]
  assert.equal(r.events.length, expected.length)
  r.events.forEach((ev, i) => {
    const x = expected[i]
    assert.equal(ev.decisionTs, T0 + x.day * DAY)
    assert.equal(ev.settleTs, T0 + (x.day + 1) * DAY)
    assert.equal(ev.decisionRow, x.row)
    assert.equal(ev.settleRow, x.row + 1)
    near(ev.c0, x.c0, 'c0')
    near(ev.settle, x.settle, 'settle')
    near(ev.sigma, x.sigma, 'sigma')
    assert.equal(ev.outcome, x.outcome, `event ${i} outcome`)
    config.edges.forEach((k, j) => near(ev.priceEdges[j], x.c0 * e(k * x.sigma), `edge ${j}`))
  })
})

test('decision at a time of day: the last bar closed at or before it, not the bar opening at it', () => {
  // Hourly bars for 4 days; decisions at 06:00, one-hour returns of 1e-3 * hour index.
  const n = 96
  const b = allocBars(n)
  let c = 100
  for (let i = 0; i < n; i++) {
    b.ts[i] = T0 + i * 3_600_000
    c *= e(1e-3 * ((i % 5) - 2))
    b.open[i] = b.high[i] = b.low[i] = b.close[i] = c
  }
  const r = bracketEvents(b, { decisionTime: '06:00', sigmaWindow: 2 }, 3_600_000)
  assert.ok(r.events.length > 0)
  for (const ev of r.events) {
    assert.equal(new Date(ev.decisionTs).toISOString().slice(11, 16), '06:00')
    assert.equal(b.ts[ev.decisionRow] + 3_600_000, ev.decisionTs, 'the 05:00 bar closes at 06:00')
    assert.equal(ev.c0, b.close[ev.decisionRow])
  }
})

test('a gap over the settle time drops the event with its reason; later events lose their sigma window', () => {
  // Day 4's bar is missing: the bar closed by day 5 00:00 closed a day earlier.
  const r = bracketEvents(daily([...closes, 100, 101, 102], [4]), config, DAY)
  const reasons = new Map(r.dropped.map((d) => [(d.decisionTs - T0) / DAY, d.reason]))
  assert.equal(reasons.get(4), 'settle_gap')
  assert.equal(reasons.get(5), 'decision_gap')
  // Sigma at days 6 and 7 reads the close at day 5 (T - 1 or 2 days): that one is missing too.
  assert.equal(reasons.get(6), 'sigma_gap')
  assert.equal(reasons.get(7), 'sigma_gap')
  assert.equal(reasons.get(9), 'unsettled')
  assert.equal(r.events.length + r.dropped.length, 9, 'every decision time is an event or a counted drop')
  assert.deepEqual(
    r.events.map((ev) => (ev.decisionTs - T0) / DAY),
    [3, 8],
  )
})

test('flat prices give sigma 0: dropped as sigma_zero, never NaN edges', () => {
  const r = bracketEvents(daily([100, 100, 100, 100, 100]), config, DAY)
  assert.equal(r.events.length, 0)
  // Days 3, 4 and 5 (sigma is checked before the settle: day 5 is also unsettled).
  assert.equal(r.droppedBy.sigma_zero, 3)
})

test('exactly one range holds each settle price, and it is the outcome', () => {
  const r = bracketEvents(randomBars(6000, 7), { periodMinutes: 60, horizonMinutes: 90, sigmaWindow: 5 })
  assert.ok(r.events.length > 80, `${r.events.length} events`)
  const counts = new Array<number>(r.k).fill(0)
  for (const ev of r.events) {
    const holding = Array.from({ length: r.k }, (_, i) => i).filter((i) => {
      const [lo, hi] = rangeBounds(ev, i)
      return lo <= ev.settle && ev.settle < hi
    })
    assert.deepEqual(holding, [ev.outcome])
    counts[ev.outcome]++
  }
  assert.ok(
    counts.every((c) => c > 0),
    `every range occurs: ${counts.join(' ')}`,
  )
})

test('leakage: perturbing every bar after the decision leaves C0, sigma and the edges unchanged', () => {
  const bars = randomBars(3000, 11)
  const cfg = { periodMinutes: 120, horizonMinutes: 120, sigmaWindow: 4 }
  const base = bracketEvents(bars, cfg)
  assert.ok(base.events.length > 15)
  const rand = rng(3)
  let outcomesMoved = 0
  for (const ev of base.events) {
    const p: Bars = {
      ...bars,
      open: bars.open.slice(),
      high: bars.high.slice(),
      low: bars.low.slice(),
      close: bars.close.slice(),
    }
    for (let i = ev.decisionRow + 1; i < p.length; i++) {
      const f = 1 + (rand() - 0.5) * 0.2
      p.open[i] *= f
      p.high[i] *= f * 1.01
      p.low[i] *= f * 0.99
      p.close[i] *= f
    }
    const same = bracketEvents(p, cfg).events.find((x) => x.decisionTs === ev.decisionTs) as BracketEvent
    assert.ok(same, 'the event still exists')
    assert.equal(same.decisionRow, ev.decisionRow)
    assert.equal(same.c0, ev.c0)
    assert.equal(same.sigma, ev.sigma)
    assert.deepEqual(same.priceEdges, ev.priceEdges)
    if (same.outcome !== ev.outcome) outcomesMoved++
  }
  assert.ok(outcomesMoved > 0, 'the perturbation reached the outcomes')
})

test('bad config is refused naming the field', () => {
  const bars = daily(closes)
  assert.throws(
    () => bracketEvents(bars, { edges: [0, 1, 0.5] }),
    /brackets\.edges\.2: edges must be strictly increasing/,
  )
  assert.throws(() => bracketEvents(bars, { horizonMinutes: 0 }), /brackets\.horizonMinutes: /)
  assert.throws(() => bracketEvents(bars, { horizonMinutes: -1440 }), /brackets\.horizonMinutes: /)
  assert.throws(() => bracketEvents(bars, { decisionTime: '24:00' }), /brackets\.decisionTime: expected HH:MM/)
  assert.throws(() => bracketEvents(bars, { edges: [] }), /brackets\.edges: /)
  assert.throws(() => bracketEvents(bars, { sigmaWindow: 1 }), /brackets\.sigmaWindow: /)
  assert.throws(() => bracketEvents(bars, { horizon: 5 }), /brackets: Unrecognized key/i)
  const bad = daily(closes)
  bad.close[2] = 0
  assert.throws(() => bracketEvents(bad, config, DAY), /close 0 is not a positive price at row 2 \(2024-01-03/)
})
