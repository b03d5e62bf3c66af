import { sharpeText } from '../backtest/bootstrap.js'
import type { RunRecord } from './types.js'
import { absent, chart, code, escapeHtml, fmt, renderPage, section, table, type Cell } from './html.js'

/**
 * One self-contained HTML report per run: tables are plain HTML, plots are drawn by the echarts library inlined into
 * the page (no network access is needed to open it, and none is attempted). All text from the record is escaped;
 * chart data travels as JSON in a non-executable script element and is read with JSON.parse (src/tracking/html.ts).
 */

/** Most points of the equity curve embedded in the page; longer curves are reduced keeping each bucket's extremes. */
export const MAX_EQUITY_POINTS = 4000
export const TOP_FEATURES = 30

/** Indices of the points kept: first, last, and each bucket's min/max equity and deepest drawdown. */
export function decimateIndices(equity: readonly number[], drawdown: readonly number[], max: number): number[] {
  const n = equity.length
  if (n <= max) return Array.from({ length: n }, (_, i) => i)
  const buckets = Math.max(1, Math.floor((max - 2) / 3))
  const keep = new Set<number>([0, n - 1])
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets)
    const hi = Math.floor(((b + 1) * n) / buckets)
    let iMin = lo
    let iMax = lo
    let iDd = lo
    for (let i = lo + 1; i < hi; i++) {
      if (equity[i] < equity[iMin]) iMin = i
      if (equity[i] > equity[iMax]) iMax = i
      if (drawdown[i] < drawdown[iDd]) iDd = i
    }
    keep.add(iMin).add(iMax).add(iDd)
  }
  return [...keep].sort((a, b) => a - b)
}

// --- sections -------------------------------------------------------------------------------------------------

function metadataSection(run: RunRecord): string {
  const rows: Cell[][] = [
    ['run id', code(run.runId)],
    ['created', run.createdAt],
    ['config hash', code(run.configHash)],
    ['data file', code(run.dataFile)],
    ['data fingerprint', code(run.dataFingerprint)],
    ['code version', code(run.codeVersion)],
    ['seed', run.seed],
  ]
  const env = run.environment
  if (env) {
    rows.push(['runtime', `Node ${env.node} on ${env.platform}, ${env.cpu} (${env.cores} cores)`])
    const engines = Object.entries(env.engines).map(([k, v]) => `${k} ${v}`)
    rows.push(['engines', engines.length > 0 ? engines.join('; ') : 'none loaded'])
    const vars = Object.entries(env.engineEnv).map(([k, v]) => `${k}=${v}`)
    if (vars.length > 0) rows.push(['engine settings', code(vars.join(' '))])
  }
  const config = `<details><summary>Resolved config</summary><pre>${escapeHtml(
    JSON.stringify(run.config, null, 2) ?? 'undefined',
  )}</pre></details>`
  return section('metadata', 'Run', table(['field', 'value'], rows, 'kv') + config)
}

function modelsSection(run: RunRecord): string {
  if (run.models.length === 0) return absent('models', 'Models', 'No models were evaluated in this run.')
  const names: string[] = []
  for (const m of run.models)
    for (const split of ['val', 'test'] as const)
      for (const k of Object.keys(m.metrics[split])) if (!names.includes(k)) names.push(k)
  const head: Cell[] = ['model', 'kind']
  for (const k of names) head.push(`${k} (val)`, `${k} (test)`)
  const rows = run.models.map((m) => {
    const r: Cell[] = [m.name, m.kind]
    for (const k of names) for (const split of ['val', 'test'] as const) r.push(m.metrics[split][k] ?? '—')
    return r
  })
  return section('models', 'Models', table(head, rows))
}

/** One sentence: does the model beat its own shuffled-label control? */
export function canarySentence(c: NonNullable<RunRecord['canary']>): string {
  if (c.shuffledLabels)
    return `This run was trained on shuffled labels: its test AUC ${c.testAuc.toFixed(4)} should be near 0.5; far from it points at leakage.`
  if (c.controlAuc === undefined)
    return `Test AUC ${c.testAuc.toFixed(4)}; no shuffled-label control was trained (${c.noControl ?? 'not recorded'}).`
  return (
    `The model's test AUC ${c.testAuc.toFixed(4)} ${c.testAuc > c.controlAuc ? 'beats' : 'does not beat'} its shuffled-label ` +
    `control's ${c.controlAuc.toFixed(4)} (the primary member refitted on shuffled labels, ${fmt(c.controlSeconds ?? 0)} s).`
  )
}

function canarySection(run: RunRecord): string {
  if (!run.canary) return ''
  const c = run.canary
  const rows: Cell[][] = [['test AUC (up/down)', c.testAuc]]
  if (c.controlAuc !== undefined) rows.push(['shuffled-label control AUC', c.controlAuc])
  return section('canary', 'Canary', `<p>${escapeHtml(canarySentence(c))}</p>${table(['', 'value'], rows, 'kv')}`)
}

const gateCell = (gate: string, v: number | null): Cell =>
  v === null ? 'n/a' : gate === 'max_drawdown' ? `${(100 * v).toFixed(2)}%` : v

