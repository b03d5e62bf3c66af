/**
 * The HTML drift report of `mlf drift`: one self-contained page (src/tracking/html.ts, as the run report) with the
 * columns in warning or alert over time, the PSI and scaled Wasserstein distance of the most drifted features and of
 * every output (prediction drift) against the thresholds, a table of every column, and the events.
 */
import { chart, code, escapeHtml, fmt, renderPage, section, table, type Cell } from '../tracking/html.js'
import { checkpointSummary, columnSummaries, type ColumnSummary, type DriftReport } from './batch.js'

/** Features drawn in the plots: the most drifted by their largest PSI. */
export const PLOTTED_FEATURES = 10
/** Events listed in the page (all of them are in the JSON report). */
export const LISTED_EVENTS = 200

export interface DriftReportSource {
  readonly bundle: string
  readonly checksum: string
  readonly data: string
}

interface Series {
  readonly name: string
  readonly psi: readonly number[]
  readonly wasserstein: readonly number[]
}

interface ChartData {
  timeline: { ts: number[]; warn: number[]; alert: number[] }
  features: Series[]
  outputs: Series[]
  thresholds: { warn: number; alert: number }
}

const CHART_SCRIPT = `
  var ts = data.timeline.ts;
  var marks = { silent: true, symbol: 'none', data: [
    { yAxis: data.thresholds.warn, lineStyle: { color: '#f3a712', type: 'dashed' } },
    { yAxis: data.thresholds.alert, lineStyle: { color: '#e4572e', type: 'dashed' } }] };
  function pairs(values) { return values.map(function (v, i) { return [ts[i], v]; }); }
  make('chart-timeline', {
    color: ['#f3a712', '#e4572e'],
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { top: 0, data: ['warn', 'alert'] },
    grid: { left: 60, right: 30, top: 40, bottom: 40 },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: 'columns', minInterval: 1 },
    series: [
      { name: 'warn', type: 'bar', stack: 'levels', data: pairs(data.timeline.warn) },
      { name: 'alert', type: 'bar', stack: 'levels', data: pairs(data.timeline.alert) }
    ]
  });
  function lines(id, list, key, withMarks, name) {
    make(id, {
      color: palette,
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0, type: 'scroll', data: list.map(function (s) { return s.name; }) },
      grid: { left: 60, right: 30, top: 40, bottom: 40 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: name },
      series: list.map(function (s, k) {
        return { name: s.name, type: 'line', showSymbol: false, data: pairs(s[key]), markLine: withMarks && k === 0 ? marks : undefined };
      })
    });
  }
  lines('chart-features-psi', data.features, 'psi', true, 'PSI');
  lines('chart-features-w', data.features, 'wasserstein', false, 'W / std');
  lines('chart-outputs-psi', data.outputs, 'psi', true, 'PSI');
  lines('chart-outputs-w', data.outputs, 'wasserstein', false, 'W / std');
`

function seriesOf(report: DriftReport, names: readonly string[]): Series[] {
  return names.map((name) => {
    const j = report.columns.findIndex((c) => c.name === name)
    return {
      name,
      psi: report.checkpoints.map((cp) => cp.psi[j]),
      wasserstein: report.checkpoints.map((cp) => cp.wasserstein[j]),
    }
  })
}

function summarySection(report: DriftReport, source: DriftReportSource): string {
  const r = report.reference
  const excluded = report.columns.filter((c) => c.excluded).map((c) => c.name)
  const alerts = report.events.filter((e) => e.level === 'alert').length
  const rows: Cell[][] = [
    ['data', code(source.data)],
    ['scored rows', `${fmt(report.rows)} (${report.from} to ${report.to})`],
    ['bundle', code(source.bundle)],
    ['bundle checksum', code(source.checksum)],
    ['reference: features', `${fmt(r.features.rows)} rows, ${r.features.from} to ${r.features.to}`],
    ['reference: outputs', `${fmt(r.outputs.rows)} rows, ${r.outputs.from} to ${r.outputs.to}`],
    ['bins', `${r.bins} quantile bins per column`],
    ['window', `${fmt(report.windowRows)} rows of ${r.interval} bars; a status every ${fmt(report.step)} rows`],
    ['thresholds', `PSI ${fmt(report.thresholds.psiWarn)} warn, ${fmt(report.thresholds.psiAlert)} alert`],
    ['excluded (reported, never alerting)', excluded.length ? excluded.join(', ') : 'none'],
    ['last state', report.last.state],
    ['events', `${fmt(report.events.length)} (${fmt(alerts)} alerts)`],
  ]
  return section('summary', 'Summary', table(['', ''], rows, 'kv'))
}

