/**
 * The live drift monitor: a sliding window of the last `window` rows (features and outputs, one row per scored bar)
 * compared with a bundle's reference distributions. Each push updates the window's bin counts in place (the evicted
 * row's bins down, the new row's up) and, once the window is full, each column's PSI against its reference; a column
 * whose level (ok, warn, alert by monitor.psi_warn / psi_alert) changes gives an event. `status()` reports every
 * column's PSI, KL and scaled Wasserstein distance over the window as it stands.
 *
 * PSI and KL are sums of per-bin terms; a push recomputes only the terms of the bins it changed, and each sum is
 * taken over all bins in order, so the monitor's values equal `windowDrift` computed afresh on the same rows, bit for
 * bit (the batch report and the tests rely on it).
 */
import { binCount, binIndex, binCounts, smoothedProportion, smoothedProportions, type QuantileBins } from './bins.js'
import { klTerm } from './kl.js'
import { psiTerm } from './psi.js'
import { scaledWasserstein, wasserstein1 } from './wasserstein.js'
import type { ColumnReference, DriftReference } from './reference.js'
import { windowRows, type MonitorConfig } from './config.js'
import { parseTimeframe } from '../data/timeframe.js'
import {
  createWebhookPoster,
  LEVELS,
  type ColumnKind,
  type DriftEvent,
  type DriftLevel,
  type WebhookOptions,
} from './events.js'

export interface ColumnDrift {
  readonly name: string
  readonly kind: ColumnKind
  /** The column's level by its PSI (always ok when excluded). */
  readonly level: DriftLevel
  /** A feature of a group in monitor.exclude_groups: reported, never warns or alerts. */
  readonly excluded: boolean
  readonly psi: number
  /** KL(window || reference), in nats. */
  readonly kl: number
  /** First Wasserstein distance between the window and the reference, in reference standard deviations. */
  readonly wasserstein: number
  /** Rows of the window where the column is not finite: a missing feature (NaN), an unbounded interval end. */
  readonly missing: number
}

export interface DriftStatus {
  /** warming_up until the window is full, then the worst level of the columns that are not excluded. */
  readonly state: 'warming_up' | DriftLevel
  /** Rows in the window now, and when it is full. */
  readonly rows: number
  readonly windowRows: number
  /** Rows pushed since the monitor was created. */
  readonly seen: number
  /** The last row's bar time (ISO 8601), when pushes give one. */
  readonly lastTs: string | null
  readonly thresholds: { readonly psiWarn: number; readonly psiAlert: number }
  /** Features, then outputs, in the reference's order; empty before the first row. */
  readonly columns: readonly ColumnDrift[]
}

/** A column's level, PSI and KL: what `levels()` gives without the Wasserstein distance (which sorts the window). */
export type ColumnLevel = Pick<ColumnDrift, 'name' | 'kind' | 'level' | 'excluded' | 'psi' | 'kl'>

/** The status without the distances: cheap enough to take at every metrics scrape. */
export interface DriftLevels extends Omit<DriftStatus, 'columns'> {
  readonly columns: readonly ColumnLevel[]
}

export interface DriftMonitorOptions {
  /** Called with each event, in order, during the push that caused it. */
  readonly onEvent?: (event: DriftEvent) => void
  /** Post events as JSON to this webhook. */
  readonly webhook?: WebhookOptions
  /** Called when a webhook post fails (default: ignored, but counted in `webhookFailures`). */
  readonly onWebhookError?: (err: Error) => void
}

export interface DriftMonitor {
  readonly reference: DriftReference
  readonly windowRows: number
  /**
   * Add one scored row: the features in the reference's order (NaN for missing) and every reference output by name
   * (an interval's end may be ±Infinity, unbounded; no output is NaN); other keys, such as the policy's signal, are
   * not monitored. A row that does not fit (wrong length, an infinite feature, a missing or NaN output) is refused
   * with an error naming it, and the monitor is left unchanged. Returns the events this row caused.
   */
  push(features: ArrayLike<number>, outputs: Readonly<Record<string, number>>, ts?: number): readonly DriftEvent[]
  status(): DriftStatus
  /** The status's state, window and each column's level, PSI and KL, in O(bins): no sort of the window. */
  levels(): DriftLevels
  /** Wait until every webhook post under way has finished. */
  flush(): Promise<void>
  readonly webhookFailures: number
}

/** The monitor's settings: monitor.* of a config (bins apply when a reference is built, not here). */
export type DriftMonitorConfig = Pick<
  MonitorConfig,
  'window' | 'psi_warn' | 'psi_alert' | 'smoothing' | 'exclude_groups'
>

interface Column {
  readonly ref: ColumnReference
  readonly kind: ColumnKind
  readonly excluded: boolean
  readonly bins: QuantileBins
  /** Smoothed reference proportions. */
  readonly p: Float64Array
  /** Offset of the column's bins in the flat count and term arrays. */
  readonly offset: number
}

const levelOf = (psi: number, c: DriftMonitorConfig): DriftLevel =>
  psi >= c.psi_alert ? 'alert' : psi >= c.psi_warn ? 'warn' : 'ok'