/** The verdict first: the test period, the sentence of a run without an edge, the gates, the intervals, the canary. */
function verdictSection(run: RunRecord): string {
  const a = run.acceptance
  if (!a) return ''
  const failing = a.gates.filter((g) => !g.pass).map((g) => g.gate)
  const head =
    `<p class="verdict"><strong>${a.verdict}</strong> on the test period ${escapeHtml(a.testPeriod.start)} to ` +
    `${escapeHtml(a.testPeriod.end)} (${a.testPeriod.days} day${a.testPeriod.days === 1 ? '' : 's'})` +
    `${failing.length ? `: ${failing.length} of ${a.gates.length} gates fail (${escapeHtml(failing.join(', '))})` : ''}.</p>` +
    (a.noEdge ? `<p><strong>${escapeHtml(a.noEdge)}</strong></p>` : '')
  const gates = table(
    ['gate', 'value', 'threshold', 'result', 'note'],
    a.gates.map((g) => [
      g.gate,
      gateCell(g.gate, g.value),
      `${g.op} ${g.gate === 'max_drawdown' ? `${(100 * g.threshold).toFixed(2)}%` : g.threshold}`,
      g.pass ? 'PASS' : 'FAIL',
      g.note ?? '',
    ]),
  )
  const i = a.intervals
  const stats =
    'reason' in i
      ? `<p>Sharpe ratio ${escapeHtml(fmt(run.backtest?.metrics.sharpe ?? 0))} from ${a.trades} trades: no interval, ${escapeHtml(i.reason)}.</p>`
      : `<p>${Math.round(100 * i.confidence)}% intervals from a circular block bootstrap over ${i.days} test days ` +
        `(${i.blockDays}-day blocks, ${i.resamples} resamples), from ${a.trades} trades:</p>` +
        table(
          ['statistic', 'value', 'low', 'high'],
          [
            ['Sharpe ratio', i.sharpe.value, i.sharpe.lo, i.sharpe.hi],
            ['total return', i.totalReturn.value, i.totalReturn.lo, i.totalReturn.hi],
            ...(i.hitRate
              ? [['hit rate (winning trades)', i.hitRate.value, i.hitRate.lo, i.hitRate.hi] as Cell[]]
              : []),
          ],
        )
  const canary = run.canary ? `<p>${escapeHtml(canarySentence(run.canary))}</p>` : ''
  return section('verdict', 'Verdict', head + gates + stats + canary)
}

/** A Sharpe ratio cell with its interval and trades (metrics with bounds: metricsWithIntervals). */
const sharpeCell = (m: Record<string, number> | null | undefined): Cell =>
  m && m.sharpe !== undefined ? sharpeText(m) : '—'

function labelsSection(run: RunRecord, charts: ChartData): string {
  const { classes, counts } = run.labels
  if (classes.length === 0 || counts.length === 0)
    return absent('labels', 'Label distribution', 'No label counts were recorded.')
  charts.labels = { classes, splits: counts.map((c) => c.split), counts: counts.map((c) => c.counts) }
  const rows = counts.map((c) => {
    const total = c.counts.reduce((a, b) => a + b, 0)
    return [
      c.split,
      total,
      ...c.counts.map((x) => ({
        html: `${escapeHtml(fmt(x))} <span class="muted">(${total ? ((100 * x) / total).toFixed(1) : '0.0'}%)</span>`,
      })),
    ]
  })
  return section(
    'labels',
    'Label distribution',
    chart('chart-labels', 300) + table(['split', 'rows', ...classes], rows),
  )
}

type Bins = readonly { meanPredicted: number; observed: number; count: number }[]
const points = (bins: Bins) => bins.filter((b) => b.count > 0).map((b) => [b.meanPredicted, b.observed, b.count])

function calibrationSection(run: RunRecord, charts: ChartData): string {
  const c = run.calibration
  if (!c) return absent('calibration', 'Calibration', 'No calibration step in this run.')
  const params = Object.entries(c.params)
    .map(([k, v]) => `${k} = ${fmt(v)}`)
    .join(', ')
  const fitOn = c.fitOn
    ? ` Fitted on ${fmt(c.fitOn.rows)} ${c.fitOn.source === 'oof' ? 'purged out-of-fold training rows' : 'validation rows'}` +
      `${c.fitOn.unpredicted ? ` (${fmt(c.fitOn.unpredicted)} training rows no fold could predict)` : ''}; measured on the test rows.`
    : ''
  const intro =
    `<p>Method <code>${escapeHtml(c.method)}</code>${params ? ` (${escapeHtml(params)})` : ''}.${escapeHtml(fitOn)} ` +
    'Reliability of the top-class confidence and of each class, raw and after each calibrator in turn; the diagonal is ' +
    'perfect calibration, empty bins are not drawn (their count is in the table).</p>'
  // Older records hold only the top-label before / after.
  const steps = c.steps ?? []
  if (steps.length === 0) {
    charts.reliability = [
      {
        id: 'chart-reliability-top',
        title: 'top label',
        series: [
          { name: 'before', points: points(c.before.reliability) },
          { name: 'after', points: points(c.after.reliability) },
        ],
      },
    ]
    const stats = table(
      ['', 'ECE', 'Brier', 'log loss'],
      [
        ['before', c.before.ece, c.before.brier, c.before.logLoss],
        ['after', c.after.ece, c.after.brier, c.after.logLoss],
      ],
    )
    return section('calibration', 'Calibration', intro + chart('chart-reliability-top', 380) + stats)
  }
  const classes = steps[0].perClass.map((k) => k.class)
  charts.reliability = [
    {
      id: 'chart-reliability-top',
      title: 'top label',
      series: steps.map((st) => ({ name: st.name, points: points(st.topLabel.reliability) })),
    },
    ...classes.map((name, k) => ({
      id: `chart-reliability-${k}`,
      title: `P(${name})`,
      series: steps.map((st) => ({ name: st.name, points: points(st.perClass[k].reliability) })),
    })),
  ]
  const summary = table(
    ['step', 'log loss', 'Brier', 'ECE top', 'MCE top', 'ECE classwise', 'MCE classwise', 'empty bins (top)'],
    steps.map((st) => [
      code(st.name),
      st.logLoss,
      st.brier,
      st.topLabel.ece,
      st.topLabel.mce,
      st.classwise.ece,
      st.classwise.mce,
      st.topLabel.emptyBins,
    ]),
  )
  const perClass = table(
    ['step', ...classes.flatMap((k) => [`ECE ${k}`, `MCE ${k}`, `empty ${k}`])],
    steps.map((st) => [code(st.name), ...st.perClass.flatMap((k) => [k.ece, k.mce, k.emptyBins])]),
  )
  const grid = charts.reliability.map((panel) => chart(panel.id, 320)).join('')
  return section('calibration', 'Calibration', intro + `<div class="grid2">${grid}</div>` + summary + perClass)
}