function columnsTable(columns: readonly ColumnSummary[]): string {
  return table(
    ['column', 'kind', 'max PSI', 'max KL', 'max W / std', 'last PSI', 'first warn', 'first alert'],
    columns.map((c) => [
      code(c.name),
      c.excluded ? `${c.kind} (excluded)` : c.kind,
      c.maxPsi,
      c.maxKl,
      c.maxWasserstein,
      c.lastPsi,
      c.firstWarn ?? '—',
      c.firstAlert ?? '—',
    ]),
  )
}

function eventsSection(report: DriftReport): string {
  if (report.events.length === 0)
    return section('events', 'Events', '<p class="absent">No column changed level: no event.</p>')
  const shown = report.events.slice(0, LISTED_EVENTS)
  const note =
    report.events.length > shown.length
      ? `<p class="muted">The first ${fmt(shown.length)} of ${fmt(report.events.length)} events.</p>`
      : ''
  return section(
    'events',
    'Events',
    note +
      table(
        ['row', 'time', 'column', 'kind', 'from', 'to', 'PSI', 'KL', 'threshold'],
        shown.map((e) => [e.row, e.ts ?? '—', code(e.column), e.kind, e.previous, e.level, e.psi, e.kl, e.threshold]),
      ),
  )
}

export function renderDriftReport(report: DriftReport, source: DriftReportSource): string {
  const summaries = columnSummaries(report)
  const plotted = summaries
    .filter((c) => c.kind === 'feature' && !c.excluded)
    .slice(0, PLOTTED_FEATURES)
    .map((c) => c.name)
  const outputs = report.columns.filter((c) => c.kind === 'output').map((c) => c.name)
  const counts = report.checkpoints.map((cp) => checkpointSummary(report, cp))
  const charts: ChartData = {
    timeline: {
      ts: report.checkpoints.map((cp) => Date.parse(cp.ts)),
      warn: counts.map((c) => c.warn),
      alert: counts.map((c) => c.alert),
    },
    features: seriesOf(report, plotted),
    outputs: seriesOf(report, outputs),
    thresholds: { warn: report.thresholds.psiWarn, alert: report.thresholds.psiAlert },
  }
  const windowNote = `<p>Each point is the window of the last ${escapeHtml(fmt(report.windowRows))} rows ending at that time.</p>`
  const sections = [
    summarySection(report, source),
    section('timeline', 'Columns in warning and alert', windowNote + chart('chart-timeline', 300)),
    section(
      'features',
      'Feature drift',
      `<p>The ${plotted.length} features with the largest PSI (dashed: the warn and alert thresholds), and their ` +
        'Wasserstein distance to the reference in reference standard deviations.</p>' +
        chart('chart-features-psi', 360) +
        chart('chart-features-w', 300),
    ),
    section(
      'outputs',
      'Prediction drift',
      "<p>The chain's outputs against their distribution on the training window.</p>" +
        chart('chart-outputs-psi', 320) +
        chart('chart-outputs-w', 280),
    ),
    section('columns', 'Every column', columnsTable(summaries)),
    eventsSection(report),
  ]
  return renderPage({
    title: `mlf drift ${source.data}`,
    heading: 'mlfactory drift report',
    subtitle: `${source.data} · bundle ${source.checksum.slice(0, 12)} · last state ${report.last.state}`,
    sections,
    charts,
    chartScript: CHART_SCRIPT,
  })
}
