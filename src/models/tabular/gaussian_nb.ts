import { z } from 'zod'
import type { DataView } from '../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { fastFromGaussianNb } from '../fast/gaussian_nb.js'
import { predictorOf, predictRows } from '../fast/row.js'
import { classificationOutputs } from './linear/classifier.js'
import { classCount, classLabels, featureMatrix, sampleWeights, trainingMatrix } from './linear/data.js'
import { preprocessSchema, readJson, taskSchema, writeJson } from '../persist.js'
import {
  assertFiniteOrNaN,
  fitPreprocessor,
  imputedData,
  preprocessorFromJson,
  preprocessorToJson,
  type Preprocessor,
} from './linear/preprocess.js'

/**
 * Gaussian naive Bayes as scikit-learn's GaussianNB: per-class (sample-weighted) feature means and variances,
 * variances increased by var_smoothing times the largest feature variance of the training data, priors from the
 * (weighted) class frequencies. NaN inputs are imputed with train medians.
 */
export const gaussianNbParams = z.strictObject({
  var_smoothing: z
    .number()
    .nonnegative()
    .default(1e-9)
    .describe('Share of the largest feature variance added to every variance, for stability'),
})
export type GaussianNbParams = z.infer<typeof gaussianNbParams>

export const gaussianNbSpec: ModelSpec = Object.freeze<ModelSpec>({
  name: 'gaussian_nb',
  family: 'naive_bayes',
  inputView: 'feature_matrix',
  outputs: ['p', 'p_up'],
  tasks: ['binary', 'multiclass'],
  causal: true,
  zeroShot: false,
})

/**
 * A fitted Gaussian NB: row-major (K, f) means and variances, log priors. A class absent from training gets log
 * prior ABSENT_LOG_PRIOR (finite so it survives JSON) and so probability exactly 0.
 */
export interface GaussianNbState {
  readonly preprocess: Preprocessor
  readonly theta: Float64Array
  readonly variance: Float64Array
  readonly logPrior: Float64Array
}

const ABSENT_LOG_PRIOR = -1e300
const FILE = 'model.json'
const FORMAT = 'mlfactory.gaussian_nb'

export interface GaussianNbModel extends Model {
  state(): GaussianNbState
}

export function fitGaussianNb(
  x: Float64Array,
  n: number,
  f: number,
  labels: Int32Array,
  weights: Float64Array,
  classes: number,
  varSmoothing: number,
): { theta: Float64Array; variance: Float64Array; logPrior: Float64Array } {
  const mass = new Float64Array(classes)
  const theta = new Float64Array(classes * f)
  const variance = new Float64Array(classes * f)
  for (let i = 0; i < n; i++) {
    const s = weights[i]
    const o = labels[i] * f
    mass[labels[i]] += s
    for (let j = 0; j < f; j++) theta[o + j] += s * x[i * f + j]
  }
  for (let k = 0; k < classes; k++)
    for (let j = 0; j < f; j++) theta[k * f + j] = mass[k] > 0 ? theta[k * f + j] / mass[k] : 0
  // Two-pass variances (centered), for accuracy on features with large means such as prices.
  for (let i = 0; i < n; i++) {
    const s = weights[i]
    const o = labels[i] * f
    for (let j = 0; j < f; j++) {
      const d = x[i * f + j] - theta[o + j]
      variance[o + j] += s * d * d
    }
  }
  // scikit-learn: epsilon = var_smoothing * max_j var(X[:, j]) over all (unweighted) training rows.
  const mean = new Float64Array(f)
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += x[i * f + j]
  for (let j = 0; j < f; j++) mean[j] /= n
  const total = new Float64Array(f)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) {
      const d = x[i * f + j] - mean[j]
      total[j] += d * d
    }
  }
  let maxVar = 0
  for (let j = 0; j < f; j++) maxVar = Math.max(maxVar, total[j] / n)
  const epsilon = varSmoothing * maxVar
  let totalMass = 0
  for (let k = 0; k < classes; k++) totalMass += mass[k]
  const logPrior = new Float64Array(classes)
  for (let k = 0; k < classes; k++) {
    logPrior[k] = mass[k] > 0 ? Math.log(mass[k] / totalMass) : ABSENT_LOG_PRIOR
    for (let j = 0; j < f; j++) {
      const v = mass[k] > 0 ? variance[k * f + j] / mass[k] + epsilon : 1
      // All-constant data with var_smoothing 0 would divide by zero: such a class/feature carries no spread.
      variance[k * f + j] = v > 0 ? v : Number.MIN_VALUE
    }
  }
  return { theta, variance, logPrior }
}