const thresholdCrossed = (level: DriftLevel, previous: DriftLevel, c: DriftMonitorConfig): number => {
  const up = LEVELS.indexOf(level) > LEVELS.indexOf(previous)
  if (up) return level === 'alert' ? c.psi_alert : c.psi_warn
  return level === 'warn' ? c.psi_alert : c.psi_warn
}

function columnsOf(reference: DriftReference, config: DriftMonitorConfig, alpha: number): Column[] {
  const excluded = new Set<string>(config.exclude_groups)
  let offset = 0
  return [
    ...reference.features.columns.map((ref) => ({ ref, kind: 'feature' as const })),
    ...reference.outputs.columns.map((ref) => ({ ref, kind: 'output' as const })),
  ].map(({ ref, kind }) => {
    const bins = { lo: ref.lo, hi: ref.hi, edges: ref.edges }
    const col = {
      ref,
      kind,
      excluded: kind === 'feature' && ref.group !== null && excluded.has(ref.group),
      bins,
      p: smoothedProportions(ref.counts, alpha),
      offset,
    }
    offset += binCount(bins)
    return col
  })
}

/** Wasserstein distance of a column's window values (any order) to its reference, in reference std units. */
function columnWasserstein(ref: ColumnReference, values: Float64Array): number {
  const finite = values.filter((x) => Number.isFinite(x)).sort()
  return scaledWasserstein(wasserstein1(ref.quantiles, finite), ref.std)
}

/** A column's level from its PSI (ok when excluded), with its PSI and KL. */
const columnLevel = (c: Column, config: DriftMonitorConfig, psi: number, kl: number): ColumnLevel => ({
  name: c.ref.name,
  kind: c.kind,
  level: c.excluded ? 'ok' : levelOf(psi, config),
  excluded: c.excluded,
  psi,
  kl,
})

/** A column's drift from its PSI and KL, its window values (any order) and its missing count. */
function columnDrift(
  c: Column,
  config: DriftMonitorConfig,
  psi: number,
  kl: number,
  values: Float64Array,
  missing: number,
): ColumnDrift {
  return { ...columnLevel(c, config, psi, kl), wasserstein: columnWasserstein(c.ref, values), missing }
}

/**
 * The drift of each column over one window of rows, computed afresh: `columns[j]` holds column j's values (features,
 * then outputs, in the reference's order). What the monitor reports once it holds exactly these rows.
 */
export function windowDrift(
  reference: DriftReference,
  config: DriftMonitorConfig,
  columns: readonly Float64Array[],
): ColumnDrift[] {
  return columnsOf(reference, config, config.smoothing).map((c, j) => {
    const q = smoothedProportions(binCounts(c.bins, columns[j]), config.smoothing)
    let psi = 0
    let kl = 0
    for (let k = 0; k < q.length; k++) {
      psi += psiTerm(c.p[k], q[k])
      kl += klTerm(q[k], c.p[k])
    }
    let missing = 0
    for (const x of columns[j]) if (!Number.isFinite(x)) missing++
    return columnDrift(c, config, psi, kl, columns[j], missing)
  })
}

