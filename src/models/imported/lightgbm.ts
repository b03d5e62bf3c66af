import type { Model, ModelSpec, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
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
import { parseLightgbmText, predictRaw, transformRaw, type LgbModel } from './lightgbm-text.js'

/** A LightGBM text model trained elsewhere, evaluated by our TypeScript predictor (no LightGBM library needed). */
export const lightgbmModelSpec: ModelSpec = {
  name: 'lightgbm_model',
  family: 'imported',
  inputView: 'feature_matrix',
  outputs: ['p_up', 'p', 'E_r'],
  tasks: ['binary', 'multiclass', 'regression'],
  causal: true,
  zeroShot: true,
}

function taskMatches(m: LgbModel, task: Task): boolean {
  switch (m.transform.kind) {
    case 'sigmoid':
      return task.kind === 'binary' && m.treesPerIteration === 1
    case 'softmax':
      return task.kind === 'multiclass' && task.classes === m.treesPerIteration
    default:
      return task.kind === 'regression' && m.treesPerIteration === 1
  }
}

function lightgbmModel(bytes: Buffer, source: string, task: Task): Model {
  requireModelFormat(bytes, source, lightgbmModelSpec.name, ['lightgbm-text'], 'a LightGBM text model')
  const m = parseLightgbmText(bytes.toString('utf8'), source)
  if (!taskMatches(m, task)) {
    throw new Error(
      `${source}: field "objective" is "${m.objective}" (${m.treesPerIteration} trees per iteration), which does not fit task ${taskLabel(task)}`,
    )
  }
  const width = m.maxFeatureIdx + 1
  return {
    spec: lightgbmModelSpec,
    task,
    // Pre-trained: there is nothing to fit (zeroShot), so fitting leaves the model as imported.
    async fit() {},
    predict(view) {
      const x = featureMatrixOf(view, 'lightgbm_model', width)
      return outputsFor(task, x.n, transformRaw(m, predictRaw(m, x.data, x.n, x.f)))
    },
    save: (dir) => saveImported(dir, lightgbmModelSpec.name, task, 'model.txt', bytes, source),
  }
}

export const lightgbmModelEntry: ModelEntry<ImportedParams> = {
  spec: lightgbmModelSpec,
  params: importedParams,
  available: () => ({ ok: true }),
  create: (p, task) => lightgbmModel(readModelFile(p.path), p.path, task),
  load: async (dir) => {
    const { meta, path, bytes } = await loadImported(dir, lightgbmModelSpec.name)
    return lightgbmModel(bytes, path, meta.task)
  },
}
