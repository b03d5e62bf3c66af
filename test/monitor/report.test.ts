import { test } from 'node:test'
import assert from 'node:assert/strict'
import { referenceOf } from './vectors.js'
import { driftReport } from '../../src/monitor/batch.js'
import { renderDriftReport, PLOTTED_FEATURES } from '../../src/monitor/report.js'
import { gauss } from '../helpers.js'
import { runChartScript } from '../tracking/html.js'

test('the HTML report: self-contained, every section, chart data as JSON, names escaped', () => {
  const g = gauss(31)
  const n = 1500
  const names = Array.from({ length: 14 }, (_, j) => (j === 0 ? '<img src=x onerror=alert(1)>' : `f${j}`))
  const reference = referenceOf({
    interval: '1m',
    from: 0,
    to: 0,
    bins: 10,
    features: names.map((name, j) => ({
      name,
      group: j === 13 ? 'calendar' : 'stats',
      values: Float64Array.from({ length: 5000 }, g),
    })),
    outputs: [{ name: 'p_up', values: Float64Array.from({ length: 5000 }, g) }],
  })
  const report = driftReport(
    reference,
    { window: 500, psi_warn: 0.1, psi_alert: 0.25, smoothing: 0.5, exclude_groups: ['calendar'] },
    {
      ts: Float64Array.from({ length: n }, (_, i) => i * 60_000),
      features: names.map((_, j) => Float64Array.from({ length: n }, (_, i) => g() * (j === 0 && i > 700 ? 3 : 1))),
      outputs: { p_up: Float64Array.from({ length: n }, g) },
    },
    250,
  )
  const html = renderDriftReport(report, { bundle: 'runs/x/bundle', checksum: 'ab'.repeat(32), data: 'bars.csv' })
  assert.ok(html.startsWith('<!doctype html>') && html.includes('echarts'))
  for (const id of ['summary', 'timeline', 'features', 'outputs', 'columns', 'events'])
    assert.ok(html.includes(`<section id="${id}">`), id)
  assert.ok(!html.includes('<img src=x'), 'a column name reached the page as HTML')
  assert.ok(!/<script[^>]+src=/.test(html), 'the page loads a script from elsewhere')
  const json = /<script type="application\/json" id="mlf-chart-data">(.*?)<\/script>/s.exec(html)![1]
  const charts = JSON.parse(json)
  assert.equal(charts.features.length, PLOTTED_FEATURES)
  assert.equal(charts.features[0].name, names[0])
  assert.ok(!charts.features.some((s: { name: string }) => s.name === 'f13'), 'an excluded feature is plotted')
  assert.deepEqual(
    charts.outputs.map((s: { name: string }) => s.name),
    ['p_up'],
  )
  assert.equal(charts.timeline.ts.length, report.checkpoints.length)
  assert.deepEqual(charts.thresholds, { warn: 0.1, alert: 0.25 })
  // The page's chart code runs and gives each chart its series.
  const options = runChartScript(html)
  assert.deepEqual([...options.keys()].sort(), [
    'chart-features-psi',
    'chart-features-w',
    'chart-outputs-psi',
    'chart-outputs-w',
    'chart-timeline',
  ])
  const series = (id: string) => options.get(id)!.series as { name: string; data: number[][] }[]
  assert.equal(series('chart-features-psi').length, PLOTTED_FEATURES)
  assert.deepEqual(
    series('chart-timeline').map((x) => x.name),
    ['warn', 'alert'],
  )
  assert.equal(series('chart-outputs-w')[0].data.length, report.checkpoints.length)
  assert.deepEqual(series('chart-features-psi')[0].data[0], [charts.timeline.ts[0], report.checkpoints[0].psi[0]])
})
