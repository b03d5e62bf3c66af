import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runChartScript } from './html.js'
import { decimateIndices, MAX_EQUITY_POINTS, renderReport, TOP_FEATURES } from '../../src/tracking/report.js'
import type { RunRecord } from '../../src/tracking/types.js'
import { failingRun, minimalRun, sampleRun } from './fixture.js'
import { escapeHtml } from '../../src/tracking/html.js'

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'wbr', 'col', 'area', 'base', 'source'])

/** Script bodies (JS, JSON) are opaque to HTML parsing; drop them, keeping the tags. */
function withoutScriptBodies(html: string): string {
  return html.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2')
}

/** Checks that every non-void element is closed in order; returns the element names in document order. */
function parseTags(html: string): string[] {
  const stack: string[] = []
  const seen: string[] = []
  const body = withoutScriptBodies(html).replace(/^<!doctype html>/i, '')
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>/g)) {
    const name = m[2].toLowerCase()
    if (m[1] === '/') {
      const open = stack.pop()
      assert.equal(open, name, `</${name}> closes <${open}> at offset ${m.index}`)
    } else {
      seen.push(name)
      if (!VOID.has(name)) stack.push(name)
    }
  }
  assert.deepEqual(stack, [], `unclosed elements: ${stack.join(', ')}`)
  return seen
}

function chartData(html: string): Record<string, unknown> {
  const m = /<script type="application\/json" id="mlf-chart-data">([\s\S]*?)<\/script>/.exec(html)
  assert.ok(m, 'chart data element present')
  return JSON.parse(m[1]) as Record<string, unknown>
}

