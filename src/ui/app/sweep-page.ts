/** The sweeps of the store, and one sweep's trials: parallel coordinates (log axes for log-uniform parameters). */
import { getJson, type Sweep, type SweepSummary } from './api.js'
import { chart } from './charts.js'
import { esc, fmt, ready, root, section, table } from './dom.js'

export async function sweepsPage(): Promise<void> {
  const sweeps = await getJson<SweepSummary[]>('/api/sweeps')
  root().innerHTML = section(
    'Sweeps',
    sweeps.length === 0
      ? '<p class="absent">No sweeps in this store (mlf sweep records them).</p>'
      : table(
          ['sweep', 'created', 'status', 'sampler', 'objective', 'trials', 'data'],
          sweeps.map((s) => [
            `<a href="#/sweep/${encodeURIComponent(s.sweepId)}">${esc(s.sweepId)}</a>`,
            esc(s.createdAt),
            esc(s.status),
            esc(s.sampler ?? '–'),
            esc(s.metric ?? '–'),
            esc(s.trials),
            esc(s.dataFile),
          ]),
          'id="sweeps-table"',
        ),
  )
  ready('sweeps')
}

/** The end of a config path (config.learning_rate): whole paths overlap on narrow axes; the table has them whole. */
const axisName = (path: string) => path.split('.').slice(-2).join('.')

export async function sweepPage(id: string): Promise<void> {
  let s: Sweep
  try {
    s = await getJson<Sweep>(`/api/sweeps/${encodeURIComponent(id)}`)
  } catch (err) {
    root().innerHTML = section('Sweep', `<p class="error">${esc((err as Error).message)}</p>`)
    ready('sweep')
    return
  }
  const metric = s.objective?.metric ?? 'objective'
  const curveNames = [...new Set(s.trials.flatMap((t) => Object.keys(t.curves)))]
  const rows = s.trials.map((t) => [
    esc(t.window),
    esc(t.number),
    esc(t.status),
    esc(fmt(t.value)),
    ...s.axes.map((a, k) => esc(a.categories ? (a.categories[t.x[k] ?? -1] ?? '–') : fmt(t.x[k]))),
    ...curveNames.flatMap((c) => {
      const m = t.curves[c]
      return m ? [fmt(m.min), fmt(m.max), fmt(m.last), String(m.steps)] : ['–', '–', '–', '0']
    }),
  ])
  const head = [
    'window',
    'trial',
    'status',
    esc(metric),
    ...s.axes.map((a) => esc(a.path)),
    ...curveNames.flatMap((c) => [`${esc(c)} min`, 'max', 'last', 'steps']),
  ]
  root().innerHTML = [
    section(
      `Sweep ${s.sweepId}`,
      `<p class="muted">${esc(s.status)}, ${s.trials.length} trials, objective ${esc(metric)} (${esc(s.objective?.direction ?? '')}). Axes of log-uniform parameters are logarithmic.</p><div class="chart" id="chart-parallel" style="height:420px"></div>`,
    ),
    section(
      'Trials',
      `<p class="muted">Learning curves (validation loss per round or epoch) as min, max and last.</p><div class="scroll">${table(head, rows, 'id="trials-table"')}</div>`,
    ),
  ].join('')
  const done = s.trials.filter((t) => t.status === 'complete' && t.value !== null)
  chart('chart-parallel', {
    tooltip: {},
    parallelAxis: [
      ...s.axes.map((a, k) =>
        a.categories
          ? { dim: k, name: axisName(a.path), type: 'category', data: a.categories }
          : { dim: k, name: axisName(a.path), type: a.kind === 'log' ? 'log' : 'value', scale: true },
      ),
      { dim: s.axes.length, name: metric, type: 'value', scale: true, inverse: s.objective?.direction === 'minimize' },
    ],
    parallel: { left: 90, right: 120, top: 40, bottom: 30 },
    series: [
      {
        name: 'trials',
        type: 'parallel',
        lineStyle: { width: 1, opacity: 0.6 },
        data: done.map((t) => [
          ...t.x.map((v, k) => (s.axes[k].categories ? s.axes[k].categories![v ?? 0] : v)),
          t.value,
        ]),
      },
    ],
  })
  ready('sweep')
}
