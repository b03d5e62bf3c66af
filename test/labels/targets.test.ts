import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bracketOutcomes, forwardReturn, multiHeadTargets, quantileBins } from '../../src/labels/targets.js'
import { purgedKFold } from '../../src/validation/kfold.js'
import { spansForHorizon } from '../../src/validation/spans.js'
import { barsFrom, constant } from './helpers.js'

// Decision row 0; next open 100. Bar 1 high 100.3, bar 2 low 99.5 then high 100.6, bar 3 closes at 100.4.
const bars = barsFrom([
  [99, 99.5, 98.5, 99.8],
  [100, 100.3, 99.9, 100.1],
  [100.1, 100.6, 99.5, 100.2],
  [100.2, 100.5, 100, 100.4],
  [100.4, 100.4, 100.4, 100.4],
])

test('forward return: next open to the close of t+h; NaN where the horizon passes the end', () => {
  const r = forwardReturn(bars, 3)
  assert.ok(Math.abs(r[0] - 0.004) < 1e-12)
  assert.ok(Math.abs(r[1] - (100.4 / 100.1 - 1)) < 1e-12)
  assert.ok(Number.isNaN(r[2]) && Number.isNaN(r[4]))
  const c = forwardReturn(bars, 1, 'close')
  assert.ok(Math.abs(c[0] - (100.1 / 99.8 - 1)) < 1e-12)
  assert.throws(() => forwardReturn(bars, 5), /horizon 5 bars is longer than the data \(5 bars\)/)
})

test('multi-head targets: tradeable, direction given tradeable, strength, reach up/down/either', () => {
  const m = multiHeadTargets(bars, constant(5, 0.5), {
    horizon: 3,
    tradeableReturn: 0.005,
    reachThresholds: [0.002, 0.006],
  })
  assert.equal(m.tradeable[0], 1, 'low 99.5 is a 0.5% move down')
  // Both thresholds (100.5 up, 99.5 down) are first touched inside bar 2: the order is unknown.
  assert.ok(Number.isNaN(m.direction[0]))
  // Row 1 enters at 100.1: the low 99.5 is a 0.6% move down, the high 100.6 just under 0.5% up: down first.
  assert.equal(m.tradeable[1], 1)
  assert.equal(m.direction[1], 0)
  assert.ok(Math.abs(m.strength[0] - 0.8) < 1e-9, '(100.4 - 100) / 0.5')
  const [r2, r6] = m.reach
  assert.deepEqual([r2.up[0], r2.down[0], r2.either[0]], [1, 1, 1])
  assert.deepEqual([r6.up[0], r6.down[0], r6.either[0]], [1, 0, 1])
  assert.ok(Number.isNaN(m.tradeable[2]))
  assert.throws(
    () => multiHeadTargets(bars, constant(5, 0), { horizon: 1, tradeableReturn: 0.01, reachThresholds: [] }),
    /volatility must be finite and > 0/,
  )
})

test('direction given tradeable: the threshold touched first wins; both in one bar is unknown (NaN)', () => {
  const up = barsFrom([
    [100, 100, 100, 100],
    [100, 100.6, 99.9, 100.5],
    [100.5, 100.5, 99, 99],
  ])
  const m = multiHeadTargets(up, constant(3, 1), { horizon: 2, tradeableReturn: 0.005, reachThresholds: [] })
  assert.equal(m.tradeable[0], 1)
  assert.equal(m.direction[0], 1)
  const flat = barsFrom([
    [100, 100, 100, 100],
    [100, 100.1, 99.95, 100],
    [100, 100.1, 99.9, 100],
  ])
  const f = multiHeadTargets(flat, constant(3, 1), { horizon: 2, tradeableReturn: 0.005, reachThresholds: [] })
  assert.equal(f.tradeable[0], 0)
  assert.ok(Number.isNaN(f.direction[0]), 'no direction when not tradeable')
})

test('bracket outcomes: exclusive bins, exactly one hot per finite value', () => {
  const v = Float64Array.from([-0.01, -0.001, 0, 0.0005, 0.003, NaN])
  const b = bracketOutcomes(v, [-0.002, 0, 0.002])
  assert.equal(b.k, 4)
  assert.deepEqual([...b.bin], [0, 1, 2, 2, 3, -1])
  for (let t = 0; t < 5; t++) {
    const row = [...b.oneHot.subarray(t * 4, t * 4 + 4)]
    assert.equal(
      row.reduce((a, x) => a + x, 0),
      1,
    )
    assert.equal(row[b.bin[t]], 1)
  }
  assert.deepEqual([...b.oneHot.subarray(20, 24)], [0, 0, 0, 0])
  assert.throws(() => bracketOutcomes(v, [0, 0]), /strictly increasing/)
})

test('quantile targets: edges come from training rows only', () => {
  const n = 200
  const values = Float64Array.from({ length: n }, (_, i) => (i * 37) % 101)
  const train = purgedKFold(spansForHorizon(n + 1, 1), 4)[3].train
  const q = quantileBins(values, train, [0.25, 0.5, 0.75])
  // Change every non-training value: the edges must not move.
  const trainSet = new Set(train)
  const moved = values.map((v, i) => (trainSet.has(i) ? v : v * 1000 + 7))
  assert.deepEqual(quantileBins(moved, train, [0.25, 0.5, 0.75]).edges, q.edges)
  assert.throws(
    () => quantileBins(values, Int32Array.from([1, 2]) as typeof train, [0.5]),
    /quantileBins: expected TrainIndices/,
  )
})
