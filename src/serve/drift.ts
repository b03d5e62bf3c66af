/**
 * Drift monitoring of the served bundles: each served model (primary, fallback) has the drift monitor of its own
 * bundle's reference distributions (src/monitor), fed the live rows that model answered. A bundle without a reference
 * is served with drift unavailable. The monitors live and die with the serving state: a reload brings fresh ones.
 */
import type { LoadedBundle } from '../pipeline/bundle.js'
import { createDriftMonitor, type DriftLevels, type DriftMonitor, type DriftStatus } from '../monitor/monitor.js'
import { checkWebhookUrl, LEVELS, shownUrl, type DriftEvent } from '../monitor/events.js'
import type { ServeMetrics } from './metrics.js'
import type { ServedModel } from './served-model.js'

/** Drift events kept per served model for GET /v1/drift (the newest). */
export const RECENT_EVENTS = 100

/** What the server does with a monitor's events and webhook failures (log them, count them). */
export interface DriftSink {
  onEvent(model: string, event: DriftEvent): void
  onWebhookError(model: string, err: Error): void
}

/** The row a monitor takes: the answering bundle's features (schema order) and outputs (as its reference lists them). */
export interface DriftRow {
  readonly ts: number
  readonly bundle: LoadedBundle
  readonly features: ArrayLike<number>
  readonly outputs: Readonly<Record<string, number>>
}

export interface ServedDrift {
  readonly model: string
  /** The bundle it watches: rows another bundle scored (one swapped out by a reload) are not pushed to it. */
  readonly bundle: LoadedBundle
  /** Null when the bundle has no reference distributions (`unavailable` says why). */
  readonly monitor: DriftMonitor | null
  readonly unavailable: string | null
  /** The webhook events go to, as shown (without its query), or null. */
  readonly webhook: string | null
  push(row: DriftRow): void
  /** The newest events (at most RECENT_EVENTS), oldest first. */
  recent(): readonly DriftEvent[]
}

/** Why a bundle has no drift monitor. */
export function unavailableReason(bundle: LoadedBundle): string {
  const m = bundle.manifest
  return (
    `bundle ${bundle.checksum.slice(0, 12)}… has no reference distributions (bundle format ${m.bundle_version}, ` +
    'written before bundles carried them): it is served, its drift is not measured; run mlf run again to pack one'
  )
}

/**
 * The drift watch of a served model: its bundle's monitor settings (monitor.* of its config), events posted to
 * `webhookUrl` when given, else to the bundle's monitor.webhook when it names one.
 */
export function watchDrift(model: ServedModel, webhookUrl: string | null, sink: DriftSink): ServedDrift {
  const { bundle } = model
  const settings = bundle.config.monitor
  const url = webhookUrl ?? settings.webhook?.url ?? null
  const recent: DriftEvent[] = []
  const monitor = bundle.reference
    ? createDriftMonitor(bundle.reference, settings, {
        onEvent(e) {
          recent.push(e)
          if (recent.length > RECENT_EVENTS) recent.shift()
          sink.onEvent(model.name, e)
        },
        ...(url ? { webhook: { url, timeoutMs: settings.webhook?.timeout_ms ?? 5000 } } : {}),
        onWebhookError: (err) => sink.onWebhookError(model.name, err),
      })
    : null
  return {
    model: model.name,
    bundle,
    monitor,
    unavailable: monitor ? null : unavailableReason(bundle),
    webhook: monitor && url ? shownUrl(checkWebhookUrl(url)) : null,
    push(row) {
      if (monitor && row.bundle === bundle) monitor.push(row.features, row.outputs, row.ts)
    },
    recent: () => recent,
  }
}

/** The status of a served model's drift as GET /v1/drift answers it (snake case, like the other routes). */
export function driftDescription(d: ServedDrift): Record<string, unknown> {
  const base = { name: d.model, checksum: d.bundle.checksum }
  if (!d.monitor) {
    return {
      ...base,
      available: false,
      state: 'unavailable',
      reason: d.unavailable,
      window: null,
      thresholds: null,
      webhook: null,
      columns: [],
      recent_events: [],
    }
  }
  const s: DriftStatus = d.monitor.status()
  return {
    ...base,
    available: true,
    state: s.state,
    reason: null,
    window: { rows: s.rows, size: s.windowRows, seen: s.seen, last_ts: s.lastTs },
    thresholds: { psi_warn: s.thresholds.psiWarn, psi_alert: s.thresholds.psiAlert },
    webhook: d.webhook ? { url: d.webhook, failures: d.monitor.webhookFailures } : null,
    columns: s.columns,
    recent_events: d.recent(),
  }
}

const STATES = ['unavailable', 'warming_up', ...LEVELS] as const

/**
 * Set the drift gauges from the monitors as they stand (at each scrape of /metrics): every column's PSI once the
 * window is full, the state of each model (one series per state, 1 for the current one) and the rows in its window.
 * Gauges of a model or column no longer served are dropped.
 */
export function updateDriftGauges(metrics: ServeMetrics, drifts: readonly ServedDrift[]): void {
  metrics.driftPsi.reset()
  metrics.driftState.reset()
  metrics.driftRows.reset()
  for (const d of drifts) {
    const levels: DriftLevels | null = d.monitor ? d.monitor.levels() : null
    const state = levels ? levels.state : 'unavailable'
    for (const s of STATES) metrics.driftState.set({ model: d.model, state: s }, s === state ? 1 : 0)
    if (!levels) continue
    metrics.driftRows.set({ model: d.model }, levels.rows)
    if (levels.state === 'warming_up') continue
    for (const c of levels.columns) metrics.driftPsi.set({ model: d.model, column: c.name }, c.psi)
  }
}

/** Whether an event raises a column's level (ok to warn, warn to alert, ok to alert): what counts as an alert. */
export const raisesLevel = (e: DriftEvent): boolean => LEVELS.indexOf(e.level) > LEVELS.indexOf(e.previous)

/** A one-line summary of a monitor's last status, for the log when it is retired. */
export function lastStatus(d: ServedDrift): Record<string, unknown> {
  if (!d.monitor) return { model: d.model, bundle: d.bundle.checksum, state: 'unavailable' }
  const s = d.monitor.levels()
  const watched = s.columns.filter((c) => !c.excluded)
  const worst = watched.reduce<(typeof watched)[number] | null>((w, c) => (w === null || c.psi > w.psi ? c : w), null)
  return {
    model: d.model,
    bundle: d.bundle.checksum,
    state: s.state,
    rows: s.rows,
    seen: s.seen,
    last_ts: s.lastTs,
    warn: watched.filter((c) => c.level === 'warn').length,
    alert: watched.filter((c) => c.level === 'alert').length,
    ...(worst ? { worst: { column: worst.name, psi: worst.psi } } : {}),
  }
}
