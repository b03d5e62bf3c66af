/** Evaluation: every model's metrics over the run's validation and test rows (all windows, concatenated). */
import { accuracy, auc, calibrationStats, logLoss, type CalibrationStats } from '../../inference/calibration/metrics.js'
import type { ModelResult } from '../../tracking/types.js'
import { K } from '../predict.js'
import type { WindowResult } from './chain.js'

/**
 * Directional AUC: among rows labeled up or down, how well p_up - p_down ranks up above down. Flat rows are left
 * out because the share of flat labels depends on volatility, so a model that only tracks volatility (or a random
 * function of volatility features) would move an up-vs-rest AUC without any directional skill.
 */
export function directionalAuc(p: Float64Array, y: Float64Array): number {
  const rows = Array.from(y.keys()).filter((i) => y[i] !== 1)
  const score = Float64Array.from(rows, (i) => p[i * K + 2] - p[i * K])
  return auc(
    score,
    Uint8Array.from(rows, (i) => (y[i] === 2 ? 1 : 0)),
  )
}

export function splitMetrics(p: Float64Array, y: Float64Array): Record<string, number> {
  const up = Float64Array.from({ length: y.length }, (_, i) => p[i * K + 2])
  const isUp = Uint8Array.from(y, (c) => (c === 2 ? 1 : 0))
  return {
    accuracy: accuracy(p, y, K),
    log_loss: logLoss(p, y, K),
    auc_up: auc(up, isUp),
    auc_dir: directionalAuc(p, y),
  }
}

export function concat<T extends Float64Array | Int32Array | Int8Array>(parts: readonly T[]): T {
  const n = parts.reduce((s, p) => s + p.length, 0)
  const out = new (parts[0].constructor as new (n: number) => T)(n)
  let at = 0
  for (const p of parts) {
    out.set(p as never, at)
    at += p.length
  }
  return out
}

/** The run's test stream: every window's test rows, final probabilities, signals and true targets, in time order. */
export interface TestStream {
  readonly rows: Int32Array
  readonly p: Float64Array
  readonly raw: Float64Array
  readonly signals: Int8Array
  readonly y: Float64Array
}

export function testStream(results: readonly WindowResult[]): TestStream {
  return {
    rows: concat(results.map((r) => r.window.test)),
    p: concat(results.map((r) => r.test)),
    raw: concat(results.map((r) => r.raw.test)),
    signals: concat(results.map((r) => r.signals)),
    y: concat(results.map((r) => r.yTrue.test)),
  }
}

/** Each model's val and test metrics over all windows (its predictions concatenated in time order). */
export function modelResults(results: readonly WindowResult[]): ModelResult[] {
  const yVal = concat(results.map((r) => r.yTrue.val))
  const yTest = concat(results.map((r) => r.yTrue.test))
  return results[0].scored.map((first, j) => {
    const pick = (split: 'val' | 'test') => concat(results.map((r) => r.scored[j][split]))
    return {
      name: first.name,
      kind: first.kind,
      metrics: { val: splitMetrics(pick('val'), yVal), test: splitMetrics(pick('test'), yTest) },
    }
  })
}

export interface CalibrationReport {
  method: string
  params: Record<string, number>
  before: CalibrationStats
  after: CalibrationStats
}

/** The post-processors' effect on the test stream; params are the last window's (the bundle's). */
export function calibrationReport(results: readonly WindowResult[], stream: TestStream): CalibrationReport | null {
  const last = results[results.length - 1]
  if (last.postProcessors.length === 0) return null
  const params: Record<string, number> = {}
  for (const pp of last.postProcessors)
    for (const [k, v] of Object.entries(pp.state)) if (typeof v === 'number' && k !== 'classes') params[k] = v
  return {
    method: last.postProcessors.map((p) => p.name).join('+'),
    params,
    before: calibrationStats(stream.raw, stream.y, K),
    after: calibrationStats(stream.p, stream.y, K),
  }
}
