import type { DataView } from '../../../features/views/types.js'
import type { Outputs, Task } from '../../contract.js'
import { featureMatrix } from './data.js'
import { assertFiniteOrNaN, type Preprocessor } from './preprocess.js'
import { fastFromScorer } from '../../fast/linear.js'
import { predictorOf, predictRows } from '../../fast/row.js'

/**
 * A fitted linear scorer over preprocessed inputs: rows of `coef` (rows, f) plus `intercept` (rows).
 * `sigmoid` link: one row, binary P(class 1) = sigmoid(score). `softmax` link: one row per class.
 * `identity`: regression, the score itself.
 */
export interface LinearScorer {
  readonly preprocess: Preprocessor
  readonly coef: Float64Array
  readonly intercept: Float64Array
  readonly link: 'sigmoid' | 'softmax' | 'identity'
}

/** Scores (n, rows) = X' coef^T + intercept over the preprocessed inputs. */
export function linearScores(
  s: LinearScorer,
  view: DataView,
  model: string,
): { n: number; rows: number; z: Float64Array } {
  const m = featureMatrix(view, model)
  const f = s.preprocess.medians.length
  if (m.f !== f) throw new Error(`${model}: input has ${m.f} features, the model was fitted on ${f}`)
  assertFiniteOrNaN(m, model)
  const { medians, center, scale } = s.preprocess
  const x = m.data
  const rows = s.intercept.length
  const z = new Float64Array(m.n * rows)
  for (let i = 0; i < m.n; i++) {
    const xo = i * f
    for (let k = 0; k < rows; k++) {
      let acc = s.intercept[k]
      const wo = k * f
      for (let j = 0; j < f; j++) {
        const v = x[xo + j]
        acc += (s.coef[wo + j] * ((v === v ? v : medians[j]) - center[j])) / scale[j]
      }
      z[i * rows + k] = acc
    }
  }
  return { n: m.n, rows, z }
}

/**
 * Class probabilities (n, K) from a linear scorer, using its link: each row through the scorer's single-row fast
 * predictor (models/fast), so that a batch and a live row one at a time give the same numbers, bit for bit.
 */
export function linearProbabilities(
  s: LinearScorer,
  view: DataView,
  model: string,
): { n: number; classes: number; p: Float64Array } {
  if (s.link === 'identity') throw new Error(`${model}: a regression scorer has no class probabilities`)
  const m = featureMatrix(view, model)
  const f = s.preprocess.medians.length
  if (m.f !== f) throw new Error(`${model}: input has ${m.f} features, the model was fitted on ${f}`)
  assertFiniteOrNaN(m, model)
  const fast = predictorOf(s, fastFromScorer)
  return { n: m.n, classes: fast.classes, p: predictRows(fast, m.data, m.n) }
}

/** Outputs of a classifier: `p` (n, K) always; binary tasks also get `p_up` = P(class 1). */
export function classificationOutputs(n: number, classes: number, p: Float64Array, task: Task): Outputs {
  if (task.kind === 'binary') {
    const up = new Float64Array(n)
    for (let i = 0; i < n; i++) up[i] = p[i * 2 + 1]
    return { n, p, classes, p_up: up }
  }
  return { n, p, classes }
}

/** In-place, numerically stable softmax of each row of a row-major (n, k) matrix. */
export function softmaxRows(z: Float64Array, k: number): void {
  for (let o = 0; o < z.length; o += k) {
    let max = -Infinity
    for (let c = 0; c < k; c++) if (z[o + c] > max) max = z[o + c]
    let sum = 0
    for (let c = 0; c < k; c++) {
      const e = Math.exp(z[o + c] - max)
      z[o + c] = e
      sum += e
    }
    for (let c = 0; c < k; c++) z[o + c] /= sum
  }
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z))
  const e = Math.exp(z)
  return e / (1 + e)
}
