import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runChartScript } from './html.js'
import { decimateIndices, MAX_EQUITY_POINTS, renderReport, TOP_FEATURES } from '../../src/tracking/report.js'
import { fmt } from '../../src/tracking/html.js'
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
    importance: { id: string; axis: string; features: string[]; values: number[] }[]
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
  // Importance (a record from before it was kept per model): the top 30 by gain, descending.
  const top = [...run.featureImportance!].sort((a, b) => b.gain - a.gain).slice(0, TOP_FEATURES)
  assert.equal(data.importance.length, 1)
  assert.equal(data.importance[0].features.length, TOP_FEATURES)
  assert.deepEqual(
    data.importance[0].features,
    top.map((f) => f.feature),
  )
  assert.deepEqual(
    data.importance[0].values,
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
  assert.deepEqual((options.get('chart-importance')!.yAxis as { data: string[] }).data, data.importance[0].features)
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
    'Top 30 of 40 features by gain, the mean over the chain',
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
  const data = chartData(html) as { importance: { features: string[] }[]; labels: { classes: string[] } }
  assert.equal(data.importance[0].features[0], evil)
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

/** sampleRun with the parts a trader reads: test period, benchmark, trades, importance per model, weights, windows. */
function traderRun(trades = 3): RunRecord {
  const run = sampleRun()
  const eq = run.backtest!.equity
  const n = eq.ts.length
  run.testPeriod = {
    start: new Date(eq.ts[0]).toISOString(),
    end: new Date(eq.ts[n - 1]).toISOString(),
    rows: 1234,
    bars: n,
  }
  run.backtest!.benchmark = {
    grossEquity: eq.equity.map((e) => e * 1.01),
    buyAndHold: { gross: eq.ts.map((_, i) => 1 + i / 1000), net: eq.ts.map((_, i) => 0.998 + i / 1000) },
  }
  run.backtest!.byRegime = [
    { regime: 'low_vol', trades: 2, pnl: 0.03, meanNet: 0.015, tStat: 2.5, winRate: 1 },
    { regime: 'high_vol', trades: 1, pnl: -0.01, sharpe: 0.7, winRate: 0 },
  ]
  run.trades = {
    total: trades,
    rows: Array.from({ length: Math.min(trades, 250) }, (_, k) => ({
      side: k % 2 ? ('short' as const) : ('long' as const),
      size: 0.5,
      decision: new Date(eq.ts[0] + k * 120_000).toISOString(),
      entry: new Date(eq.ts[0] + k * 120_000 + 60_000).toISOString(),
      exit: new Date(eq.ts[0] + k * 120_000 + 120_000).toISOString(),
      entryPrice: 100 + k,
      exitPrice: 101 + k,
      gross: 0.011,
      cost: 0.001,
      net: 0.01,
      reason: 'horizon' as const,
    })),
  }
  run.importance = [
    {
      model: 'xgboost',
      role: 'member 1 of voting',
      method: 'shap',
      rows: 1000,
      features: [
        { feature: 'rsi_14@1m', value: 0.4 },
        { feature: '<b>atr</b>', value: 0.1 },
      ],
      beeswarm: {
        class: 'up',
        features: ['rsi_14@1m', '<b>atr</b>'],
        points: [
          [0, 0.3, 1],
          [0, -0.2, 0],
          [1, 0.05, 0.5],
        ],
      },
    },
    {
      model: 'logistic',
      role: 'member 2 of voting',
      method: 'permutation',
      rows: 800,
      features: [
        { feature: 'rv_60@5m', value: 0.02 },
        { feature: 'rsi_14@1m', value: -0.001 },
      ],
    },
  ]
  run.ensembleWeightsByWindow = {
    combiner: 'voting',
    meaning: 'share of the vote',
    members: ['xgboost', 'logistic'],
    windows: [
      { key: 'w0', testStart: '2023-10-01T00:00:00.000Z', weights: [0.6, 0.4] },
      { key: 'w1', testStart: '2023-10-08T00:00:00.000Z', weights: [0.7, 0.3] },
    ],
  }
  run.evaluation = {
    method: 'walk_forward',
    skipped: 0,
    windows: ['2023-10-01', '2023-10-08'].map((d, k) => ({
      key: `w${k}`,
      trainStart: '2023-08-01T00:00:00.000Z',
      testStart: `${d}T00:00:00.000Z`,
      testEnd: `${d}T23:59:00.000Z`,
      samples: { train: 1000, val: 200, test: 300, purged: 5 },
      test: { auc_dir: 0.52 + k / 100, log_loss: 1.05 },
      backtest: { total_return: 0.01 * (k + 1), sharpe: 1.1, trades: 12 + k, max_drawdown: -0.02 },
    })),
  }
  return run
}

test('report: the header names the test period; equity is drawn against buy-and-hold, with and without costs', () => {
  const run = traderRun()
  const html = renderReport(run)
  parseTags(html)
  const eq = run.backtest!.equity
  const day = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(':00.000Z', ' UTC')
  assert.ok(html.includes(`<p>${run.runId} · test ${day(eq.ts[0])} to ${day(eq.ts[eq.ts.length - 1])} (1,234 rows) · `))
  // Older records without testPeriod take it from the equity curve.
  delete run.testPeriod
  assert.ok(renderReport(run).includes(`test ${day(eq.ts[0])} to ${day(eq.ts[eq.ts.length - 1])} · `))
  const options = runChartScript(html)
  const series = options.get('chart-equity')!.series as { name: string; data: number[][] }[]
  assert.deepEqual(
    series.map((s) => s.name),
    ['equity', 'drawdown', 'strategy before costs', 'buy and hold after costs', 'buy and hold before costs'],
  )
  const bm = traderRun().backtest!.benchmark!
  assert.deepEqual(
    series[3].data,
    eq.ts.map((t, i) => [t, bm.buyAndHold.net[i]]),
  )
  // The table: where each line ends, and its deepest drawdown.
  const last = eq.equity[eq.equity.length - 1]
  assert.ok(html.includes(`<td>strategy after costs</td><td class="num">${fmt(last - 1)}</td>`))
  assert.ok(html.includes(`<td>buy and hold before costs</td><td class="num">${fmt(eq.ts.length / 1000 - 0.001)}</td>`))
})

test('report: per-regime trades show the t-statistic under its own name, older records too', () => {
  const html = renderReport(traderRun())
  assert.ok(html.includes('<th>t-stat of mean trade</th>'))
  const regimes = html.slice(html.indexOf('By volatility regime'))
  assert.ok(!regimes.slice(0, regimes.indexOf('</table>')).includes('Sharpe</th>'), 'no Sharpe column there')
  assert.ok(
    html.includes(
      '<td>low_vol</td><td class="num">2</td><td class="num">0.03</td><td class="num">0.015</td><td class="num">2.5</td>',
    ),
  )
  // An older record's `sharpe` was the same t-statistic.
  assert.ok(
    html.includes(
      '<td>high_vol</td><td class="num">1</td><td class="num">-0.01</td><td>—</td><td class="num">0.7</td>',
    ),
  )
})

test('report: the trade list matches the record, in pages of 100, saying how many there were', () => {
  const run = traderRun(1234)
  const html = renderReport(run)
  parseTags(html)
  assert.ok(html.includes('1,234 trades of the primary policy; the first 250 are listed (all are in trades.csv'))
  const pages = [...html.matchAll(/<details( open)?><summary>trades ([\d,]+)–([\d,]+)<\/summary>/g)].map((m) => [
    m[1] === ' open',
    m[2],
    m[3],
  ])
  assert.deepEqual(pages, [
    [true, '1', '100'],
    [false, '101', '200'],
    [false, '201', '250'],
  ])
  const t = run.trades!.rows[101]
  assert.ok(
    html.includes(
      `<td class="num">102</td><td>short</td><td class="num">0.5</td><td>${t.decision.replace('T', ' ').replace(':00.000Z', 'Z')}</td>`,
    ),
  )
  assert.ok(
    html.includes(
      `<td class="num">${fmt(t.entryPrice)}</td><td class="num">${fmt(t.exitPrice)}</td><td class="num">0.011</td><td class="num">0.001</td><td class="num">0.01</td><td>horizon</td>`,
    ),
  )
  const none = traderRun(0)
  assert.ok(renderReport(none).includes('The primary policy made no trade in the test period.'))
  assert.ok(!renderReport(sampleRun()).includes('id="trades"'), 'no section for a record from before trades were kept')
})

test('report: importance per model, labelled with model, role and method; SHAP beeswarm; weights and windows charted', () => {
  const run = traderRun()
  const html = renderReport(run)
  parseTags(html)
  assert.ok(html.includes('<h3><code>xgboost</code> (member 1 of voting): shap</h3>'))
  assert.ok(html.includes('2 features by mean |SHAP value| (TreeSHAP, summed over classes) on 1,000 test rows'))
  assert.ok(html.includes('<h3><code>logistic</code> (member 2 of voting): permutation</h3>'))
  assert.ok(html.includes('on 800 validation rows of the last window (seeded; never test rows)'))
  const options = runChartScript(html)
  const axis = (id: string) => (options.get(id)!.yAxis as { data: string[] }).data
  assert.deepEqual(axis('chart-importance-0'), ['rsi_14@1m', '<b>atr</b>'])
  assert.deepEqual(axis('chart-importance-1'), ['rv_60@5m', 'rsi_14@1m'])
  assert.deepEqual(axis('chart-beeswarm-0'), ['rsi_14@1m', '<b>atr</b>'])
  const swarm = (options.get('chart-beeswarm-0')!.series as { data: number[][] }[])[0].data
  assert.deepEqual(
    swarm.map((p) => [p[0], Math.round(p[1]) + 0, p[2]]),
    [
      [0.3, 0, 1],
      [-0.2, 0, 0],
      [0.05, 1, 0.5],
    ],
  )
  assert.ok(!withoutScriptBodies(html).includes('<b>atr</b>'), 'feature names escaped')
  const weights = options.get('chart-ensemble-weights')!.series as { name: string; data: number[] }[]
  assert.deepEqual(
    weights.map((s) => [s.name, s.data]),
    [
      ['xgboost', [0.6, 0.7]],
      ['logistic', [0.4, 0.3]],
    ],
  )
  assert.ok(
    html.includes('<td>w1</td><td>2023-10-08T00:00:00.000Z</td><td class="num">0.7</td><td class="num">0.3</td>'),
  )
  // Walk-forward windows: a row each and the plot of AUC and return.
  const windows = options.get('chart-windows')!.series as { name: string; data: number[] }[]
  assert.deepEqual(
    windows.map((s) => s.data),
    [
      [0.52, 0.53],
      [0.01, 0.02],
    ],
  )
  assert.ok(html.includes('<td>2023-10-08T00:00:00.000Z</td><td>2023-10-08T23:59:00.000Z</td>'))
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