/** What each kind of head's metrics are (by the head's name). */
function headNote(head: string): string {
  if (head === 'p_up') return 'p_up, up against the rest: log-loss, Brier, AUC and ECE.'
  if (head === 'E_r')
    return (
      "E_r, the forward return at the triple barrier's horizon: MAE, the information coefficient (Spearman), " +
      "the directional hit rate, and its interval's coverage and width."
    )
  if (head.includes('q05'))
    return 'The q05/q50/q95 band: the coverage and width of [q05, q95] and the pinball loss per level.'
  return (
    'A multi-head target (tradeable, direction given tradeable, strength or reach; per horizon, threshold and ' +
    "side): the binary metrics, or strength with E_r's, on the rows where the target is defined."
  )
}

/** One section per head beside the class probabilities (several members of a head are averaged). */
function headSections(run: RunRecord): string[] {
  return (run.heads ?? []).map((h, k) => {
    const keys = Object.keys(h.metrics.test)
    const rows: Cell[][] = [
      ['validation', ...keys.map((key) => h.metrics.val[key] ?? '')],
      ['test', ...keys.map((key) => h.metrics.test[key])],
    ]
    if (h.postProcessors.length)
      rows.push(['test, before ' + h.postProcessors.join(' + '), ...keys.map((key) => h.metrics.test_raw[key] ?? '')])
    const chain = [h.model, ...h.postProcessors].map((x) => `<code>${escapeHtml(x)}</code>`).join(' + ')
    return section(
      `head-${k + 1}`,
      `Head ${h.head}`,
      `<p>${chain}. ${escapeHtml(headNote(h.head))}</p>` + table(['', ...keys], rows),
    )
  })
}

function gateSection(run: RunRecord, charts: ChartData): string {
  const g = run.gate
  if (!g) return ''
  charts.gate = { members: g.members, ts: g.ts, weights: g.weights, regret: g.regret.cumulative }
  const drawn = g.ts.length < g.rows ? ` Drawn at ${fmt(g.ts.length)} of the ${fmt(g.rows)} test rows.` : ''
  const intro =
    `<p>Gate <code>${escapeHtml(g.name)}</code>: the weight of each member at each test row (stacked: they sum to ` +
    'one), and the cumulative log-loss regret (nats) against the member with the least test log-loss in hindsight, ' +
    `<code>${escapeHtml(g.regret.bestMember)}</code>: ${escapeHtml(fmt(g.regret.total))} over ${escapeHtml(fmt(g.rows))} ` +
    `rows (${escapeHtml(fmt(g.regret.perRow))} per row; below zero, the gate beat every member).${escapeHtml(drawn)}</p>`
  return section(
    'gate',
    'Gate weights',
    intro +
      chart('chart-gate', 420) +
      table(
        ['member', 'mean weight'],
        g.members.map((m, j) => [m, g.meanWeights[j]]),
      ),
  )
}

function predictionSetsSection(run: RunRecord): string {
  const s = run.predictionSets
  if (!s) return ''
  const sizes = s.sizes.map((n, k) => [`${k} class${k === 1 ? '' : 'es'}`, n, s.rows ? n / s.rows : 0] as Cell[])
  return section(
    'sets',
    'Prediction sets',
    `<p>Conformal prediction sets (<code>${escapeHtml(s.method)}</code>, target coverage ${escapeHtml(fmt(s.target))}) ` +
      `on ${escapeHtml(fmt(s.rows))} test rows: the set holds the true class on ${escapeHtml(fmt(s.coverage))} of them, ` +
      `with ${escapeHtml(fmt(s.meanSize))} classes on average. Coverage holds on average over rows, not for each class.</p>` +
      table(['set size', 'rows', 'share'], sizes) +
      table(
        ['true class', 'rows', 'coverage'],
        s.perClass.map((c) => [c.class, c.rows, c.coverage]),
      ),
  )
}

const IMPORTANCE_METHOD: Record<string, string> = {
  gain: "XGBoost's mean split gain",
  shap: 'mean |SHAP value| (TreeSHAP, summed over classes)',
  permutation: 'log-loss increase when the feature is shuffled',
}