test('report: one self-contained document with echarts inlined and no remote script, link or style', () => {
  const html = renderReport(sampleRun())
  assert.match(html, /^<!doctype html>\n<html lang="en">/)
  // The library itself is inlined: its global and a distinctive export are in the page.
  assert.ok(html.includes('echarts') && html.length > 500_000, 'echarts.min.js is inlined')
  assert.doesNotMatch(html, /<script\b[^>]*\bsrc=/i)
  assert.doesNotMatch(html, /<link\b/i)
  assert.doesNotMatch(html, /<(?:img|iframe|a)\b[^>]*\b(?:src|href)=["']?https?:/i)
  assert.doesNotMatch(html, /url\(\s*["']?https?:/i)
  assert.doesNotMatch(html, /@import/i)
})

test('report: the markup is well formed (every element closed, in order) and has every section', () => {
  const html = renderReport(sampleRun())
  const tags = parseTags(html)
  for (const t of ['html', 'head', 'body', 'main', 'header', 'nav'])
    assert.equal(tags.filter((x) => x === t).length, 1, t)
  const sections = [...withoutScriptBodies(html).matchAll(/<section id="([a-z]+)">/g)].map((m) => m[1])
  assert.deepEqual(sections, [
    'metadata',
    'models',
    'canary',
    'backtest',
    'calibration',
    'sets',
    'importance',
    'labels',
    'timings',
    'artifacts',
  ])
  // The minimal record renders as well formed too, with a note per absent section.
  const minimal = renderReport(minimalRun())
  parseTags(minimal)
  for (const note of [
    'No models were evaluated in this run.',
    'No backtest in this run.',
    'No calibration step in this run.',
    'No feature importance was recorded.',
    'No label counts were recorded.',
    'No stage timings were recorded.',
    'No artifacts were written.',
  ])
    assert.ok(minimal.includes(note), note)
  assert.ok(!minimal.includes('<td>runtime</td>'), 'no runtime row for a record from before it was kept')
  assert.ok(!minimal.includes('class="chart"'), 'no chart containers without data')
  assert.deepEqual(chartData(minimal), {})
  assert.equal(runChartScript(minimal).size, 0)
})

test('report: each chart has its container and its data, and the chart script wires them up', () => {
  const run = sampleRun()
  const html = renderReport(run)
  const reliabilityIds = ['top', '0', '1', '2'].map((k) => `chart-reliability-${k}`)
  for (const id of ['chart-equity', ...reliabilityIds, 'chart-importance', 'chart-labels'])
    assert.ok(html.includes(`<div class="chart" id="${id}"`), id)
  const data = chartData(html) as {
    equity: { equity: number[][]; drawdown: number[][] }
    reliability: { id: string; title: string; series: { name: string; points: number[][] }[] }[]
    importance: { features: string[]; gain: number[] }
    labels: { classes: string[]; splits: string[]; counts: number[][] }
  }
  const eq = run.backtest!.equity
  assert.deepEqual(
    data.equity.equity,
    eq.ts.map((t, i) => [t, eq.equity[i]]),
  )
  assert.deepEqual(
    data.equity.drawdown,
    eq.ts.map((t, i) => [t, eq.drawdown[i]]),
  )
  // Reliability: a panel for the top label and one per class, a line per step of the chain, non-empty bins only,
  // as (mean predicted, observed, count).
  const steps = run.calibration!.steps!
  assert.deepEqual(
    data.reliability.map((p) => [p.id, p.title]),
    [
      ['chart-reliability-top', 'top label'],
      ['chart-reliability-0', 'P(down)'],
      ['chart-reliability-1', 'P(flat)'],
      ['chart-reliability-2', 'P(up)'],
    ],
  )
  for (const panel of data.reliability)
    assert.deepEqual(
      panel.series.map((x) => x.name),
      ['raw', 'isotonic', 'isotonic+temperature'],
    )
  const flatAfter = steps[2].perClass[1].reliability.filter((b) => b.count > 0)
  assert.ok(flatAfter.length < steps[2].perClass[1].reliability.length, 'the fixture has empty bins')
  assert.deepEqual(
    data.reliability[2].series[2].points,
    flatAfter.map((b) => [b.meanPredicted, b.observed, b.count]),
  )
  // Importance: the top 30 by gain, descending.
  const top = [...run.featureImportance!].sort((a, b) => b.gain - a.gain).slice(0, TOP_FEATURES)
  assert.equal(data.importance.features.length, TOP_FEATURES)
  assert.deepEqual(
    data.importance.features,
    top.map((f) => f.feature),
  )
  assert.deepEqual(
    data.importance.gain,
    top.map((f) => f.gain),
  )
  assert.deepEqual(data.labels, {
    classes: ['down', 'flat', 'up'],
    splits: ['train', 'val', 'test'],
    counts: run.labels.counts.map((c) => c.counts),
  })

  const options = runChartScript(html)
  assert.deepEqual([...options.keys()].sort(), [
    'chart-equity',
    'chart-importance',
    'chart-labels',
    'chart-reliability-0',
    'chart-reliability-1',
    'chart-reliability-2',
    'chart-reliability-top',
  ])
  const series = (id: string) => options.get(id)!.series as { name: string; type: string; data: unknown }[]
  assert.deepEqual(
    series('chart-equity').map((s) => s.name),
    ['equity', 'drawdown'],
  )
  assert.deepEqual(series('chart-equity')[0].data, data.equity.equity)
  const reliability = series('chart-reliability-top')
  assert.deepEqual(
    reliability.map((s) => s.name),
    ['raw', 'isotonic', 'isotonic+temperature', 'perfect'],
  )
  assert.deepEqual(reliability[1].data, data.reliability[0].series[1].points)
  assert.deepEqual(reliability[3].data, [
    [0, 0],
    [1, 1],
  ])
  assert.equal(series('chart-importance')[0].type, 'bar')
  assert.deepEqual((options.get('chart-importance')!.yAxis as { data: string[] }).data, data.importance.features)
  assert.deepEqual(
    series('chart-labels').map((s) => s.data),
    [
      [31000, 6100, 6500],
      [52000, 10200, 9900],
      [30500, 6000, 6300],
    ],
  )
})

test('report: tables show metrics, regimes, timings, metadata and artifact checksums', () => {
  const run = sampleRun()
  const html = renderReport(run)
  for (const text of [
    '<th>auc (test)</th>',
    '<td>stack</td><td>ensemble</td>',
    '<td class="num">NaN</td>', // logistic test AUC
    '<td class="num">∞</td>', // profit factor
    '<td>low_vol</td><td class="num">420</td>',
    '<td>features</td><td class="num">6.8</td>',
    `<code>${run.configHash}</code>`,
    `<code>${run.dataFingerprint}</code>`,
    `<code>${run.codeVersion}</code>`,
    '<td>Node v20.11.0 on linux x64 6.1.0, Intel(R) Xeon(R) Processor (2 cores)</td>',
    '<td>libtorch 1.13.0; xgboost 1.7.4; openblas openmp build, SkylakeX kernels</td>',
    '<code>OPENBLAS_CORETYPE=SkylakeX</code>',
    `<code>${'ab'.repeat(32)}</code>`,
    '<td class="num">123,456</td>',
    'Top 30 of 40 features by gain.',
    'Method <code>isotonic+temperature</code> (temperature = 1.37). Fitted on 48,000 purged out-of-fold training rows (12 training rows no fold could predict); measured on the test rows.',
    '<th>ECE classwise</th>',
    '<th>ECE flat</th><th>MCE flat</th><th>empty flat</th>',
    '<td><code>isotonic+temperature</code></td>',
    'Conformal prediction sets (<code>aps</code>, target coverage 0.9) on 1,000 test rows: the set holds the true class on 0.904 of them, with 2.31 classes on average.',
    '<td>3 classes</td><td class="num">550</td><td class="num">0.55</td>',
    '<td>&#60;up&#62;</td><td class="num">150</td><td class="num">0.92</td>',
  ])
    assert.ok(html.includes(text), text)
})

test('report: a record from before per-step calibration shows its top-label before and after', () => {
  const run = sampleRun()
  delete run.calibration!.steps
  delete run.calibration!.fitOn
  const html = renderReport(run)
  parseTags(html)
  assert.ok(html.includes('<div class="chart" id="chart-reliability-top"'))
  assert.ok(!html.includes('chart-reliability-0'))
  const options = runChartScript(html)
  const names = (options.get('chart-reliability-top')!.series as { name: string }[]).map((s) => s.name)
  assert.deepEqual(names, ['before', 'after', 'perfect'])
  assert.match(html, /<th>ECE<\/th><th>Brier<\/th><th>log loss<\/th>.*<td>before<\/td>.*<td>after<\/td>/)
})

test('report: text from the record is escaped everywhere (model, feature, class, regime, run id, config)', () => {
  const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
  const run: RunRecord = sampleRun(`id-${evil}`)
  run.models[0].name = evil
  run.featureImportance![0] = { feature: evil, gain: 1e9 }
  run.labels.classes[0] = evil
  run.backtest!.byRegime[0].regime = evil
  run.config = { note: evil }
  run.dataFile = `</title>${evil}`
  const html = renderReport(run)
  assert.ok(!html.includes(evil), 'the raw string never appears')
  assert.ok(!withoutScriptBodies(html).includes('<img'), 'no injected element')
  assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;'), 'escaped in HTML text')
  // Script elements: exactly the three the report emits, each closed once.
  assert.equal((html.match(/<script\b/g) ?? []).length, 3)
  assert.equal((html.match(/<\/script>/g) ?? []).length, 3)
  parseTags(html)
  // Chart data keeps the names intact once parsed (they reach echarts as plain strings).
  const data = chartData(html) as { importance: { features: string[] }; labels: { classes: string[] } }
  assert.equal(data.importance.features[0], evil)
  assert.equal(data.labels.classes[0], evil)
})

test('report: a long equity curve is reduced keeping first, last and the extremes', () => {
  const n = 100_000
  const equity: number[] = []
  const drawdown: number[] = []
  let peak = -Infinity
  for (let i = 0; i < n; i++) {
    const e = 100 + Math.sin(i / 977) * 10 + Math.sin(i / 31) + (i === 61_234 ? -50 : 0)
    peak = Math.max(peak, e)
    equity.push(e)
    drawdown.push(e / peak - 1)
  }
  const keep = decimateIndices(equity, drawdown, MAX_EQUITY_POINTS)
  assert.ok(keep.length <= MAX_EQUITY_POINTS && keep.length > MAX_EQUITY_POINTS / 2, `kept ${keep.length}`)
  assert.equal(keep[0], 0)
  assert.equal(keep[keep.length - 1], n - 1)
  for (let i = 1; i < keep.length; i++) assert.ok(keep[i] > keep[i - 1], 'strictly increasing')
  const argmax = equity.indexOf(Math.max(...equity))
  assert.ok(keep.includes(61_234), 'the global minimum (a crash) is kept')
  assert.ok(keep.includes(argmax), 'the global maximum is kept')
  assert.ok(keep.includes(drawdown.indexOf(Math.min(...drawdown))), 'the deepest drawdown is kept')
  assert.deepEqual(decimateIndices([1, 2, 3], [0, 0, 0], 10), [0, 1, 2])

  const run = sampleRun()
  const ts = equity.map((_, i) => i * 60_000)
  run.backtest!.equity = { ts, equity, drawdown }
  const html = renderReport(run)
  const data = chartData(html) as { equity: { equity: number[][] } }
  assert.deepEqual(
    data.equity.equity,
    keep.map((i) => [ts[i], equity[i]]),
  )
  assert.ok(html.includes(`100,000 points, drawn as ${keep.length.toLocaleString('en-US')}`))
})

test('report: a gate run shows its member weights over time and its regret, charted and tabled, names escaped', () => {
  const t0 = Date.UTC(2023, 9, 1)
  const ts = Array.from({ length: 5 }, (_, i) => t0 + i * 60_000)
  const run: RunRecord = {
    ...sampleRun(),
    gate: {
      name: 'hmm_gate',
      members: ['xgboost', '<b>mlp</b>'],
      rows: 5,
      meanWeights: [0.62, 0.38],
      ts,
      weights: [
        [0.9, 0.8, 0.5, 0.3, 0.6],
        [0.1, 0.2, 0.5, 0.7, 0.4],
      ],
      regret: { bestMember: 'xgboost', total: -0.25, perRow: -0.05, cumulative: [0.01, -0.02, -0.1, -0.2, -0.25] },
    },
  }
  const html = renderReport(run)
  parseTags(html)
  assert.ok(html.includes('<section id="gate"><h2>Gate weights</h2>'))
  assert.ok(html.includes('&#60;b&#62;mlp&#60;/b&#62;') && !html.includes('<b>mlp</b>'), 'member names escaped')
  const options = runChartScript(html)
  const series = options.get('chart-gate')!.series as { name: string; stack?: string; data: number[][] }[]
  assert.deepEqual(
    series.map((s) => [s.name, s.stack ?? null]),
    [
      ['xgboost', 'weights'],
      ['<b>mlp</b>', 'weights'],
      ['regret', null],
    ],
  )
  assert.deepEqual(
    series[1].data,
    ts.map((t, i) => [t, run.gate!.weights[1][i]]),
  )
  assert.deepEqual(
    series[2].data,
    ts.map((t, i) => [t, run.gate!.regret.cumulative[i]]),
  )
  assert.ok(!renderReport(sampleRun()).includes('id="gate"'), 'no gate section without a gate')
})

test('report: a run with a verdict opens with it, its test period, the no-edge sentence, the gates and the canary', () => {
  const run = failingRun()
  const html = renderReport(run)
  parseTags(html)
  const sections = [...withoutScriptBodies(html).matchAll(/<section id="([a-z]+)">/g)].map((m) => m[1])
  assert.equal(sections[0], 'verdict')
  const verdict = html.slice(
    html.indexOf('<section id="verdict">'),
    html.indexOf('</section>', html.indexOf('<section id="verdict">')),
  )
  assert.match(
    verdict,
    /<strong>FAIL<\/strong> on the test period 2023-11-12T00:00:00.000Z to 2023-11-30T23:59:00.000Z \(19 days\): 3 of 5 gates fail \(sharpe, max_drawdown, fee_share\)/,
  )
  assert.ok(verdict.includes(escapeHtml(run.acceptance!.noEdge!)))
  assert.ok(
    verdict.includes(escapeHtml("The model's test AUC 0.4950 does not beat its shuffled-label control's 0.5110")),
  )
  assert.match(
    verdict,
    /95% intervals from a circular block bootstrap over 19 test days \(3-day blocks, 1000 resamples\), from 291 trades/,
  )
  assert.match(verdict, /<td>fee_share<\/td><td[^>]*>n\/a<\/td>/)
  // Without a verdict (older records), the report opens with the run's metadata as before.
  assert.equal([...renderReport(sampleRun()).matchAll(/<section id="([a-z]+)">/g)][0][1], 'metadata')
})
