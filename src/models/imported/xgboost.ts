import type { Model, ModelSpec, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { loadBooster, type Booster } from '../../engines/xgboost/booster.js'
import { withDMatrix } from '../../engines/xgboost/dmatrix.js'
import { xgboostAvailability } from '../../engines/xgboost/library.js'
import {
  featureMatrixOf,
  importedParams,
  loadImported,
  outputsFor,
  readModelFile,
  saveImported,
  taskLabel,
  type ImportedParams,
} from './common.js'
import { requireModelFormat } from './format.js'

/** An XGBoost model (JSON or UBJ) trained elsewhere, served through libxgboost. */
export const xgboostModelSpec: ModelSpec = {
  name: 'xgboost_model',
  family: 'imported',
  inputView: 'feature_matrix',
  outputs: ['p_up', 'p', 'E_r'],
  tasks: ['binary', 'multiclass', 'regression'],
  causal: true,
  zeroShot: true,
}

interface Learner {
  readonly objective: string
  readonly numClass: number
}

function learnerOf(booster: Booster, source: string): Learner {
  const cfg = booster.config() as {
    learner?: { objective?: { name?: string }; learner_model_param?: { num_class?: string } }
  }
  const objective = cfg.learner?.objective?.name
  if (typeof objective !== 'string') throw new Error(`${source}: field "learner.objective.name" is missing`)
  return { objective, numClass: Number(cfg.learner?.learner_model_param?.num_class ?? 0) }
}

/** How an objective's raw prediction becomes the contract's output for a task, or undefined if they do not fit. */
function outputMode(l: Learner, task: Task): 'value' | 'sigmoid-margin' | 'softmax-margin' | undefined {
  if (task.kind === 'binary') {
    if (l.objective === 'binary:logistic') return 'value'
    if (l.objective === 'binary:logitraw') return 'sigmoid-margin'
    return undefined
  }
  if (task.kind === 'multiclass') {
    if (l.numClass !== task.classes) return undefined
    if (l.objective === 'multi:softprob') return 'value'
    if (l.objective === 'multi:softmax') return 'softmax-margin' // its "value" is the class index
    return undefined
  }
  if (task.kind === 'regression' && /^(reg:|count:poisson|survival:)/.test(l.objective)) return 'value'
  return undefined
}

function xgboostModel(bytes: Uint8Array, source: string, task: Task): Model {
  // JSON is parsed here first, so a truncated one is named instead of reaching XGBoost's parser; other binary data
  // may be XGBoost's legacy format, which only XGBoost can read.
  requireModelFormat(
    bytes,
    source,
    xgboostModelSpec.name,
    ['xgboost-json', 'ubjson', 'binary'],
    'an XGBoost JSON or UBJ model',
  )
  const booster = loadBooster(bytes, source)
  const learner = learnerOf(booster, source)
  const mode = outputMode(learner, task)
  if (!mode) {
    booster.free()
    throw new Error(
      `${source}: field "learner.objective.name" is "${learner.objective}"` +
        `${learner.numClass ? ` with num_class ${learner.numClass}` : ''}, which does not fit task ${taskLabel(task)}`,
    )
  }
  const width = booster.numFeatures()
  return {
    spec: xgboostModelSpec,
    task,
    // Pre-trained: there is nothing to fit (zeroShot), so fitting leaves the model as imported.
    async fit() {},
    predict(view) {
      const x = featureMatrixOf(view, 'xgboost_model', width)
      const pred = withDMatrix({ data: x.data, rows: x.n, cols: x.f }, (dm) =>
        booster.predict(dm, { kind: mode === 'value' ? 'value' : 'margin' }),
      )
      const v = Float64Array.from(pred.values)
      if (mode === 'sigmoid-margin') for (let i = 0; i < v.length; i++) v[i] = 1 / (1 + Math.exp(-v[i]))
      if (mode === 'softmax-margin') softmaxRows(v, learner.numClass)
      return outputsFor(task, x.n, v)
    },
    save: (dir) => saveImported(dir, xgboostModelSpec.name, task, 'model.ubj', booster.save('ubj'), source),
  }
}

function softmaxRows(v: Float64Array, k: number): void {
  for (let r = 0; r < v.length; r += k) {
    let max = -Infinity
    for (let c = 0; c < k; c++) max = Math.max(max, v[r + c])
    let sum = 0
    for (let c = 0; c < k; c++) sum += v[r + c] = Math.exp(v[r + c] - max)
    for (let c = 0; c < k; c++) v[r + c] /= sum
  }
}

export const xgboostModelEntry: ModelEntry<ImportedParams> = {
  spec: xgboostModelSpec,
  params: importedParams,
  available: xgboostAvailability,
  create: (p, task) => xgboostModel(readModelFile(p.path), p.path, task),
  load: async (dir) => {
    const { meta, path, bytes } = await loadImported(dir, xgboostModelSpec.name)
    return xgboostModel(bytes, path, meta.task)
  },
}
