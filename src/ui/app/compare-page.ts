/**
 * The compare view of 2 to 10 runs: the config keys that differ, metrics side by side, equity and drawdown curves
 * overlaid with and without costs, reliability diagrams overlaid, feature importance side by side.
 */
import { getJson, type Compare } from './api.js'
import { chart, PALETTE } from './charts.js'
import { esc, fmt, ready, root, section, table } from './dom.js'
import { IDENTITY_COLUMNS, RUN_COLUMNS } from '../../tracking/columns.js'

// Every column of the store but those naming where a run comes from (the diff tables show those that differ).
const HEADLINE = RUN_COLUMNS.map((c) => c.name).filter((n) => !IDENTITY_COLUMNS.has(n))

export async function comparePage(ids: string[]): Promise<void> {
  let c: Compare
  try {
    c = await getJson<Compare>(`/api/compare?ids=${ids.map(encodeURIComponent).join(',')}`)
  } catch (err) {
    root().innerHTML = section('Compare', `<p class="error" id="compare-error">${esc((err as Error).message)}</p>`)
    ready('compare')
    return
  }
  const head = ['', ...c.runIds.map((id) => `<a href="#/run/${encodeURIComponent(id)}">${esc(id)}</a>`)]
  const diffRows = (rows: Compare['config']) => rows.map((r) => [esc(r.key), ...r.values.map((v) => esc(fmt(v)))])
  const headline = HEADLINE.filter((k) => c.runs.some((r) => r.row[k] !== null && r.row[k] !== undefined)).map((k) => [
    esc(k),
    ...c.runs.map((r) => esc(fmt(r.row[k]))),
  ])
  const hasGross = c.runs.some((r) => r.curves?.gross)
  root().innerHTML = [
    section(
      `Compare ${c.runIds.length} runs`,
      `<h3>Config: ${c.config.length} of ${c.compared.config} keys differ</h3>${
        c.config.length
          ? table(head, diffRows(c.config), 'id="config-diff"')
          : '<p class="muted" id="config-diff">The configs are the same.</p>'
      }<h3>Headline metrics</h3>${table(head, headline, 'id="metrics-side"')}<details><summary>Every metric that differs (${c.metrics.length} of ${c.compared.metrics})</summary>${table(head, diffRows(c.metrics), 'id="metrics-diff"')}</details>`,
    ),
    section(
      'Equity and drawdown',
      `<p class="muted">Solid: after fees and slippage. ${hasGross ? 'Dashed: the same positions with no costs.' : 'No run here records its cost-free curve (older records).'}</p><div class="chart" id="chart-equity" style="height:380px"></div><div class="chart" id="chart-drawdown" style="height:260px"></div>`,
    ),
    section(
      'Reliability (test, after calibration)',
      `<div class="chart" id="chart-reliability" style="height:380px"></div>`,
    ),
    section(
      'Feature importance',
      `<p class="muted">Top features of each run by ${esc(c.importanceOf)}.</p><div class="grid2">${c.runs
        .map((r, k) => `<div class="chart" id="chart-importance-${k}" style="height:360px"></div>`)
        .join('')}</div>`,
    ),
  ].join('')

  const legend = { type: 'scroll' as const, top: 0 }
  const curve = (k: number, name: string, ts: number[], ys: (number | null)[], dashed: boolean) => ({
    name,
    type: 'line',
    showSymbol: false,
    color: PALETTE[k % PALETTE.length],
    lineStyle: { type: dashed ? 'dashed' : 'solid', width: dashed ? 1 : 1.5 },
    data: ts.map((t, i) => [t, ys[i]]),
  })
  const overlay = (net: 'net' | 'netDrawdown', gross: 'gross' | 'grossDrawdown') =>
    c.runs.flatMap((r, k) => {
      const cv = r.curves
      if (!cv) return []
      const out = [curve(k, `${r.runId} net`, cv.ts, cv[net], false)]
      const g = cv[gross]
      if (g) out.push(curve(k, `${r.runId} gross`, cv.ts, g, true))
      return out
    })
  chart('chart-equity', {
    tooltip: { trigger: 'axis' },
    legend,
    grid: { top: 40, left: 60, right: 20 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: 'equity', scale: true },
    series: overlay('net', 'gross'),
  })
  chart('chart-drawdown', {
    tooltip: { trigger: 'axis' },
    legend,
    grid: { top: 40, left: 60, right: 20 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: 'drawdown', max: 0 },
    series: overlay('netDrawdown', 'grossDrawdown'),
  })
  chart('chart-reliability', {
    tooltip: { trigger: 'item' },
    legend,
    grid: { top: 40, left: 60, right: 20 },
    xAxis: { type: 'value', name: 'predicted', min: 0, max: 1 },
    yAxis: { type: 'value', name: 'observed', min: 0, max: 1 },
    series: [
      {
        name: 'perfectly calibrated',
        type: 'line',
        showSymbol: false,
        color: '#9ca3af',
        lineStyle: { type: 'dotted' },
        data: [
          [0, 0],
          [1, 1],
        ],
      },
      ...c.runs.flatMap((r, k) =>
        r.reliability
          ? [
              {
                name: r.runId,
                type: 'line',
                color: PALETTE[k % PALETTE.length],
                data: r.reliability.after.filter((b) => b.count > 0).map((b) => [b.meanPredicted, b.observed]),
              },
            ]
          : [],
      ),
    ],
  })
  c.runs.forEach((r, k) => {
    const fi = r.featureImportance.slice().reverse()
    chart(`chart-importance-${k}`, {
      title: { text: r.runId, textStyle: { fontSize: 12 } },
      tooltip: { trigger: 'item' },
      grid: { top: 30, left: 180, right: 20 },
      xAxis: { type: 'value', name: 'gain' },
      yAxis: { type: 'category', data: fi.map((f) => f.feature), axisLabel: { fontSize: 10 } },
      series: [{ name: r.runId, type: 'bar', color: PALETTE[k % PALETTE.length], data: fi.map((f) => f.gain) }],
    })
  })
  ready('compare')
}
