/**
 * `mlf drift` without the printing: a bars file scored with a bundle alone (as `mlf predict` scores it), and its
 * features and outputs replayed through the drift monitor against the bundle's reference distributions.
 */
import { monitorConfigSchema, windowRows, type MonitorConfig } from '../monitor/config.js'
import { driftReport, type DriftReport } from '../monitor/batch.js'
import type { DriftReference } from '../monitor/reference.js'
import { windowLengthMs } from '../validation/config.js'
import { parseTimeframe } from '../data/timeframe.js'
import { scoreWithBundle, type LoadedBundle, type Scored } from './bundle.js'
import { outputColumns } from './predict.js'

export interface DriftOptions {
  /** Overrides the bundle's monitor.window. */
  readonly window?: MonitorConfig['window']
  /** A status every `step` rows (a length or a number of bars); default: the window. */
  readonly step?: MonitorConfig['window']
}

/** The bundle's reference, or an error saying that it has none and why. */
export function referenceOf(bundle: LoadedBundle): DriftReference {
  if (bundle.reference) return bundle.reference
  const m = bundle.manifest
  throw new Error(
    `bundle ${bundle.dir} has no reference distributions: it was written in bundle format ${m.bundle_version} ` +
      `(mlfactory ${m.producer.version}), before bundles carried them, so its drift cannot be measured; ` +
      'run mlf run again to pack a bundle with them',
  )
}

/** The bundle's monitor settings with `window` in place of its own, validated as the config validates them. */
export function monitorSettings(bundle: LoadedBundle, window?: MonitorConfig['window']): MonitorConfig {
  if (window === undefined) return bundle.config.monitor
  const parsed = monitorConfigSchema.safeParse({ ...bundle.config.monitor, window })
  if (!parsed.success) throw new Error(`--window ${window}: ${parsed.error.issues[0].message}`)
  return parsed.data
}

export async function driftOfFile(
  bundle: LoadedBundle,
  dataFile: string,
  options: DriftOptions = {},
): Promise<{ report: DriftReport; scored: Scored }> {
  const reference = referenceOf(bundle)
  const config = monitorSettings(bundle, options.window)
  const barMs = parseTimeframe(reference.interval).ms
  // Settings are checked before the (long) scoring.
  windowRows(config.window, barMs, reference.bins)
  const step = windowLengthMs(options.step ?? config.window, barMs) / barMs
  if (!Number.isInteger(step) || step < 1)
    throw new Error(`--step ${options.step}: not a whole number of ${reference.interval} bars`)
  const scored = await scoreWithBundle(bundle, dataFile)
  const { frame, rows } = scored
  const report = driftReport(
    reference,
    config,
    {
      ts: Float64Array.from(rows, (r) => frame.ts[r]),
      features: frame.columns.map((c) => Float64Array.from(rows, (r) => c[r])),
      outputs: Object.fromEntries(outputColumns(scored.p, scored.heads, scored.weights).map((c) => [c.name, c.values])),
    },
    step,
  )
  return { report, scored }
}