/** Feature importance, one chart per model of the chain and method, each labelled with its model. */
function importanceSection(run: RunRecord, charts: ChartData): string {
  const records = run.importance
  if (!records || records.length === 0) return legacyImportanceSection(run, charts)
  charts.importance = []
  const parts = records.map((r, k) => {
    const top = r.features.slice(0, TOP_FEATURES)
    const id = `chart-importance-${k}`
    charts.importance!.push({
      id,
      axis: r.method,
      features: top.map((f) => f.feature),
      values: top.map((f) => f.value),
    })
    const on =
      r.method === 'shap'
        ? ` on ${fmt(r.rows ?? 0)} test rows of the last window`
        : r.method === 'permutation'
          ? ` on ${fmt(r.rows ?? 0)} validation rows of the last window (seeded; never test rows)`
          : ''
    const count =
      r.features.length > TOP_FEATURES ? `top ${TOP_FEATURES} of ${r.features.length}` : `${r.features.length}`
    return (
      `<h3><code>${escapeHtml(r.model)}</code> (${escapeHtml(r.role)}): ${escapeHtml(r.method)}</h3>` +
      `<p>${escapeHtml(`${count} features by ${IMPORTANCE_METHOD[r.method]}${on}.`)}</p>` +
      chart(id, 80 + 22 * top.length) +
      beeswarm(r, k, charts)
    )
  })
  return section(
    'importance',
    'Feature importance',
    '<p>Per model of the final chain (for an ensemble, per member), from the last window. Tree models: gain, and ' +
      'SHAP values from XGBoost’s own TreeSHAP; other models taking a feature matrix: permutation importance.</p>' +
      parts.join(''),
  )
}

/** A SHAP record's beeswarm: each point a row, at its SHAP value, coloured by the feature's value rank. */
function beeswarm(r: NonNullable<RunRecord['importance']>[number], k: number, charts: ChartData): string {
  if (!r.beeswarm || r.beeswarm.points.length === 0) return ''
  const id = `chart-beeswarm-${k}`
  charts.beeswarm = [...(charts.beeswarm ?? []), { id, features: r.beeswarm.features, points: r.beeswarm.points }]
  return (
    `<p class="muted">${escapeHtml(
      `SHAP values on the ${r.beeswarm.class} class's margin of sampled rows for the ${r.beeswarm.features.length} ` +
        'most important features; colour: the feature’s value (rank among the rows, low blue, high red).',
    )}</p>` + chart(id, 60 + 28 * r.beeswarm.features.length)
  )
}

/** Older records: one gain list, averaged over the models that had one, its model unnamed. */
function legacyImportanceSection(run: RunRecord, charts: ChartData): string {
  const fi = run.featureImportance
  if (!fi || fi.length === 0) return absent('importance', 'Feature importance', 'No feature importance was recorded.')
  const top = [...fi].sort((a, b) => b.gain - a.gain).slice(0, TOP_FEATURES)
  charts.importance = [
    { id: 'chart-importance', axis: 'gain', features: top.map((f) => f.feature), values: top.map((f) => f.gain) },
  ]
  const note =
    fi.length > TOP_FEATURES ? `Top ${TOP_FEATURES} of ${fi.length} features by gain` : `${fi.length} features by gain`
  return section(
    'importance',
    'Feature importance',
    `<p>${escapeHtml(`${note}, the mean over the chain's tree models (a record from before importance was kept per model).`)}</p>${chart('chart-importance', 80 + 22 * top.length)}`,
  )
}

function backtestSection(run: RunRecord, charts: ChartData): string {
  const b = run.backtest
  if (!b) return absent('backtest', 'Backtest', 'No backtest in this run.')
  const { ts, equity, drawdown } = b.equity
  let body = ''
  if (ts.length > 0) {
    const keep = decimateIndices(equity, drawdown, MAX_EQUITY_POINTS)
    const at = (series: readonly number[]) => keep.map((i) => [ts[i], series[i]])
    charts.equity = { equity: at(equity), drawdown: at(drawdown) }
    const bm = b.benchmark
    if (bm)
      charts.equity.benchmark = [
        { name: 'strategy before costs', points: at(bm.grossEquity) },
        { name: 'buy and hold after costs', points: at(bm.buyAndHold.net) },
        { name: 'buy and hold before costs', points: at(bm.buyAndHold.gross) },
      ]
    const note =
      keep.length < ts.length
        ? `<p class="muted">${fmt(ts.length)} points, drawn as ${fmt(keep.length)} (each bucket's extremes kept).</p>`
        : ''
    body += chart('chart-equity', 460) + note + benchmarkTable(b)
  } else {
    body += '<p class="absent">The equity curve is empty.</p>'
  }
  const metrics = Object.entries(b.metrics)
  body +=
    '<h3>Metrics</h3>' +
    (metrics.length ? table(['metric', 'value'], metrics, 'kv') : '<p class="absent">No backtest metrics.</p>')
  body += regimeTable(b)
  if (run.policies) {
    const keys = Object.keys(run.policies[0].metrics)
    const learns = run.policies.some((p) => p.fit)
    body +=
      "<h3>Policies on the same predictions</h3><p>The first is the run's primary policy (the metrics above).</p>" +
      (learns
        ? '<p>A learning policy trains several seeds: their test P&amp;L (net, additive returns on capital) is given as a mean with its 95% t interval, beside the backtests of the policies that do not learn (total_return). The backtest row of a learning policy is its selected seed.</p>'
        : '') +
      table(
        ['policy', ...keys, ...(learns ? ['seeds', 'seeds’ test P&L', '95% interval'] : [])],
        run.policies.map((p) => [
          p.policy,
          ...keys.map((k) => p.metrics[k]),
          ...(learns
            ? p.fit
              ? [p.fit.test_pnl.n, p.fit.test_pnl.mean, `${fmt(p.fit.test_pnl.lo)} to ${fmt(p.fit.test_pnl.hi)}`]
              : ['', '', '']
            : []),
        ]),
      )
  }
  return section('backtest', 'Backtest', body)
}

