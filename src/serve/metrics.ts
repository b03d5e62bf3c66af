/** Prometheus metrics of one server (its own registry: several servers in one process keep theirs apart). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface ServeMetrics {
  readonly registry: Registry
  readonly requests: Counter<'route' | 'method' | 'status'>
  readonly latency: Histogram<'route'>
  readonly answers: Counter<'source'>
  readonly fallbacks: Counter<'link' | 'kind'>
  readonly bars: Counter<'status'>
  readonly reloads: Counter<'outcome'>
  readonly driftPsi: Gauge<'model' | 'column'>
  readonly driftState: Gauge<'model' | 'state'>
  readonly driftRows: Gauge<'model'>
  readonly driftAlerts: Counter<'model' | 'column' | 'level'>
  readonly driftWebhookFailures: Counter<'model'>
}

export function createServeMetrics(): ServeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'mlf_' })
  const registers = [registry]
  return {
    registry,
    requests: new Counter({
      name: 'mlf_http_requests_total',
      help: 'HTTP requests by route, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    latency: new Histogram({
      name: 'mlf_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'],
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    answers: new Counter({
      name: 'mlf_answers_total',
      help: 'Rows answered, by the link of the chain that produced them (a served model, or neutral)',
      labelNames: ['source'],
      registers,
    }),
    fallbacks: new Counter({
      name: 'mlf_fallbacks_total',
      help: 'Links of the chain that handed over to the next, by link and why (error, timeout, non_finite, not_ready)',
      labelNames: ['link', 'kind'],
      registers,
    }),
    bars: new Counter({
      name: 'mlf_live_bars_total',
      help: 'Live bars received, by what became of them (scored, warming_up, unusable, dropped)',
      labelNames: ['status'],
      registers,
    }),
    reloads: new Counter({
      name: 'mlf_reloads_total',
      help: 'Bundle reloads, by outcome (swapped, refused)',
      labelNames: ['outcome'],
      registers,
    }),
    driftPsi: new Gauge({
      name: 'mlf_drift_psi',
      help: "PSI of each feature and output of a served model's live window against its bundle's reference (once the window is full)",
      labelNames: ['model', 'column'],
      registers,
    }),
    driftState: new Gauge({
      name: 'mlf_drift_state',
      help: "A served model's drift state: 1 on the current one of unavailable, warming_up, ok, warn, alert",
      labelNames: ['model', 'state'],
      registers,
    }),
    driftRows: new Gauge({
      name: 'mlf_drift_window_rows',
      help: "Live rows in a served model's drift window",
      labelNames: ['model'],
      registers,
    }),
    driftAlerts: new Counter({
      name: 'mlf_drift_alerts_total',
      help: 'Drift alerts: a column raised to warn or alert, by served model, column and the level reached',
      labelNames: ['model', 'column', 'level'],
      registers,
    }),
    driftWebhookFailures: new Counter({
      name: 'mlf_drift_webhook_failures_total',
      help: 'Drift webhook posts that failed or timed out, by served model',
      labelNames: ['model'],
      registers,
    }),
  }
}
