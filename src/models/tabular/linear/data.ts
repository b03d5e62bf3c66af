import type { DataView, FeatureMatrixView } from '../../../features/views/types.js'
import type { Dataset, Task } from '../../contract.js'

/** The feature matrix inside `view`, or a clear error naming the model that needs one. */
export function featureMatrix(view: DataView, model: string): FeatureMatrixView {
  if (view.kind !== 'feature_matrix') {
    throw new Error(`${model}: expects a feature_matrix view, got "${view.kind}"`)
  }
  if (view.data.length !== view.n * view.f) {
    throw new Error(`${model}: feature_matrix data has ${view.data.length} values, expected n*f = ${view.n}*${view.f}`)
  }
  return view
}

/** Number of classes a classification task predicts (binary = 2). */
export function classCount(task: Task): number {
  if (task.kind === 'binary') return 2
  if (task.kind === 'multiclass') {
    if (!Number.isInteger(task.classes) || task.classes < 2) {
      throw new Error(`multiclass task needs an integer classes >= 2, got ${task.classes}`)
    }
    return task.classes
  }
  throw new Error(`task "${task.kind}" is not a classification task`)
}

/** Class labels as integers 0..K-1; any other value is rejected with its row. */
export function classLabels(y: Float64Array, classes: number, model: string): Int32Array {
  const out = new Int32Array(y.length)
  for (let i = 0; i < y.length; i++) {
    const v = y[i]
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new Error(`${model}: label at row ${i} is ${v}; expected an integer class in 0..${classes - 1}`)
    }
    out[i] = v
  }
  return out
}

/** Finite regression targets; a NaN or infinite target is rejected with its row. */
export function regressionTargets(y: Float64Array, model: string): Float64Array {
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new Error(`${model}: target at row ${i} is ${y[i]}; expected a finite number`)
  }
  return y
}

/** Sample weights (all ones when absent); negative or non-finite weights are rejected with their row. */
export function sampleWeights(data: Dataset, model: string): Float64Array {
  const n = data.y.length
  if (!data.weight) return new Float64Array(n).fill(1)
  if (data.weight.length !== n) {
    throw new Error(`${model}: ${data.weight.length} sample weights for ${n} rows`)
  }
  for (let i = 0; i < n; i++) {
    const w = data.weight[i]
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`${model}: sample weight at row ${i} is ${w}`)
  }
  return data.weight
}

/** Check that a dataset's view is a feature matrix whose rows match its labels. */
export function trainingMatrix(data: Dataset, model: string): FeatureMatrixView {
  const m = featureMatrix(data.x, model)
  if (m.n !== data.y.length) throw new Error(`${model}: ${m.n} feature rows but ${data.y.length} labels`)
  if (m.n === 0) throw new Error(`${model}: cannot fit on an empty dataset`)
  return m
}

/** scikit-learn's "balanced" class weights: n / (K * count_k), per sample weight. Absent classes get weight 0. */
export function balancedClassWeights(labels: Int32Array, weights: Float64Array, classes: number): Float64Array {
  const counts = new Float64Array(classes)
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++
  const out = new Float64Array(classes)
  for (let k = 0; k < classes; k++) out[k] = counts[k] > 0 ? labels.length / (classes * counts[k]) : 0
  const w = new Float64Array(labels.length)
  for (let i = 0; i < labels.length; i++) w[i] = weights[i] * out[labels[i]]
  return w
}