/** The strategy and buy-and-hold over the same bars, each before and after costs: where each ends. */
function benchmarkTable(b: NonNullable<RunRecord['backtest']>): string {
  const bm = b.benchmark
  if (!bm) return ''
  const last = (x: readonly number[]) => (x.length ? x[x.length - 1] - 1 : 0)
  const lowest = (x: readonly number[]) => {
    let peak = -Infinity
    let worst = 0
    for (const v of x) {
      peak = Math.max(peak, v)
      worst = Math.min(worst, v / peak - 1)
    }
    return worst
  }
  const row = (name: string, x: readonly number[]): Cell[] => [name, last(x), lowest(x)]
  return (
    '<p>Against buy-and-hold of the contract over the same bars (bought at the close of the first test bar, marked ' +
    'at each close; after costs it pays the taker fee and slippage on the way in and out). Before costs: the same ' +
    'positions backtested with every fee and slippage set to zero.</p>' +
    table(
      ['', 'total return', 'max drawdown'],
      [
        row('strategy after costs', b.equity.equity),
        row('strategy before costs', bm.grossEquity),
        row('buy and hold after costs', bm.buyAndHold.net),
        row('buy and hold before costs', bm.buyAndHold.gross),
      ],
    )
  )
}

/**
 * Trades by the volatility tercile at their decision. The statistic is the t-statistic of the mean net trade return
 * (mean / sd * sqrt(trades)), not a Sharpe ratio: the headline Sharpe is annualised over daily equity returns. Older
 * records named the same t-statistic `sharpe`.
 */
function regimeTable(b: NonNullable<RunRecord['backtest']>): string {
  if (!b.byRegime.length) return '<h3>By regime</h3><p class="absent">No regime breakdown.</p>'
  return (
    '<h3>By volatility regime</h3><p>Trades grouped by the tercile of volatility at their decision bar. The ' +
    't-statistic is that of the mean net trade return (mean / standard deviation × √trades, over trades, not ' +
    'annualised): it is not the Sharpe ratio above, which is annualised over daily equity returns.</p>' +
    table(
      ['regime', 'trades', 'net P&L (sum)', 'mean net per trade', 't-stat of mean trade', 'win rate'],
      b.byRegime.map((r) => [r.regime, r.trades, r.pnl, r.meanNet ?? '—', r.tStat ?? r.sharpe ?? '—', r.winRate]),
    )
  )
}

/** Trades shown per page of the trade list. */
export const TRADES_PER_PAGE = 100

/** The primary policy's trades (the record keeps the first ones when there are many), in pages. */
function tradesSection(run: RunRecord): string {
  const t = run.trades
  if (!t) return ''
  if (t.total === 0) return absent('trades', 'Trades', 'The primary policy made no trade in the test period.')
  const shown = t.rows.length
  const note =
    `${fmt(t.total)} trades of the primary policy` +
    (shown < t.total ? `; the first ${fmt(shown)} are listed (all are in trades.csv beside this report)` : '') +
    '. Times are the open times of the bars of the decision, the first fill and the closing fill (a taker entry ' +
    'fills at the open after the decision; a horizon exit at its bar’s close). Size is the largest share of capital ' +
    'held; P&L and costs (fees and slippage) are returns on the capital the trade started with.'
  const head = [
    '#',
    'side',
    'size',
    'decision',
    'entry',
    'exit',
    'entry price',
    'exit price',
    'gross',
    'costs',
    'net',
    'exit reason',
  ]
  const pages: string[] = []
  for (let from = 0; from < shown; from += TRADES_PER_PAGE) {
    const rows = t.rows
      .slice(from, from + TRADES_PER_PAGE)
      .map((r, i): Cell[] => [
        from + i + 1,
        r.side,
        r.size,
        r.decision.replace('T', ' ').replace(/:00\.000Z$/, 'Z'),
        r.entry.replace('T', ' ').replace(/:00\.000Z$/, 'Z'),
        r.exit.replace('T', ' ').replace(/:00\.000Z$/, 'Z'),
        r.entryPrice,
        r.exitPrice,
        r.gross,
        r.cost,
        r.net,
        r.reason,
      ])
    const to = Math.min(shown, from + TRADES_PER_PAGE)
    pages.push(
      `<details${from === 0 ? ' open' : ''}><summary>trades ${fmt(from + 1)}–${fmt(to)}</summary>${table(head, rows, 'nowrap')}</details>`,
    )
  }
  return section('trades', 'Trades', `<p>${escapeHtml(note)}</p>${pages.join('')}`)
}

/** A voting ensemble's weights in each window (a gate's are in the Gate weights section). */
function ensembleWeightsSection(run: RunRecord, charts: ChartData): string {
  const e = run.ensembleWeightsByWindow
  if (!e) return ''
  charts.ensembleWeights = {
    members: e.members,
    keys: e.windows.map((w) => w.testStart.slice(0, 10)),
    weights: e.members.map((_, j) => e.windows.map((w) => w.weights[j])),
  }
  return section(
    'weights',
    'Ensemble weights',
    `<p>Combiner <code>${escapeHtml(e.combiner)}</code>: each member's ${escapeHtml(e.meaning)}, per window (by the ` +
      'start of its test period).</p>' +
      chart('chart-ensemble-weights', 320) +
      table(
        ['window', 'test from', ...e.members],
        e.windows.map((w) => [w.key, w.testStart, ...w.weights]),
      ),
  )
}

