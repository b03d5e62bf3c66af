import { z } from 'zod'
import type { DataView } from '../../features/views/types.js'
import type { Dataset, FitContext, ModelSpec, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { classificationOutputs, linearProbabilities, type LinearScorer } from './linear/classifier.js'
import { balancedClassWeights, classCount, classLabels, sampleWeights, trainingMatrix } from './linear/data.js'
import { crammerSinger, crammerSingerPrimal } from './linear/hinge.js'
import { parallelKernel } from './linear/parallel.js'
import { minimizeLbfgs } from './linear/lbfgs.js'
import { effectiveWeights, linearObjective, totalWeight, type LogisticProblem } from './linear/logloss.js'
import { applyPreprocessor, fitPreprocessor, imputedData, imputeOnly } from './linear/preprocess.js'
import { seededRandom } from '../../core/random.js'
import { loadLinear, saveLinear } from './linear/scorer-file.js'
import type { FitReport, LinearClassifier } from './logistic.js'

/**
 * Linear support vector classifier, as liblinear (scikit-learn's LinearSVC): the bias is an extra constant feature
 * and is penalized like a weight.
 * - `ovr`: one-vs-rest, squared hinge, 0.5 (||w||^2 + b^2) + C sum_i s_i max(0, 1 - t_i (w x_i + b))^2 per class,
 *   solved in the primal by L-BFGS (the loss is differentiable). Binary tasks train one row.
 * - `crammer_singer`: the joint multi-class hinge, solved by dual coordinate descent (seeded sample order).
 * SVMs give scores, not probabilities; since every model outputs probabilities, `p` is the softmax of the decision
 * values (binary: sigmoid of the single score). These are NOT calibrated: put a calibrator behind this model when
 * probabilities matter. NaN inputs are imputed with train medians; `standardize` (default) z-scores features first.
 */
export const linearSvcParams = z.strictObject({
  C: z.number().positive().default(1).describe('Inverse regularisation strength (smaller: stronger penalty)'),
  multi_class: z
    .enum(['ovr', 'crammer_singer'])
    .default('ovr')
    .describe('ovr: one binary SVM per class; crammer_singer: one joint multi-class SVM'),
  class_weight: z
    .enum(['none', 'balanced'])
    .default('none')
    .describe('none, or balanced: weight classes inversely to their frequency'),
  fit_intercept: z.boolean().default(true).describe('Fit an intercept (unpenalised)'),
  standardize: z.boolean().default(true).describe('Z-score the features with training statistics before fitting'),
  max_iter: z.number().int().positive().default(1000).describe('Maximum solver iterations'),
  /** ovr: largest gradient component (objective / total weight); crammer_singer: largest dual KKT violation. */
  tol: z
    .number()
    .positive()
    .default(1e-6)
    .describe('Convergence: ovr largest gradient component, crammer_singer largest dual KKT violation'),
})
export type LinearSvcParams = z.infer<typeof linearSvcParams>

export const linearSvcSpec: ModelSpec = Object.freeze<ModelSpec>({
  name: 'linear_svc',
  family: 'svm',
  inputView: 'feature_matrix',
  outputs: ['p', 'p_up'],
  tasks: ['binary', 'multiclass'],
  causal: true,
  zeroShot: false,
})

const FORMAT = 'mlfactory.linear_svc'

export function createLinearSvc(params: LinearSvcParams, task: Task, fitted?: LinearScorer): LinearClassifier {
  const classes = classCount(task)
  let state = fitted
  let report: FitReport | undefined
  const need = (): LinearScorer => {
    if (!state) throw new Error('linear_svc: model is not fitted')
    return state
  }
  return {
    spec: linearSvcSpec,
    task,
    get report() {
      return report
    },
    scorer: need,
    async fit(train: Dataset, _val: Dataset | undefined, ctx: FitContext): Promise<void> {
      ctx.signal?.throwIfAborted()
      const m = trainingMatrix(train, 'linear_svc')
      const labels = classLabels(train.y, classes, 'linear_svc')
      let weights = sampleWeights(train, 'linear_svc')
      if (params.class_weight === 'balanced') weights = balancedClassWeights(labels, weights, classes)
      const fitted = fitPreprocessor(m, params.standardize, 'linear_svc')
      const { preprocess } = fitted
      const f = m.f
      const center = params.standardize ? preprocess.center : undefined
      const scale = params.standardize ? preprocess.scale : undefined
      if (params.multi_class === 'crammer_singer' && classes > 2) {
        // Dual method: needs the transformed rows, plus a constant 1 column for the (penalized) bias.
        const xs = applyPreprocessor(preprocess, m, 'linear_svc')
        const d = f + (params.fit_intercept ? 1 : 0)
        const xa = new Float64Array(m.n * d)
        for (let i = 0; i < m.n; i++) {
          xa.set(xs.subarray(i * f, i * f + f), i * d)
          if (params.fit_intercept) xa[i * d + f] = 1
        }
        const cost = Float64Array.from(weights, (s) => s * params.C)
        const r = crammerSinger(xa, m.n, d, labels, cost, classes, params.tol, params.max_iter, seededRandom(ctx.seed))
        const theta = new Float64Array(classes * (f + 1))
        for (let k = 0; k < classes; k++) {
          theta.set(r.w.subarray(k * d, k * d + f), k * f)
          if (params.fit_intercept) theta[classes * f + k] = r.w[k * d + f]
        }
        // Reported like the ovr objective: divided by C times the total sample weight.
        const primal = crammerSingerPrimal(xa, m.n, d, labels, cost, classes, r.w)
        report = { iterations: r.epochs, converged: r.converged, objective: primal / (params.C * totalWeight(weights)) }
        const { coef, intercept } = effectiveWeights(theta, classes, f, params.fit_intercept, center, scale)
        state = { preprocess: imputeOnly(preprocess), coef, intercept, link: 'softmax' }
        return
      }
      const rows = classes === 2 ? 1 : classes
      const x = imputedData(fitted, m)
      const coef = new Float64Array(rows * f)
      const intercept = new Float64Array(rows)
      let iterations = 0
      let converged = true
      let objective = 0
      for (let r = 0; r < rows; r++) {
        ctx.signal?.throwIfAborted()
        const problem: LogisticProblem = {
          x,
          n: m.n,
          f,
          labels,
          weights,
          l2: 1 / params.C,
          fitIntercept: params.fit_intercept,
          ...(center ? { center, scale } : {}),
        }
        const positive = rows === 1 ? 1 : r
        const kernel = parallelKernel(problem, { loss: 'squared_hinge', positive }, ctx.threads)
        const fg = linearObjective(problem, 1, kernel, true)
        let res: ReturnType<typeof minimizeLbfgs>
        try {
          res = minimizeLbfgs(fg, new Float64Array(f + (params.fit_intercept ? 1 : 0)), {
            gtol: params.tol,
            maxIter: params.max_iter,
          })
        } finally {
          fg.close()
        }
        iterations = Math.max(iterations, res.iterations)
        converged &&= res.converged
        objective += res.f
        const eff = effectiveWeights(res.x, 1, f, params.fit_intercept, center, scale)
        coef.set(eff.coef, r * f)
        intercept[r] = eff.intercept[0]
        ctx.progress?.update(r + 1, rows)
      }
      report = { iterations, converged, objective }
      state = { preprocess: imputeOnly(preprocess), coef, intercept, link: rows === 1 ? 'sigmoid' : 'softmax' }
    },
    predict(x: DataView): Outputs {
      const { n, classes: k, p } = linearProbabilities(need(), x, 'linear_svc')
      return classificationOutputs(n, k, p, task)
    },
    save(dir: string) {
      return saveLinear(dir, FORMAT, { params, task, scorer: need() })
    },
  }
}

export async function loadLinearSvc(dir: string): Promise<LinearClassifier> {
  const saved = await loadLinear(dir, FORMAT)
  if (saved.scorer.link === 'identity') throw new Error(`${dir}: linear_svc model has an identity link`)
  return createLinearSvc(linearSvcParams.parse(saved.params), saved.task, saved.scorer)
}

export const linearSvcEntry: ModelEntry<LinearSvcParams> = {
  spec: linearSvcSpec,
  params: linearSvcParams,
  available: () => ({ ok: true }),
  create: (params, task) => createLinearSvc(params, task),
  load: loadLinearSvc,
}
