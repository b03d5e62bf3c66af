import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createDriftMonitor, windowDrift, type DriftMonitorConfig } from '../../src/monitor/monitor.js'
import { checkpointSummary, columnSummaries, driftReport, type DriftRows } from '../../src/monitor/batch.js'
import type { DriftEvent } from '../../src/monitor/events.js'
import { gauss } from '../helpers.js'
import { assertSameStatus, referenceOf } from './vectors.js'

const W = 400
const CONFIG: DriftMonitorConfig = { window: W, psi_warn: 0.1, psi_alert: 0.25, smoothing: 0.5, exclude_groups: [] }
const T0 = Date.UTC(2024, 2, 1)

function reference() {
  const g = gauss(21)
  const col = () => Float64Array.from({ length: 8000 }, g)
  return referenceOf({
    interval: '1m',
    from: T0,
    to: T0,
    bins: 10,
    features: [
      { name: 'u', group: 'momentum', values: col() },
      { name: 'v', group: 'volatility', values: col() },
    ],
    outputs: [{ name: 'q50', values: col() }],
  })
}

/** 2,000 rows; u's mean moves by 1 from row 1,000 on. */
function rows(): DriftRows {
  const g = gauss(22)
  const n = 2000
  const u = Float64Array.from({ length: n }, (_, i) => g() + (i >= 1000 ? 1 : 0))
  return {
    ts: Float64Array.from({ length: n }, (_, i) => T0 + i * 60_000),
    features: [u, Float64Array.from({ length: n }, g)],
    outputs: { q50: Float64Array.from({ length: n }, g) },
  }
}

test('the batch report is the live monitor replayed: statuses every step rows, the same events, the same values', () => {
  const ref = reference()
  const data = rows()
  const report = driftReport(ref, CONFIG, data, 300)
  // First status when the window fills (row 400), then every 300 rows, and at the last row.
  assert.deepEqual(
    report.checkpoints.map((c) => c.row),
    [400, 700, 1000, 1300, 1600, 1900, 2000],
  )
  const events: DriftEvent[] = []
  const live = createDriftMonitor(ref, CONFIG)
  for (let i = 0; i < 2000; i++) {
    events.push(...live.push([data.features[0][i], data.features[1][i]], { q50: data.outputs.q50[i] }, data.ts[i]))
    const cp = report.checkpoints.find((c) => c.row === i + 1)
    if (!cp) continue
    assertSameStatus(cp, live.status())
    // And both equal the statistics computed afresh on the window's rows.
    const window = [...data.features, data.outputs.q50].map((c) => c.slice(i + 1 - W, i + 1))
    assert.deepEqual(
      cp.kl,
      windowDrift(ref, CONFIG, window).map((c) => c.kl),
    )
  }
  assert.deepEqual(report.events, events)
  assert.ok(report.events.some((e) => e.column === 'u' && e.level === 'alert' && e.row > 1000 && e.row <= 1000 + W))
  assert.deepEqual(report.last, live.status())
  assert.deepEqual([report.rows, report.windowRows, report.step], [2000, W, 300])
  assert.equal(report.from, new Date(T0).toISOString())
})

test('summaries: counts per status, the worst column, and each column over the replay', () => {
  const report = driftReport(reference(), CONFIG, rows(), 300)
  const first = checkpointSummary(report, report.checkpoints[0])
  const last = checkpointSummary(report, report.checkpoints.at(-1)!)
  assert.deepEqual(first, { warn: 0, alert: 0, worst: first.worst })
  assert.deepEqual([last.alert, report.columns[last.worst].name], [1, 'u'])
  const columns = columnSummaries(report)
  assert.equal(columns[0].name, 'u')
  assert.ok(
    columns[0].maxPsi >= 0.25 && columns[0].firstAlert !== null && columns[0].firstWarn! <= columns[0].firstAlert!,
  )
  assert.deepEqual(
    columns.slice(1).map((c) => [c.firstWarn, c.firstAlert]),
    [
      [null, null],
      [null, null],
    ],
  )
})

test('a report that cannot be made says why', () => {
  const ref = reference()
  const data = rows()
  const short: DriftRows = {
    ts: data.ts.slice(0, 399),
    features: data.features.map((c) => c.slice(0, 399)),
    outputs: { q50: data.outputs.q50.slice(0, 399) },
  }
  assert.throws(() => driftReport(ref, CONFIG, short, 100), /there are 399 scored rows, fewer than the window's 400/)
  assert.throws(() => driftReport(ref, CONFIG, data, 0), /the step must be a whole number of rows, got 0/)
  assert.throws(() => driftReport(ref, CONFIG, { ...data, outputs: {} }, 100), /output q50 is missing/)
  assert.throws(
    () => driftReport(ref, CONFIG, { ...data, features: [data.features[0], data.features[1].slice(1)] }, 100),
    /feature v has 1999 values for 2000 rows/,
  )
})