/**
 * evaluation.compare: every base model alone on each of its heads, and the chain of each combined head, in one table:
 * the head's test metrics, the p head's own backtest, fit time and inference time per row.
 */
function comparisonSection(run: RunRecord): string {
  const rows = run.comparison
  if (!rows) return ''
  const metricsCell = (m: Record<string, number>): Cell => ({
    html: Object.entries(m)
      .filter(([k]) => k !== 'rows')
      .map(([k, v]) => `${escapeHtml(k)}&nbsp;${escapeHtml(fmt(v))}`)
      .join(' · '),
  })
  const bt = (c: (typeof rows)[number], k: string): Cell => c.backtest?.[k] ?? '—'
  const intro =
    '<p>Each base model alone on each head it trains (fitted alone on the training window as in the chain): a p ' +
    "model's probabilities after the run's calibrators, fitted on its own validation rows, traded by the run's " +
    "primary policy (in the chain's place: what else the policy reads is the run's) in a backtest of the same test " +
    "rows, unless that policy does not read p; another head's model by its own outputs, before the head's " +
    "combination and uncertainty method. Chain rows are the run's own outputs of a head whose chain is more than " +
    'one model alone. Fit time is wall time (summed over windows); inference is the test rows scored in one batch ' +
    '(view and prediction) per row. Times depend on the machine and its load.</p>'
  return section(
    'comparison',
    'Comparison',
    intro +
      table(
        [
          'model',
          'head',
          'kind',
          'post-processors',
          'test rows',
          'test metrics',
          'Sharpe [interval] (trades)',
          'win rate',
          'max drawdown',
          'trades',
          'fit (s)',
          'inference (µs/row)',
        ],
        rows.map((c) => [
          c.model,
          c.head,
          c.kind,
          c.postProcessors.join(' + ') || '—',
          c.metrics.test.rows ?? '—',
          metricsCell(c.metrics.test),
          sharpeCell(c.backtest),
          bt(c, 'win_rate'),
          bt(c, 'max_drawdown'),
          bt(c, 'trades'),
          c.fitSeconds ?? '—',
          c.inferUsPerRow ?? '—',
        ]),
      ),
  )
}

/** Walk-forward windows: each window's test AUC and its own backtest return, plotted and tabled. */
function windowsSection(run: RunRecord, charts: ChartData): string {
  const ev = run.evaluation
  if (!ev || ev.method !== 'walk_forward') return ''
  const w = ev.windows
  charts.windows = {
    keys: w.map((x) => x.testStart.slice(0, 10)),
    aucDir: w.map((x) => x.test.auc_dir),
    totalReturn: w.map((x) => x.backtest.total_return),
  }
  const note = `${w.length} windows, the chain refit in each${ev.skipped ? `; ${ev.skipped} skipped (no full training window)` : ''}.`
  return section(
    'windows',
    'Walk-forward windows',
    `<p>${escapeHtml(note)}</p>${chart('chart-windows', 360)}` +
      table(
        [
          'test from',
          'test to',
          'train from',
          'train',
          'val',
          'test',
          'AUC (up/down)',
          'log-loss',
          'return',
          'Sharpe [interval] (trades)',
        ],
        w.map((x) => [
          x.testStart,
          x.testEnd,
          x.trainStart,
          x.samples.train,
          x.samples.val,
          x.samples.test,
          x.test.auc_dir,
          x.test.log_loss,
          x.backtest.total_return,
          sharpeCell(x.backtest),
        ]),
      ),
  )
}

/** Each calibrator's cross-fitted check on its fitting rows, and whether inference.drop_worsening dropped it. */
function calibratorChecksSection(run: RunRecord): string {
  const checks = run.postProcessorChecks ?? []
  if (checks.length === 0) return ''
  return section(
    'calibrators',
    'Calibrator checks',
    '<p>Each calibrator on its own fitting rows, out of sample: the rows cut into 5 contiguous folds, each predicted by ' +
      'the calibrator fitted on the others, against the probabilities it was given. One that raises the log-loss or ' +
      'the top-label ECE is worse, and with <code>inference.drop_worsening</code> (default) it is left out of the ' +
      'chain and the bundle.</p>' +
      table(
        ['window', 'calibrator', 'rows', 'log-loss before', 'after', 'ECE before', 'after', 'worse', 'dropped'],
        checks.map((c) => [
          c.window,
          c.name,
          c.rows,
          c.before.logLoss,
          c.after.logLoss,
          c.before.ece,
          c.after.ece,
          c.worse ? 'yes' : 'no',
          c.dropped ? 'yes' : 'no',
        ]),
      ),
  )
}

function timingsSection(run: RunRecord): string {
  if (run.timings.length === 0) return absent('timings', 'Timings', 'No stage timings were recorded.')
  const total = run.timings.reduce((a, t) => a + t.seconds, 0)
  const peak = Math.max(...run.timings.map((t) => t.peakRssMiB))
  const rows: Cell[][] = run.timings.map((t) => [t.stage, t.seconds, t.peakRssMiB])
  rows.push([{ html: '<strong>total</strong>' }, total, peak])
  return section('timings', 'Timings', table(['stage', 'seconds', 'peak RSS (MiB)'], rows))
}

