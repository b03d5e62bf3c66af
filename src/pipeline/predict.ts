import type { Bars } from '../data/bars.js'
import type { FeatureFrame } from '../features/frame.js'
import type { ViewSet } from '../features/views/types.js'
import type { Model } from '../models/contract.js'
import { applyTemperature, type TemperatureScaler } from '../inference/calibration/temperature.js'
import { matrixFor } from './dataset.js'
import { selectColumns } from '../ensemble/voting.js'

export const K = 3

/** Class probabilities (n, 3) of a model on `rows`, from `p` or, for binary models, from `p_up`. */
export function classProbabilities(
  model: Model,
  frame: FeatureFrame,
  rows: Int32Array,
  features?: readonly string[],
): Float64Array {
  const all = matrixFor(frame, rows)
  const x = features ? selectColumns(all, features) : all
  const view: ViewSet = { kind: 'view_set', n: x.n, views: { feature_matrix: x } }
  const out = model.spec.family === 'ensemble' ? model.predict(view as never) : model.predict(x)
  if (!out.p || out.classes !== K) throw new Error(`model ${model.spec.name} did not give ${K}-class probabilities`)
  return out.p
}

export function calibrate(p: Float64Array, scaler: TemperatureScaler | null): Float64Array {
  return scaler ? applyTemperature(p, K, scaler.temperature) : p
}

/** CSV of predictions: the bar time (decision at its close), the three class probabilities, the signal. */
export function predictionsCsv(bars: Bars, rows: Int32Array, p: Float64Array, signals: Int8Array): string {
  const lines = ['ts_utc,p_down,p_flat,p_up,signal']
  for (let i = 0; i < rows.length; i++) {
    lines.push(`${new Date(bars.ts[rows[i]]).toISOString()},${p[i * K]},${p[i * K + 1]},${p[i * K + 2]},${signals[i]}`)
  }
  return `${lines.join('\n')}\n`
}
