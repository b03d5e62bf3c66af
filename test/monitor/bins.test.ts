import { test } from 'node:test'
import assert from 'node:assert/strict'
import { binCount, binCounts, binIndex, quantileBins, smoothedProportions } from '../../src/monitor/bins.js'
import { driftCases, finiteSorted } from './vectors.js'

test('quantile bins by hand: edges at the quantiles, tails and the missing bin around them', () => {
  const sorted = Float64Array.from({ length: 10 }, (_, i) => i + 1)
  const b = quantileBins(sorted, 2)
  assert.deepEqual(b, { lo: 1, hi: 10, edges: [5.5] })
  assert.equal(binCount(b), 5)
  // below 1 | [1, 5.5] | (5.5, 10] | above 10 | not finite (missing, or an unbounded interval end)
  assert.deepEqual(
    [0.5, 1, 5, 5.5, 5.6, 10, 10.1, NaN, -Infinity, Infinity].map((x) => binIndex(b, x)),
    [0, 1, 1, 1, 2, 2, 3, 4, 4, 4],
  )
  assert.deepEqual([...binCounts(b, sorted)], [0, 5, 5, 0, 0])
  // Quartiles of 1..10: 3.25, 5.5, 7.75.
  assert.deepEqual(quantileBins(sorted, 4).edges, [3.25, 5.5, 7.75])
})

test('ties and constants: edges are deduplicated, a constant gets below / equal / above', () => {
  // Deciles of [0 x 6, 1 x 3, 2] (position 9q): 0 up to q = 0.5, then 0.4, 1, 1, 1.1; deduplicated: 0, 0.4, 1, 1.1.
  const discrete = Float64Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
  const b = quantileBins(discrete, 10)
  assert.equal(b.edges.length, 4)
  ;[0, 0.4, 1, 1.1].forEach((e, k) => assert.ok(Math.abs(b.edges[k] - e) < 1e-12, `edge ${k}`))
  // below | [0, 0] | (0, 0.4] | (0.4, 1] | (1, 1.1] | (1.1, 2] | above | missing: the zeros have a bin of their own.
  assert.deepEqual([...binCounts(b, discrete)], [0, 6, 0, 3, 0, 1, 0, 0])
  const constant = quantileBins(Float64Array.from([3, 3, 3]), 10)
  assert.deepEqual(constant, { lo: 3, hi: 3, edges: [] })
  assert.deepEqual(
    [2.9, 3, 3.1, NaN].map((x) => binIndex(constant, x)),
    [0, 1, 2, 3],
  )
  assert.deepEqual(quantileBins(new Float64Array(0), 10), { lo: 0, hi: 0, edges: [] })
  assert.throws(() => quantileBins(discrete, 1), /at least 2 are needed/)
})

test('smoothed proportions: (c + a) / (n + a K), positive and summing to one', () => {
  const p = smoothedProportions([0, 3, 1], 0.5)
  assert.deepEqual([...p], [0.5 / 5.5, 3.5 / 5.5, 1.5 / 5.5])
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-15)
  assert.ok(smoothedProportions([0, 0, 0], 0.5).every((x) => x > 0 && Number.isFinite(x)))
})

test("bins and counts equal numpy's (np.quantile edges, np.searchsorted bins) on every fixture case", () => {
  for (const c of driftCases()) {
    const b = quantileBins(finiteSorted(c.reference), c.bins)
    assert.equal(b.lo, c.lo, c.name)
    assert.equal(b.hi, c.hi, c.name)
    assert.deepEqual(b.edges, c.edges, c.name)
    assert.deepEqual([...binCounts(b, c.reference)], c.counts_reference, c.name)
    assert.deepEqual([...binCounts(b, c.window)], c.counts_window, c.name)
  }
})
