import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  buildReference,
  columnReference,
  parseReference,
  REFERENCE_QUANTILES,
  type DriftReference,
} from '../../src/monitor/reference.js'
import { close, driftCases } from './vectors.js'

test('a column reference by hand: bins, counts with the missing bin, mean, population std, quantiles', () => {
  const values = Float64Array.from([3, 1, NaN, 2, 4, 5, 6, 7, 8, 9, 10])
  const c = columnReference({ name: 'x', group: 'momentum', values }, 2)
  assert.equal(c.finite, 10)
  assert.equal(c.missing, 1)
  assert.deepEqual([c.lo, c.hi, c.edges], [1, 10, [5.5]])
  assert.deepEqual(c.counts, [0, 5, 5, 0, 1])
  assert.equal(c.mean, 5.5)
  assert.equal(c.std, Math.sqrt(8.25))
  assert.equal(c.quantiles.length, REFERENCE_QUANTILES)
  assert.equal(c.quantiles[0], 1 + 0.005 * 9)
  assert.equal(c.group, 'momentum')
  assert.equal(columnReference({ name: 'y', values }, 2).group, null)
})

test('a constant column has std 0 exactly and three bins (below, equal, above); an all-missing one no quantiles', () => {
  const c = columnReference({ name: 'c', values: new Float64Array(1000).fill(0.1) }, 10)
  assert.deepEqual([c.lo, c.hi, c.edges, c.std, c.mean], [0.1, 0.1, [], 0, 0.1])
  assert.deepEqual(c.counts, [0, 1000, 0, 0])
  const m = columnReference({ name: 'm', values: Float64Array.from([NaN, NaN]) }, 10)
  assert.deepEqual([m.finite, m.missing, m.quantiles, m.counts], [0, 2, [], [0, 0, 0, 2]])
})

test('an unbounded interval end (±Infinity) counts in the last bin with the missing values, outside the statistics', () => {
  const c = columnReference({ name: 'q_hi', values: Float64Array.from([1, Infinity, 2, -Infinity, 3, NaN]) }, 2)
  assert.deepEqual([c.finite, c.missing, c.lo, c.hi, c.edges], [3, 3, 1, 3, [2]])
  assert.deepEqual(c.counts, [0, 2, 1, 0, 3])
  assert.deepEqual([c.mean, c.std], [2, Math.sqrt(2 / 3)])
  assert.ok(c.quantiles.every(Number.isFinite))
})

test("std and quantiles equal numpy's on the fixture cases", () => {
  for (const c of driftCases()) {
    const ref = columnReference({ name: c.name, values: c.reference }, c.bins)
    assert.ok(close(ref.std, c.std), c.name)
    ref.quantiles.forEach((q, i) => assert.ok(close(q, c.quantiles[i]), `${c.name}: quantile ${i}`))
  }
})

function smallReference(): DriftReference {
  return buildReference({
    interval: '1m',
    bins: 4,
    features: {
      from: Date.UTC(2023, 7, 1),
      to: Date.UTC(2023, 7, 2),
      columns: [
        { name: 'a', group: 'momentum', values: Float64Array.from({ length: 50 }, (_, i) => i) },
        { name: 'b', group: 'calendar', values: Float64Array.from({ length: 50 }, (_, i) => i % 7) },
      ],
    },
    outputs: {
      from: Date.UTC(2023, 7, 3),
      to: Date.UTC(2023, 7, 3),
      columns: [{ name: 'p_up', values: Float64Array.from({ length: 20 }, (_, i) => i / 20) }],
    },
  })
}

test('a reference round-trips through JSON and validates; features and outputs each have their rows', () => {
  const ref = smallReference()
  assert.deepEqual([ref.features.rows, ref.outputs.rows], [50, 20])
  assert.equal(ref.features.from, '2023-08-01T00:00:00.000Z')
  assert.equal(ref.outputs.to, '2023-08-03T00:00:00.000Z')
  assert.deepEqual(parseReference(JSON.parse(JSON.stringify(ref)), 'ref.json'), ref)
  const columns = (lengths: number[]) => lengths.map((n, j) => ({ name: `c${j}`, values: new Float64Array(n) }))
  const build = (outputs: number[]) => () =>
    buildReference({
      interval: '1m',
      bins: 4,
      features: { from: 0, to: 0, columns: columns([3]) },
      outputs: { from: 0, to: 0, columns: columns(outputs) },
    })
  assert.throws(build([2, 1]), /c1 has 1 values, the other outputs 2/)
  assert.throws(build([]), /no outputs rows/)
})

test('an inconsistent reference is refused, naming the file and the field', () => {
  type Raw = DriftReference & Record<string, unknown>
  const edits: [string, (r: Raw) => void, RegExp][] = [
    [
      'counts',
      (r) => (r.features.columns[0].counts[1] += 1),
      /features\.columns\.0\.counts: the bins hold 51 finite values/,
    ],
    ['tail', (r) => (r.features.columns[0].counts[0] = 1), /values outside its own \[lo, hi\]/],
    [
      'edges',
      (r) => r.features.columns[0].edges.reverse(),
      /features\.columns\.0\.edges: edge \d+ \([\d.]+\) is not strictly increasing/,
    ],
    [
      'quantiles',
      (r) => r.outputs.columns[0].quantiles.pop(),
      /outputs\.columns\.0\.quantiles: 99 quantiles, expected 100/,
    ],
    [
      'NaN as null',
      (r) => ((r.features.columns[1] as unknown as { std: null }).std = null),
      /features\.columns\.1\.std/,
    ],
    ['duplicate', (r) => (r.features.columns[1].name = 'a'), /features\.columns: a column is listed twice/],
    ['rows', (r) => (r.outputs.rows = 19), /outputs\.columns\.0\.finite: p_up counts 20 values over 19 rows/],
    ['unknown key', (r) => (r.extra = 1), /\(the whole file\)|extra/],
    ['too many edges', (r) => (r.bins = 2), /features\.columns\.0\.edges: 3 interior edges for 2 bins/],
  ]
  for (const [what, edit, message] of edits) {
    const raw = JSON.parse(JSON.stringify(smallReference()))
    edit(raw)
    assert.throws(() => parseReference(raw, 'bundle b: drift/reference.json'), message, what)
    assert.throws(
      () => parseReference(raw, 'bundle b: drift/reference.json'),
      /^Error: bundle b: drift\/reference\.json is invalid at/,
      what,
    )
  }
})
