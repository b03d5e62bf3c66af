/**
 * Permutation importance: how much a model's log-loss on labelled rows rises when one feature's values are shuffled
 * among those rows (breaking its link with the label and the other features, keeping its distribution). For models
 * that compute no SHAP values; measured on validation rows in a run, never on test rows.
 */
import type { FeatureMatrixView } from '../features/views/types.js'
import type { Model } from '../models/contract.js'
import { classProbabilitiesOf } from '../ensemble/probabilities.js'
import { logLoss } from '../inference/calibration/metrics.js'
import { shuffled } from '../core/random.js'
import { deriveSeed } from '../core/seeds.js'

export interface PermutationImportance {
  /** Log-loss of the rows as they are. */
  readonly baseline: number
  /** Per feature, the mean log-loss increase over the repeats (negative: shuffling it helped, i.e. noise). */
  readonly increase: Float64Array
  readonly rows: number
  readonly repeats: number
}

/**
 * Permutation importance of every column of `x` for `model` (which takes feature matrices of x's columns), against
 * class labels `y` (0..k-1). Repeat r of feature j shuffles with seed derive(seed, 'permutation', j, r).
 */
export function permutationImportance(
  model: Model,
  x: FeatureMatrixView,
  y: Float64Array,
  k: number,
  options: { readonly seed: number; readonly repeats: number },
): PermutationImportance {
  if (y.length !== x.n) throw new Error(`permutation importance: ${y.length} labels for ${x.n} rows`)
  if (!(Number.isInteger(options.repeats) && options.repeats >= 1))
    throw new Error(`permutation importance: repeats must be a positive integer, got ${options.repeats}`)
  const lossOf = (view: FeatureMatrixView) =>
    logLoss(classProbabilitiesOf(model.predict(view), k, x.n, model.spec.name), y, k)
  const baseline = lossOf(x)
  const increase = new Float64Array(x.f)
  const data = x.data.slice()
  const identity = Int32Array.from({ length: x.n }, (_, i) => i)
  const view: FeatureMatrixView = { ...x, data }
  for (let j = 0; j < x.f; j++) {
    for (let r = 0; r < options.repeats; r++) {
      const order = shuffled(identity, deriveSeed(options.seed, 'permutation', j, r))
      for (let i = 0; i < x.n; i++) data[i * x.f + j] = x.data[order[i] * x.f + j]
      increase[j] += (lossOf(view) - baseline) / options.repeats
    }
    for (let i = 0; i < x.n; i++) data[i * x.f + j] = x.data[i * x.f + j]
  }
  return { baseline, increase, rows: x.n, repeats: options.repeats }
}
