import { goldenSectionBracket } from '../../core/golden-section.js'
import { z } from 'zod'
import { logLoss } from './metrics.js'
import { softmaxRows } from '../../models/tabular/linear/classifier.js'

/**
 * Temperature scaling (Guo et al., 2017): one scalar T > 0 divides the log-probabilities before a softmax,
 * fit by minimizing the validation log-loss. It changes confidence, never the ranking of classes within a row.
 * Fit it on validation predictions only; test predictions are only ever transformed.
 */
export interface TemperatureScaler {
  readonly method: 'temperature'
  readonly temperature: number
  readonly classes: number
}

const CLIP = 1e-12

/** The fit searches log T in [-LOG_T_RANGE, LOG_T_RANGE]; a saved temperature outside it was not fitted here. */
const LOG_T_RANGE = 5

/** A saved scaler, validated on load: a temperature the fit can produce, for the classes it was fitted on. */
export const temperatureScalerSchema = z
  .object({
    method: z.literal('temperature'),
    temperature: z
      .number()
      .refine(
        (t) => Number.isFinite(t) && Math.abs(Math.log(t)) <= LOG_T_RANGE + 1e-9,
        `a temperature in [e^-${LOG_T_RANGE}, e^${LOG_T_RANGE}] (what the fit searches)`,
      ),
    classes: z.number().int().min(2),
  })
  .strict()

/** Apply a temperature to row-major (n, k) probabilities, returning new probabilities. */
export function applyTemperature(p: Float64Array, k: number, temperature: number): Float64Array {
  const n = p.length / k
  const out = new Float64Array(p.length)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) out[i * k + c] = Math.log(Math.max(CLIP, p[i * k + c])) / temperature
  }
  softmaxRows(out, k)
  return out
}

/**
 * Fit T on validation probabilities `p` (n, k) and labels `y` by golden-section search on log T in [-5, 5]
 * (the log-loss is unimodal in 1/T). Deterministic: no random start.
 */
export function fitTemperature(p: Float64Array, y: Float64Array, k: number): TemperatureScaler {
  if (y.length === 0) throw new Error('temperature scaling: the validation split is empty')
  const loss = (logT: number) => logLoss(applyTemperature(p, k, Math.exp(logT)), y, k)
  const { a, b } = goldenSectionBracket(loss, -LOG_T_RANGE, LOG_T_RANGE)
  return { method: 'temperature', temperature: Math.exp((a + b) / 2), classes: k }
}