function artifactsSection(run: RunRecord): string {
  if (run.artifacts.length === 0) return absent('artifacts', 'Artifacts', 'No artifacts were written.')
  return section(
    'artifacts',
    'Artifacts',
    table(
      ['path', 'bytes', 'sha256'],
      run.artifacts.map((a) => [code(a.path), a.bytes, code(a.sha256)]),
    ),
  )
}

// --- charts (run in the browser) -------------------------------------------------------------------------------

interface ChartData {
  equity?: { equity: number[][]; drawdown: number[][]; benchmark?: { name: string; points: number[][] }[] }
  reliability?: { id: string; title: string; series: { name: string; points: number[][] }[] }[]
  importance?: { id: string; axis: string; features: string[]; values: number[] }[]
  beeswarm?: { id: string; features: string[]; points: [number, number, number][] }[]
  ensembleWeights?: { members: string[]; keys: string[]; weights: number[][] }
  labels?: { classes: string[]; splits: string[]; counts: number[][] }
  windows?: { keys: string[]; aucDir: number[]; totalReturn: number[] }
  gate?: { members: string[]; ts: number[]; weights: number[][]; regret: number[] }
}

/**
 * Browser-side code (inside renderPage's prelude: `data`, `make`, `palette`): one echarts option per chart whose data
 * is present. No record text is interpolated, and
 * tooltips use echarts' rich-text mode so names from the record (features, classes) are never parsed as HTML.
 */
const CHART_SCRIPT = `
  // Dates on time axes (ECharts' default shows bare day numbers), with the time when a day is zoomed into.
  var dateLabel = { year: '{yyyy}', month: '{yyyy}-{MM}', day: '{yyyy}-{MM}-{dd}', hour: '{HH}:{mm}', minute: '{HH}:{mm}' };
  if (data.equity) {
    make('chart-equity', {
      color: palette,
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      axisPointer: { link: [{ xAxisIndex: 'all' }] },
      legend: { top: 0, data: ['equity', 'drawdown'].concat((data.equity.benchmark || []).map(function (b) { return b.name; })) },
      grid: [{ left: 70, right: 30, top: 40, height: '50%' }, { left: 70, right: 30, top: '68%', height: '22%' }],
      xAxis: [{ type: 'time', gridIndex: 0, axisLabel: { formatter: dateLabel } },
        { type: 'time', gridIndex: 1, axisLabel: { formatter: dateLabel } }],
      yAxis: [{ type: 'value', scale: true, gridIndex: 0, name: 'equity' }, { type: 'value', gridIndex: 1, name: 'drawdown', max: 0 }],
      dataZoom: [{ type: 'inside', xAxisIndex: [0, 1] }],
      series: [
        { name: 'equity', type: 'line', showSymbol: false, data: data.equity.equity, xAxisIndex: 0, yAxisIndex: 0 },
        { name: 'drawdown', type: 'line', showSymbol: false, data: data.equity.drawdown, xAxisIndex: 1, yAxisIndex: 1,
          color: '#e4572e', areaStyle: { opacity: 0.3 }, lineStyle: { width: 1 } }
      ].concat((data.equity.benchmark || []).map(function (b, k) {
        return { name: b.name, type: 'line', showSymbol: false, data: b.points, xAxisIndex: 0, yAxisIndex: 0,
          color: ['#2f6fdf', '#5c6b73', '#5c6b73'][k], lineStyle: { width: 1, type: k === 0 ? 'dotted' : k === 1 ? 'solid' : 'dashed' } };
      }))
    });
  }
  (data.reliability || []).forEach(function (panel) {
    var names = panel.series.map(function (x) { return x.name; });
    make(panel.id, {
      color: palette,
      title: { text: panel.title, left: 'center', top: 0, textStyle: { fontSize: 13 } },
      tooltip: { trigger: 'item', renderMode: 'richText', formatter: function (p) {
        return p.seriesName + '\\npredicted ' + p.value[0].toFixed(3) + '\\nobserved ' + p.value[1].toFixed(3) +
          (p.value.length > 2 ? '\\nrows ' + p.value[2] : '');
      } },
      legend: { bottom: 0, data: names.concat(['perfect']) },
      grid: { left: 55, right: 20, top: 30, bottom: 80 },
      xAxis: { type: 'value', min: 0, max: 1, name: 'mean predicted', nameLocation: 'middle', nameGap: 25 },
      yAxis: { type: 'value', min: 0, max: 1, name: 'observed' },
      series: panel.series.map(function (x) {
        return { name: x.name, type: 'line', data: x.points, symbolSize: 7 };
      }).concat([{ name: 'perfect', type: 'line', data: [[0, 0], [1, 1]], showSymbol: false, color: '#888',
        lineStyle: { type: 'dashed', width: 1 } }])
    });
  });
  (data.importance || []).forEach(function (c) {
    make(c.id, {
      color: palette,
      tooltip: { trigger: 'axis', renderMode: 'richText', axisPointer: { type: 'shadow' } },
      grid: { left: 20, right: 40, top: 10, bottom: 30, containLabel: true },
      xAxis: { type: 'value', name: c.axis },
      yAxis: { type: 'category', inverse: true, data: c.features, axisLabel: { fontFamily: 'monospace' } },
      series: [{ name: c.axis, type: 'bar', data: c.values }]
    });
  });
  (data.beeswarm || []).forEach(function (c) {
    make(c.id, {
      tooltip: { trigger: 'item', renderMode: 'richText' },
      grid: { left: 20, right: 60, top: 10, bottom: 30, containLabel: true },
      xAxis: { type: 'value', name: 'SHAP' },
      yAxis: { type: 'category', inverse: true, data: c.features, axisLabel: { fontFamily: 'monospace' } },
      visualMap: { type: 'continuous', min: 0, max: 1, dimension: 2, right: 0, top: 'middle', itemHeight: 80,
        text: ['high', 'low'], inRange: { color: ['#2f6fdf', '#e4572e'] } },
      series: [{ type: 'scatter', symbolSize: 4,
        data: c.points.map(function (p, i) { return [p[1], p[0] + ((i * 0.6180339887) % 1 - 0.5) * 0.6, p[2]]; }) }]
    });
  });
  if (data.ensembleWeights) {
    var e = data.ensembleWeights;
    make('chart-ensemble-weights', {
      color: palette,
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0, data: e.members },
      grid: { left: 70, right: 30, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: e.keys },
      yAxis: { type: 'value', name: 'weight', min: 0, max: 1 },
      series: e.members.map(function (name, j) {
        return { name: name, type: 'bar', stack: 'weights', data: e.weights[j] };
      })
    });
  }
  if (data.labels) {
    make('chart-labels', {
      color: palette,
      tooltip: { trigger: 'axis', renderMode: 'richText', axisPointer: { type: 'shadow' } },
      legend: { top: 0, data: data.labels.classes },
      grid: { left: 70, right: 30, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: data.labels.splits },
      yAxis: { type: 'value', name: 'rows' },
      series: data.labels.classes.map(function (name, k) {
        return { name: name, type: 'bar', data: data.labels.counts.map(function (c) { return c[k]; }) };
      })
    });
  }
  if (data.windows) {
    make('chart-windows', {
      color: palette,
      tooltip: { trigger: 'axis', renderMode: 'richText', axisPointer: { type: 'shadow' } },
      legend: { top: 0, data: ['test AUC (up/down)', 'return'] },
      grid: { left: 70, right: 70, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: data.windows.keys },
      yAxis: [{ type: 'value', name: 'AUC', scale: true }, { type: 'value', name: 'return' }],
      series: [
        { name: 'test AUC (up/down)', type: 'line', data: data.windows.aucDir, yAxisIndex: 0,
          markLine: { silent: true, symbol: 'none', data: [{ yAxis: 0.5 }], lineStyle: { type: 'dashed', color: '#888' } } },
        { name: 'return', type: 'bar', data: data.windows.totalReturn, yAxisIndex: 1 }
      ]
    });
  }
  if (data.gate) {
    var g = data.gate;
    make('chart-gate', {
      color: palette,
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0, data: g.members.concat(['regret']) },
      grid: { left: 70, right: 80, top: 40, bottom: 40 },
      xAxis: { type: 'time', axisLabel: { formatter: dateLabel } },
      yAxis: [{ type: 'value', name: 'weight', min: 0, max: 1 }, { type: 'value', name: 'regret (nats)', scale: true }],
      dataZoom: [{ type: 'inside' }],
      series: g.members.map(function (name, j) {
        return { name: name, type: 'line', stack: 'weights', showSymbol: false, lineStyle: { width: 0 },
          areaStyle: { opacity: 0.55 }, data: g.ts.map(function (t, i) { return [t, g.weights[j][i]]; }) };
      }).concat([{ name: 'regret', type: 'line', yAxisIndex: 1, showSymbol: false, color: '#1d2433',
        data: g.ts.map(function (t, i) { return [t, g.regret[i]]; }) }])
    });
  }
`