export function createDriftMonitor(
  reference: DriftReference,
  config: DriftMonitorConfig,
  options: DriftMonitorOptions = {},
): DriftMonitor {
  const { psi_warn, psi_alert, smoothing } = config
  if (!(psi_warn > 0 && psi_warn < psi_alert))
    throw new Error(`drift monitor: psi_warn (${psi_warn}) must be positive and below psi_alert (${psi_alert})`)
  if (!(smoothing > 0)) throw new Error(`drift monitor: smoothing must be positive, got ${smoothing}`)
  const W = windowRows(config.window, parseTimeframe(reference.interval).ms, reference.bins)
  const cols = columnsOf(reference, config, smoothing)
  const F = reference.features.columns.length
  const C = cols.length
  const totalBins = cols.reduce((s, c) => s + binCount(c.bins), 0)
  const outputNames = reference.outputs.columns.map((o) => o.name)

  // The window as a ring of rows: values, and each value's bin (to take it out of the counts when it leaves).
  const values = new Float64Array(W * C)
  const binOf = new Uint8Array(W * C)
  const counts = new Float64Array(totalBins)
  const psiTerms = new Float64Array(totalBins)
  const klTerms = new Float64Array(totalBins)
  /** The row count the terms were computed for (-1: none yet). */
  let termsRows = -1
  let next = 0
  let rows = 0
  let seen = 0
  let lastTs: number | null = null
  const held = new Array<DriftLevel>(C).fill('ok')
  const onWebhookError = options.onWebhookError ?? (() => {})
  const webhook = options.webhook ? createWebhookPoster(options.webhook, onWebhookError) : null

  const setTerm = (c: Column, k: number) => {
    const i = c.offset + k
    const q = smoothedProportion(counts[i], rows, c.p.length, smoothing)
    psiTerms[i] = psiTerm(c.p[k], q)
    klTerms[i] = klTerm(q, c.p[k])
  }
  const refreshAllTerms = () => {
    for (const c of cols) for (let k = 0; k < c.p.length; k++) setTerm(c, k)
    termsRows = rows
  }
  const sums = (c: Column): { psi: number; kl: number } => {
    let psi = 0
    let kl = 0
    for (let k = 0; k < c.p.length; k++) {
      psi += psiTerms[c.offset + k]
      kl += klTerms[c.offset + k]
    }
    return { psi, kl }
  }

  /** The row as one array (features, then outputs), or an error naming what does not fit. */
  const rowOf = (features: ArrayLike<number>, outputs: Readonly<Record<string, number>>, ts?: number) => {
    if (features.length !== F)
      throw new Error(`drift monitor: a row of ${features.length} features; the reference has ${F}`)
    if (ts !== undefined && !Number.isFinite(ts)) throw new Error(`drift monitor: the row's time ${ts} is not a time`)
    const row = new Float64Array(C)
    for (let j = 0; j < F; j++) {
      const x = features[j]
      if (typeof x !== 'number' || x === Infinity || x === -Infinity)
        throw new Error(`drift monitor: feature ${reference.features.columns[j].name} is ${String(x)}`)
      row[j] = x
    }
    outputNames.forEach((name, k) => {
      const x = outputs[name]
      if (typeof x !== 'number' || Number.isNaN(x))
        throw new Error(`drift monitor: output ${name} is ${x === undefined ? 'missing' : String(x)}`)
      row[F + k] = x
    })
    return row
  }

  const push: DriftMonitor['push'] = (features, outputs, ts) => {
    const row = rowOf(features, outputs, ts)
    const full = rows === W
    const base = next * C
    const changed: number[] = []
    for (let j = 0; j < C; j++) {
      const c = cols[j]
      const old = full ? binOf[base + j] : -1
      const bin = binIndex(c.bins, row[j])
      if (old >= 0) counts[c.offset + old]--
      counts[c.offset + bin]++
      values[base + j] = row[j]
      binOf[base + j] = bin
      if (old !== bin) changed.push(j, old, bin)
    }
    next = (next + 1) % W
    rows = Math.min(rows + 1, W)
    seen++
    lastTs = ts ?? null
    if (rows < W) return []
    // Full: only the bins that changed have new terms (all of them on the push that fills the window).
    if (termsRows !== rows) refreshAllTerms()
    else
      for (let i = 0; i < changed.length; i += 3) {
        const c = cols[changed[i]]
        if (changed[i + 1] >= 0) setTerm(c, changed[i + 1])
        setTerm(c, changed[i + 2])
      }
    const events: DriftEvent[] = []
    for (const [j, c] of cols.entries()) {
      if (c.excluded) continue
      const { psi, kl } = sums(c)
      const level = levelOf(psi, config)
      if (level === held[j]) continue
      events.push({
        type: 'drift',
        level,
        previous: held[j],
        column: c.ref.name,
        kind: c.kind,
        psi,
        kl,
        threshold: thresholdCrossed(level, held[j], config),
        row: seen,
        ts: ts === undefined ? null : new Date(ts).toISOString(),
        windowRows: W,
      })
      held[j] = level
    }
    for (const e of events) options.onEvent?.(e)
    webhook?.post(events)
    return events
  }

  /** The status around `columns` (the columns' values as `status` or `levels` gives them). */
  const summary = <C extends ColumnLevel>(columns: C[]) => {
    let state: DriftStatus['state'] = 'ok'
    if (rows < W) state = 'warming_up'
    else for (const c of columns) if (LEVELS.indexOf(c.level) > LEVELS.indexOf(state as DriftLevel)) state = c.level
    return {
      state,
      rows,
      windowRows: W,
      seen,
      lastTs: lastTs === null ? null : new Date(lastTs).toISOString(),
      thresholds: { psiWarn: psi_warn, psiAlert: psi_alert },
      columns,
    }
  }

  const status = (): DriftStatus => {
    const columns: ColumnDrift[] = []
    if (rows > 0) {
      if (termsRows !== rows) refreshAllTerms()
      // The window's rows in any order: every statistic here depends on the multiset of values only.
      const column = new Float64Array(rows)
      for (const [j, c] of cols.entries()) {
        for (let r = 0; r < rows; r++) column[r] = values[r * C + j]
        const { psi, kl } = sums(c)
        columns.push(columnDrift(c, config, psi, kl, column, counts[c.offset + c.p.length - 1]))
      }
    }
    return summary(columns)
  }

  const levels = (): DriftLevels => {
    const columns: ColumnLevel[] = []
    if (rows > 0) {
      if (termsRows !== rows) refreshAllTerms()
      for (const c of cols) {
        const { psi, kl } = sums(c)
        columns.push(columnLevel(c, config, psi, kl))
      }
    }
    return summary(columns)
  }

  return {
    reference,
    windowRows: W,
    push,
    status,
    levels,
    flush: () => webhook?.flush() ?? Promise.resolve(),
    get webhookFailures() {
      return webhook?.failures ?? 0
    },
  }
}