/**
 * Class probabilities (n, K): softmax over k of log prior_k - 0.5 sum_j [ln(2 pi var_kj) + (x_j - theta_kj)^2 / var_kj],
 * each row through the state's single-row fast predictor (models/fast), so that a batch and a live row one at a time
 * give the same numbers, bit for bit.
 */
export function gaussianNbProbabilities(s: GaussianNbState, view: DataView, model: string): Float64Array {
  const m = featureMatrix(view, model)
  const f = s.preprocess.medians.length
  if (m.f !== f) throw new Error(`${model}: input has ${m.f} features, the model was fitted on ${f}`)
  assertFiniteOrNaN(m, model)
  const fast = predictorOf(s, fastFromGaussianNb)
  return predictRows(fast, m.data, m.n)
}

export function createGaussianNb(params: GaussianNbParams, task: Task, fitted?: GaussianNbState): GaussianNbModel {
  const classes = classCount(task)
  let state = fitted
  const need = (): GaussianNbState => {
    if (!state) throw new Error('gaussian_nb: model is not fitted')
    return state
  }
  return {
    spec: gaussianNbSpec,
    task,
    state: need,
    async fit(train: Dataset, _val: Dataset | undefined, ctx: FitContext): Promise<void> {
      ctx.signal?.throwIfAborted()
      const m = trainingMatrix(train, 'gaussian_nb')
      const labels = classLabels(train.y, classes, 'gaussian_nb')
      const weights = sampleWeights(train, 'gaussian_nb')
      const fitted = fitPreprocessor(m, false, 'gaussian_nb')
      const { preprocess } = fitted
      const x = imputedData(fitted, m)
      state = { preprocess, ...fitGaussianNb(x, m.n, m.f, labels, weights, classes, params.var_smoothing) }
    },
    predict(x: DataView): Outputs {
      const p = gaussianNbProbabilities(need(), x, 'gaussian_nb')
      return classificationOutputs(x.n, classes, p, task)
    },
    async save(dir: string): Promise<ArtifactRefs> {
      const s = need()
      await writeJson(dir, FILE, {
        format: FORMAT,
        version: 1,
        params,
        task,
        preprocess: preprocessorToJson(s.preprocess),
        theta: [...s.theta],
        variance: [...s.variance],
        log_prior: [...s.logPrior],
      })
      return { files: [FILE] }
    },
  }
}

const fileSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  params: gaussianNbParams,
  task: taskSchema,
  preprocess: preprocessSchema,
  theta: z.array(z.number()),
  variance: z.array(z.number().positive()),
  log_prior: z.array(z.number()),
})

export async function loadGaussianNb(dir: string): Promise<GaussianNbModel> {
  const j = await readJson(dir, FILE, fileSchema)
  const where = `${dir}/${FILE}`
  const preprocess = preprocessorFromJson(j.preprocess, where)
  const K = classCount(j.task)
  const f = preprocess.medians.length
  if (j.log_prior.length !== K) throw new Error(`${where}: log_prior has ${j.log_prior.length} classes, task has ${K}`)
  if (j.theta.length !== K * f) throw new Error(`${where}: theta has ${j.theta.length} values, expected ${K}x${f}`)
  if (j.variance.length !== K * f)
    throw new Error(`${where}: variance has ${j.variance.length} values, expected ${K}x${f}`)
  return createGaussianNb(j.params, j.task, {
    preprocess,
    theta: Float64Array.from(j.theta),
    variance: Float64Array.from(j.variance),
    logPrior: Float64Array.from(j.log_prior),
  })
}

export const gaussianNbEntry: ModelEntry<GaussianNbParams> = {
  spec: gaussianNbSpec,
  params: gaussianNbParams,
  available: () => ({ ok: true }),
  create: (params, task) => createGaussianNb(params, task),
  load: loadGaussianNb,
}
