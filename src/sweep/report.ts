/**
 * The sweep's page: one self-contained HTML file like the run report (src/tracking/html.ts): the sweep, each
 * window's search and the one test of its choice, the out-of-sample stream with its deflated Sharpe ratio, every
 * trial, the objective over trials, each parameter's marginal (objective against its values), parallel coordinates,
 * and the chosen configuration as YAML for mlf run.
 */
import { stringify } from 'yaml'
import { absent, chart, code, escapeHtml, renderPage, section, table, type Cell } from '../tracking/html.js'
import type { TrialRow } from '../tracking/sweeps.js'
import type { SweepResult } from './coordinator.js'
import type { TrialOutcome } from './trial.js'

/** Most points of the test equity curve on the page (every k-th bar beyond it; the last one always). */
export const MAX_EQUITY_POINTS = 4000

const shortValue = (v: unknown) => {
  const s = typeof v === 'number' ? String(Number(v.toPrecision(5))) : JSON.stringify(v)
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

function overviewSection(r: SweepResult): string {
  const rows: Cell[][] = [
    ['sweep id', code(r.sweepId)],
    ['created', r.createdAt],
    ['sweep hash', code(r.sweepHash)],
    ['data file', code(r.dataFile)],
    ['data fingerprint', code(r.dataFingerprint)],
    ['seed', r.seed],
    ['sampler', r.sampler],
    ['pruner', r.pruner ?? 'none'],
    ['objective', `${r.objective.metric} (${r.objective.direction}) on each window's validation slice`],
    ['batch', r.batch],
    ['budget', `${r.budget.trials} trials per window${r.budget.timeMs ? `, at most ${r.budget.timeMs / 1000} s` : ''}`],
    ['evaluation', `${r.method}, ${r.windows.length} window(s), each with its own search`],
  ]
  return section('overview', 'Sweep', table(['', ''], rows, 'kv'))
}

const metricCell = (m: Readonly<Record<string, number>> | null | undefined, k: string): Cell =>
  m && k in m ? m[k] : '-'

function windowsSection(r: SweepResult): string {
  const rows = r.windows.map((w): Cell[] => [
    w.key,
    w.valStart,
    w.testStart,
    `${w.rows.train} / ${w.rows.val} / ${w.rows.test}`,
    w.trials,
    w.complete,
    w.pruned,
    w.failed,
    w.chosen ? `#${w.chosen.number}` : (w.note ?? '-'),
    w.chosen ? w.chosen.value : '-',
    metricCell(w.test, 'log_loss'),
    metricCell(w.test, 'auc_dir'),
    metricCell(w.test, 'bt_total_return'),
    metricCell(w.test, 'bt_trades'),
    'pbo' in w.pbo ? w.pbo.pbo : `n/a: ${w.pbo.reason}`,
  ])
  const head = [
    'window',
    'validation from',
    'test from',
    'rows train / val / test',
    'trials',
    'done',
    'pruned',
    'failed',
    'chosen',
    `val ${r.objective.metric}`,
    'test log-loss',
    'test AUC(up/down)',
    'test return',
    'test trades',
    'PBO',
  ]
  return section(
    'windows',
    'Windows',
    `<p class="muted">Trials are scored on the validation slice only; the chosen trial is refitted and tested once on the test slice. PBO: probability that picking the best trial on the validation slice is overfitting (CSCV over the trials' per-bar validation returns).</p>${table(head, rows)}`,
  )
}

function testSection(r: SweepResult): string {
  if (!r.test) return absent('test', 'Out of sample', 'No window chose a configuration: nothing was tested.')
  const t = r.test
  const d = r.deflatedSharpe
  const rows: Cell[][] = [
    ['test rows', t.rows],
    ...Object.entries(t.metrics).map(([k, v]): Cell[] => [k, v]),
    ...Object.entries(t.backtest).map(([k, v]): Cell[] => [`backtest ${k}`, v]),
    [
      'deflated Sharpe ratio',
      'dsr' in d
        ? `${d.dsr.toFixed(4)} (per-bar Sharpe ${d.sharpe.toPrecision(4)} over ${d.bars} bars against ${d.benchmark.toPrecision(4)}, the best expected of ${d.trials} unskilled trials with variance ${d.trialVariance.toPrecision(3)})`
        : `n/a: ${d.reason}`,
    ],
  ]
  const gates = r.gates
    ? `<h3>Gates</h3><p>The choice judged by the base config's acceptance thresholds (docs/acceptance.md): ${
        r.gates.every((g) => g.pass) ? 'PASS' : 'FAIL'
      }.</p>${table(
        ['gate', 'value', 'threshold', 'result', 'note'],
        r.gates.map((g) => [
          g.gate,
          g.value ?? 'n/a',
          `${g.op} ${g.threshold}`,
          g.pass ? 'PASS' : 'FAIL',
          g.note ?? '',
        ]),
      )}`
    : ''
  return section(
    'test',
    'Out of sample',
    `<p class="muted">The chosen configurations' test slices as one stream (equity compounding from window to window), after fees and slippage.</p>${table(['', ''], rows, 'kv')}${gates}${chart('chart-equity', 260)}`,
  )
}

function trialsSection(r: SweepResult, trials: readonly TrialRow<TrialOutcome>[], paths: readonly string[]): string {
  if (trials.length === 0) return absent('trials', 'Trials', 'No trial ran.')
  const chosen = new Set(r.windows.map((w) => (w.chosen ? `${w.key}#${w.chosen.number}` : '')))
  const rows = trials.map((t): Cell[] => [
    t.window,
    chosen.has(`${t.window}#${t.number}`) ? `#${t.number} (chosen)` : `#${t.number}`,
    t.status,
    t.value ?? '-',
    ...paths.map((p) => shortValue(t.params[p])),
    t.seconds,
    t.outcome.error ?? '',
  ])
  return section(
    'trials',
    'Trials',
    table(['window', 'trial', 'status', r.objective.metric, ...paths, 'seconds', 'note'], rows),
  )
}

function chartsSection(paths: readonly string[], trials: readonly TrialRow[]): string {
  if (!trials.some((t) => t.status === 'complete')) return absent('charts', 'Search', 'No trial completed.')
  const marginals = paths.map((_, k) => chart(`chart-marginal-${k}`, 240)).join('')
  return section(
    'charts',
    'Search',
    `<h3>Objective over trials</h3>${chart('chart-objective', 280)}<h3>Parameter marginals</h3><div class="grid2">${marginals}</div><h3>Parallel coordinates</h3>${chart('chart-parallel', 320)}`,
  )
}

function chosenSection(r: SweepResult): string {
  if (!r.chosen) return absent('chosen', 'Chosen configuration', 'No window chose a configuration.')
  return section(
    'chosen',
    'Chosen configuration',
    `<p>The choice of the last window (${escapeHtml(r.chosen.window)}), written as chosen.yaml beside this page: <code>mlf run chosen.yaml</code>.</p><pre>${escapeHtml(stringify(r.chosen.config))}</pre>`,
  )
}

/** Chart data: trials by window with their values (numbers as they are, other values as their choice's index). */
function chartData(r: SweepResult, trials: readonly TrialRow<TrialOutcome>[], paths: readonly string[]) {
  const categories = paths.map((p) => {
    const seen = new Map<string, number>()
    for (const t of trials) {
      const v = t.params[p]
      if (typeof v !== 'number' && !seen.has(JSON.stringify(v))) seen.set(JSON.stringify(v), seen.size)
    }
    return seen
  })
  const coordinate = (p: number, v: unknown) => (typeof v === 'number' ? v : categories[p].get(JSON.stringify(v))!)
  const equity = r.test?.equity
  const step = equity ? Math.max(1, Math.ceil(equity.ts.length / MAX_EQUITY_POINTS)) : 1
  const keep = equity ? equity.ts.map((_, i) => i).filter((i) => i % step === 0 || i === equity.ts.length - 1) : []
  return {
    metric: r.objective.metric,
    minimize: r.objective.direction === 'minimize',
    paths,
    categories: categories.map((c) => (c.size ? [...c.keys()].map((k) => shortValue(JSON.parse(k))) : null)),
    windows: r.windows.map((w) => w.key),
    trials: trials.map((t) => ({
      window: t.window,
      number: t.number,
      status: t.status,
      value: t.value,
      x: paths.map((p, k) => coordinate(k, t.params[p])),
    })),
    equity: equity ? keep.map((i) => [equity.ts[i], equity.equity[i]]) : null,
  }
}

const CHART_SCRIPT = `
  var windows = data.windows;
  var done = data.trials.filter(function (t) { return t.status === 'complete'; });
  if (done.length > 0) make('chart-objective', {
    tooltip: { trigger: 'item' },
    legend: { type: 'scroll' },
    xAxis: { type: 'value', name: 'trial' },
    yAxis: { type: 'value', name: data.metric, scale: true },
    series: windows.flatMap(function (w, k) {
      var mine = done.filter(function (t) { return t.window === w; });
      var best = null;
      var line = mine.map(function (t) {
        if (best === null || (data.minimize ? t.value < best : t.value > best)) best = t.value;
        return [t.number, best];
      });
      return [
        { name: w, type: 'scatter', symbolSize: 6, color: palette[k % palette.length], data: mine.map(function (t) { return [t.number, t.value]; }) },
        { name: w + ' best so far', type: 'line', step: 'end', showSymbol: false, color: palette[k % palette.length], data: line },
      ];
    }),
  });
  data.paths.forEach(function (p, k) {
    var cats = data.categories[k];
    make('chart-marginal-' + k, {
      title: { text: p, textStyle: { fontSize: 12 } },
      tooltip: { trigger: 'item' },
      grid: { top: 40 },
      xAxis: cats ? { type: 'category', data: cats } : { type: 'value', scale: true },
      yAxis: { type: 'value', name: data.metric, scale: true },
      series: windows.map(function (w, j) {
        return { name: w, type: 'scatter', symbolSize: 6, color: palette[j % palette.length],
          data: done.filter(function (t) { return t.window === w; }).map(function (t) { return [t.x[k], t.value]; }) };
      }),
    });
  });
  if (done.length > 0) make('chart-parallel', {
    parallelAxis: data.paths.map(function (p, k) {
      var cats = data.categories[k];
      return cats ? { dim: k, name: p, type: 'category', data: cats } : { dim: k, name: p, scale: true };
    }).concat([{ dim: data.paths.length, name: data.metric, scale: true, inverse: data.minimize }]),
    series: [{ type: 'parallel', lineStyle: { width: 1, opacity: 0.6 },
      data: done.map(function (t) { return t.x.map(function (v, k) { return data.categories[k] ? data.categories[k][v] : v; }).concat([t.value]); }) }],
  });
  if (data.equity) make('chart-equity', {
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time' },
    yAxis: { type: 'value', name: 'equity', scale: true },
    series: [{ name: 'equity', type: 'line', showSymbol: false, color: palette[0], data: data.equity }],
  });
`

export function renderSweepReport(result: SweepResult, trials: readonly TrialRow<TrialOutcome>[]): string {
  const paths = [...new Set(trials.flatMap((t) => Object.keys(t.params)))]
  return renderPage({
    title: `mlf sweep ${result.sweepId}`,
    heading: `Sweep ${result.sweepId}`,
    subtitle: `${trials.length} trials over ${result.windows.length} window(s); ${result.sampler}, objective ${result.objective.metric}`,
    sections: [
      overviewSection(result),
      windowsSection(result),
      testSection(result),
      chartsSection(paths, trials),
      trialsSection(result, trials, paths),
      chosenSection(result),
    ],
    charts: chartData(result, trials, paths),
    chartScript: CHART_SCRIPT,
  })
}