/** The test period for the header (from the record, or the equity curve of an older record), then ' · '. */
export function testPeriodText(run: RunRecord): string {
  const day = (iso: string) => iso.replace('T', ' ').replace(/:00(\.000)?Z$/, ' UTC')
  const p = run.testPeriod
  if (p) return `test ${day(p.start)} to ${day(p.end)} (${fmt(p.rows)} rows) · `
  const ts = run.backtest?.equity.ts ?? []
  if (ts.length === 0) return ''
  return `test ${day(new Date(ts[0]).toISOString())} to ${day(new Date(ts[ts.length - 1]).toISOString())} · `
}

/** The report of one run as a complete, self-contained HTML document. */
export function renderReport(run: RunRecord): string {
  const charts: ChartData = {}
  const sections = [
    verdictSection(run),
    metadataSection(run),
    modelsSection(run),
    canarySection(run),
    backtestSection(run, charts),
    tradesSection(run),
    comparisonSection(run),
    windowsSection(run, charts),
    gateSection(run, charts),
    ensembleWeightsSection(run, charts),
    calibrationSection(run, charts),
    calibratorChecksSection(run),
    predictionSetsSection(run),
    ...headSections(run),
    importanceSection(run, charts),
    labelsSection(run, charts),
    timingsSection(run),
    artifactsSection(run),
  ].filter((s) => s !== '')
  return renderPage({
    title: `mlf run ${run.runId}`,
    heading: 'mlfactory run report',
    subtitle: `${run.runId} · ${testPeriodText(run)}${run.createdAt} · ${run.dataFile}`,
    sections,
    charts,
    chartScript: CHART_SCRIPT,
  })
}
