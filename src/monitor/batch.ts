/**
 * The batch drift report: scored rows replayed, in time order, through the live monitor (one code path for batch and
 * live), with the monitor's status taken when the window first fills, every `step` rows after that, and at the last
 * row; every event the replay raised is kept.
 */
import { createDriftMonitor, type DriftMonitorConfig, type DriftStatus } from './monitor.js'
import type { ColumnKind, DriftEvent, DriftLevel } from './events.js'
import type { DriftReference } from './reference.js'

export interface DriftRows {
  /** Bar time (epoch ms) of each row. */
  readonly ts: Float64Array
  /** One column per reference feature, in its order, one value per row. */
  readonly features: readonly Float64Array[]
  /** Every reference output by name, one value per row. */
  readonly outputs: Readonly<Record<string, Float64Array>>
}

/** The status at one point of the replay, column values in the order of `DriftReport.columns`. */
export interface DriftCheckpoint {
  /** The window's last row: its bar time (ISO 8601) and its number (1-based) among the rows. */
  readonly ts: string
  readonly row: number
  readonly state: DriftStatus['state']
  readonly psi: readonly number[]
  readonly kl: readonly number[]
  readonly wasserstein: readonly number[]
}

/** Rows of a reference column set and the bars they span. */
export interface ReferenceSpan {
  readonly rows: number
  readonly from: string
  readonly to: string
}

export interface DriftReport {
  readonly reference: {
    readonly interval: string
    readonly bins: number
    readonly features: ReferenceSpan
    readonly outputs: ReferenceSpan
  }
  readonly windowRows: number
  readonly step: number
  readonly thresholds: DriftStatus['thresholds']
  readonly rows: number
  readonly from: string
  readonly to: string
  readonly columns: readonly { readonly name: string; readonly kind: ColumnKind; readonly excluded: boolean }[]
  readonly checkpoints: readonly DriftCheckpoint[]
  readonly events: readonly DriftEvent[]
  /** The monitor's status after the last row. */
  readonly last: DriftStatus
}

const iso = (ms: number) => new Date(ms).toISOString()

export function driftReport(
  reference: DriftReference,
  config: DriftMonitorConfig,
  data: DriftRows,
  step: number,
): DriftReport {
  if (!Number.isInteger(step) || step < 1)
    throw new Error(`drift report: the step must be a whole number of rows, got ${step}`)
  const n = data.ts.length
  const F = reference.features.columns.length
  if (data.features.length !== F)
    throw new Error(`drift report: ${data.features.length} feature columns for a reference of ${F}`)
  for (const [j, c] of data.features.entries())
    if (c.length !== n)
      throw new Error(
        `drift report: feature ${reference.features.columns[j].name} has ${c.length} values for ${n} rows`,
      )
  for (const { name } of reference.outputs.columns)
    if (data.outputs[name]?.length !== n)
      throw new Error(`drift report: output ${name} is missing or not one value per row`)
  const events: DriftEvent[] = []
  const monitor = createDriftMonitor(reference, config, { onEvent: (e) => events.push(e) })
  const W = monitor.windowRows
  if (n < W)
    throw new Error(
      `there are ${n} scored rows, fewer than the window's ${W}: nothing can be compared; use a shorter window or more data`,
    )
  const names = reference.outputs.columns.map((o) => o.name)
  const features = new Float64Array(F)
  const outputs: Record<string, number> = {}
  const checkpoints: DriftCheckpoint[] = []
  let status: DriftStatus | null = null
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < F; j++) features[j] = data.features[j][i]
    for (const name of names) outputs[name] = data.outputs[name][i]
    monitor.push(features, outputs, data.ts[i])
    const seen = i + 1
    if (seen < W || ((seen - W) % step !== 0 && seen !== n)) continue
    status = monitor.status()
    checkpoints.push({
      ts: iso(data.ts[i]),
      row: seen,
      state: status.state,
      psi: status.columns.map((c) => c.psi),
      kl: status.columns.map((c) => c.kl),
      wasserstein: status.columns.map((c) => c.wasserstein),
    })
  }
  const last = status as DriftStatus
  const span = ({ rows, from, to }: ReferenceSpan) => ({ rows, from, to })
  return {
    reference: {
      interval: reference.interval,
      bins: reference.bins,
      features: span(reference.features),
      outputs: span(reference.outputs),
    },
    windowRows: W,
    step,
    thresholds: last.thresholds,
    rows: n,
    from: iso(data.ts[0]),
    to: iso(data.ts[n - 1]),
    columns: last.columns.map((c) => ({ name: c.name, kind: c.kind, excluded: c.excluded })),
    checkpoints,
    events,
    last,
  }
}

const levelOf = (psi: number, t: DriftStatus['thresholds']): DriftLevel =>
  psi >= t.psiAlert ? 'alert' : psi >= t.psiWarn ? 'warn' : 'ok'

/** How many columns (excluded ones aside) warn and alert at a checkpoint, and the one with the largest PSI. */
export function checkpointSummary(
  report: DriftReport,
  checkpoint: DriftCheckpoint,
): { warn: number; alert: number; worst: number } {
  let warn = 0
  let alert = 0
  let worst = -1
  report.columns.forEach((c, j) => {
    if (c.excluded) return
    const level = levelOf(checkpoint.psi[j], report.thresholds)
    if (level === 'warn') warn++
    if (level === 'alert') alert++
    if (worst < 0 || checkpoint.psi[j] > checkpoint.psi[worst]) worst = j
  })
  return { warn, alert, worst }
}

export interface ColumnSummary {
  readonly name: string
  readonly kind: ColumnKind
  readonly excluded: boolean
  /** Largest PSI, KL and scaled Wasserstein distance over the checkpoints, and the PSI at the last. */
  readonly maxPsi: number
  readonly maxKl: number
  readonly maxWasserstein: number
  readonly lastPsi: number
  /** Bar time of the first row at which the column reached warn (or alert), and alert, if any. */
  readonly firstWarn: string | null
  readonly firstAlert: string | null
}

/** Every column over the whole replay, the largest PSI first. */
export function columnSummaries(report: DriftReport): ColumnSummary[] {
  const first = (name: string, level: DriftLevel) => {
    const e = report.events.find((x) => x.column === name && (x.level === level || x.level === 'alert'))
    return e ? (e.ts ?? `row ${e.row}`) : null
  }
  const max = (j: number, key: 'psi' | 'kl' | 'wasserstein') =>
    report.checkpoints.reduce((m, cp) => Math.max(m, cp[key][j]), 0)
  const last = report.checkpoints[report.checkpoints.length - 1]
  return report.columns
    .map((c, j) => ({
      ...c,
      maxPsi: max(j, 'psi'),
      maxKl: max(j, 'kl'),
      maxWasserstein: max(j, 'wasserstein'),
      lastPsi: last.psi[j],
      firstWarn: first(c.name, 'warn'),
      firstAlert: first(c.name, 'alert'),
    }))
    .sort((a, b) => b.maxPsi - a.maxPsi)
}
