import type { DataView } from '../../features/views/types.js'
import type { Model, ModelSpec, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { classificationOutputs, softmaxRows } from '../tabular/linear/classifier.js'
import {
  featureMatrixOf,
  importedParams,
  loadImported,
  readModelFile,
  saveImported,
  taskLabel,
  type ImportedParams,
} from './common.js'
import { requireModelFormat } from './format.js'

/**
 * scikit-learn models exported to JSON (the generating script for our fixtures is test/fixtures/sklearn/):
 * - `linear_model` (LogisticRegression) / `svm_linear` (LinearSVC): `coefficients` | `weights` (n_classes x
 *   n_features), `intercepts` | `biases` (n_classes); p = softmax(W x + b). A binary model is exported as two rows
 *   (0 and w), since softmax((0, s)) = (1 - sigmoid(s), sigmoid(s)). For SVMs these are softmaxed decision values,
 *   not calibrated probabilities.
 * - `gaussian_nb`: `class_log_prior`, `theta`, `var` (n_classes x n_features); variances are clamped at load and
 *   -0.5 ln(2 pi var), 1 / (2 var) precomputed.
 * Inputs must be complete: these models carry no imputation statistics, so NaN is rejected with its row and column.
 */
export const sklearnModelSpec: ModelSpec = Object.freeze<ModelSpec>({
  name: 'sklearn_model',
  family: 'imported',
  inputView: 'feature_matrix',
  outputs: ['p', 'p_up'],
  tasks: ['binary', 'multiclass'],
  causal: true,
  zeroShot: true,
})

export interface SklearnLinear {
  readonly kind: 'linear'
  readonly modelType: 'linear_model' | 'svm_linear'
  /** Display name, prefixed `LinearModel_` or `SvmLinear_`. */
  readonly name: string
  readonly features: number
  readonly classes: readonly number[]
  /** Row-major (n_classes, n_features). */
  readonly weights: Float64Array
  readonly bias: Float64Array
}

export interface SklearnGaussianNb {
  readonly kind: 'gaussian_nb'
  readonly name: string
  readonly features: number
  readonly classes: readonly number[]
  readonly theta: Float64Array
  /** 1 / (2 var), row-major (n_classes, n_features). */
  readonly invTwoVar: Float64Array
  /** log prior - 0.5 sum_j ln(2 pi var_kj), per class. */
  readonly base: Float64Array
}

export type SklearnModel = SklearnLinear | SklearnGaussianNb

const MODEL_TYPES = ['linear_model', 'svm_linear', 'gaussian_nb'] as const

/** Parse and check an export; every error names the file and the field. */
export function parseSklearnJson(text: string, source: string): SklearnModel {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new Error(`${source}: not valid JSON: ${(e as Error).message}`)
  }
  const bad = (field: string, msg: string): never => {
    throw new Error(`${source}: field "${field}" ${msg}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('(root)', 'must be a JSON object')
  const j = raw as Record<string, unknown>
  const modelType = j.model_type
  if (!MODEL_TYPES.includes(modelType as (typeof MODEL_TYPES)[number])) {
    return bad('model_type', `is ${JSON.stringify(modelType)}; expected one of ${MODEL_TYPES.join(', ')}`)
  }
  const int = (field: string, min: number): number => {
    const v = j[field]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      bad(field, `must be an integer >= ${min}, got ${JSON.stringify(v)}`)
    return v as number
  }
  const features = int('n_features', 1)
  const nClasses = int('n_classes', 2)
  const vector = (field: string, value: unknown, length: number, lengthName: string): Float64Array => {
    if (!Array.isArray(value)) return bad(field, 'must be an array of numbers')
    if (value.length !== length) bad(field, `has ${value.length} values, expected ${lengthName} = ${length}`)
    const out = new Float64Array(length)
    for (let i = 0; i < length; i++) {
      const v: unknown = value[i]
      if (typeof v !== 'number' || !Number.isFinite(v))
        bad(`${field}[${i}]`, `must be a finite number, got ${JSON.stringify(v)}`)
      out[i] = v as number
    }
    return out
  }
  const matrix = (field: string): Float64Array => {
    const value = j[field]
    if (!Array.isArray(value)) return bad(field, `must be an array of n_classes = ${nClasses} rows`)
    if (value.length !== nClasses) bad(field, `has ${value.length} rows, expected n_classes = ${nClasses}`)
    const out = new Float64Array(nClasses * features)
    value.forEach((row: unknown, k: number) =>
      out.set(vector(`${field}[${k}]`, row, features, 'n_features'), k * features),
    )
    return out
  }
  const pick = (a: string, b: string): string => (a in j ? a : b in j ? b : bad(`${a}" or "${b}`, 'is missing'))
  const classes = [...vector('classes', j.classes, nClasses, 'n_classes')]
  const name = typeof j.model_name === 'string' ? j.model_name : bad('model_name', 'must be a string')

  if (modelType === 'gaussian_nb') {
    const theta = matrix('theta')
    const variance = matrix('var')
    const logPrior = vector('class_log_prior', j.class_log_prior, nClasses, 'n_classes')
    let maxVar = 0
    for (let i = 0; i < variance.length; i++) {
      if (variance[i] < 0) bad(`var[${Math.floor(i / features)}][${i % features}]`, `is negative (${variance[i]})`)
      maxVar = Math.max(maxVar, variance[i])
    }
    // Clamp: a zero variance (constant feature within a class) would divide by zero.
    const floor = Math.max(maxVar * 1e-15, 1e-300)
    const invTwoVar = new Float64Array(variance.length)
    const base = new Float64Array(nClasses)
    for (let k = 0; k < nClasses; k++) {
      let b = logPrior[k]
      for (let f = 0; f < features; f++) {
        const v = Math.max(variance[k * features + f], floor)
        b -= 0.5 * Math.log(2 * Math.PI * v)
        invTwoVar[k * features + f] = 1 / (2 * v)
      }
      base[k] = b
    }
    return { kind: 'gaussian_nb', name, features, classes, theta, invTwoVar, base }
  }
  const linearType = modelType as 'linear_model' | 'svm_linear'
  const prefix = linearType === 'linear_model' ? 'LinearModel_' : 'SvmLinear_'
  return {
    kind: 'linear',
    modelType: linearType,
    name: name.startsWith(prefix) ? name : prefix + name,
    features,
    classes,
    weights: matrix(pick('coefficients', 'weights')),
    bias: vector(pick('intercepts', 'biases'), j[pick('intercepts', 'biases')], nClasses, 'n_classes'),
  }
}

/** Row-major (n, n_classes) probabilities for complete rows `x` (n, n_features). */
export function sklearnProbabilities(m: SklearnModel, x: Float64Array, n: number, source: string): Float64Array {
  const f = m.features
  const K = m.classes.length
  for (let i = 0; i < n * f; i++) {
    if (!Number.isFinite(x[i])) {
      throw new Error(
        `${source}: input row ${Math.floor(i / f)} column ${i % f} is ${x[i]}; imported scikit-learn models need complete finite inputs`,
      )
    }
  }
  const z = new Float64Array(n * K)
  for (let i = 0; i < n; i++) {
    const xo = i * f
    for (let k = 0; k < K; k++) {
      const wo = k * f
      let acc: number
      if (m.kind === 'linear') {
        acc = m.bias[k]
        for (let j = 0; j < f; j++) acc += m.weights[wo + j] * x[xo + j]
      } else {
        acc = m.base[k]
        for (let j = 0; j < f; j++) {
          const d = x[xo + j] - m.theta[wo + j]
          acc -= d * d * m.invTwoVar[wo + j]
        }
      }
      z[i * K + k] = acc
    }
  }
  softmaxRows(z, K)
  return z
}

function taskFits(m: SklearnModel, task: Task): boolean {
  const K = m.classes.length
  return (task.kind === 'binary' && K === 2) || (task.kind === 'multiclass' && task.classes === K)
}

export interface SklearnImported extends Model {
  readonly model: SklearnModel
}

export function sklearnImported(bytes: Uint8Array, source: string, task: Task): SklearnImported {
  requireModelFormat(bytes, source, sklearnModelSpec.name, ['sklearn-json', 'json'], 'a scikit-learn JSON export')
  const model = parseSklearnJson(Buffer.from(bytes).toString('utf8'), source)
  if (!taskFits(model, task)) {
    throw new Error(
      `${source}: field "n_classes" is ${model.classes.length}, which does not fit task ${taskLabel(task)}`,
    )
  }
  return {
    spec: sklearnModelSpec,
    task,
    model,
    // Pre-trained elsewhere (zeroShot): fitting leaves the imported model as it is.
    async fit() {},
    predict(view: DataView): Outputs {
      const x = featureMatrixOf(view, `sklearn_model ${model.name}`, model.features)
      const p = sklearnProbabilities(model, x.data, x.n, source)
      return classificationOutputs(x.n, model.classes.length, p, task)
    },
    save: (dir) => saveImported(dir, sklearnModelSpec.name, task, 'sklearn.json', bytes, source),
  }
}

export const sklearnModelEntry: ModelEntry<ImportedParams> = {
  spec: sklearnModelSpec,
  params: importedParams,
  available: () => ({ ok: true }),
  create: (p, task) => sklearnImported(readModelFile(p.path), p.path, task),
  load: async (dir) => {
    const { meta, path, bytes } = await loadImported(dir, sklearnModelSpec.name)
    return sklearnImported(bytes, path, meta.task)
  },
}
