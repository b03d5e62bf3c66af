import { z } from 'zod'
import type { DataView } from '../../features/views/types.js'
import type { Dataset, FitContext, Model, ModelSpec, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import { classificationOutputs, linearProbabilities, type LinearScorer } from './linear/classifier.js'
import { balancedClassWeights, classCount, classLabels, sampleWeights, trainingMatrix } from './linear/data.js'
import { minimizeLbfgs } from './linear/lbfgs.js'
import { effectiveWeights, logisticObjective, totalWeight, type LogisticProblem } from './linear/logloss.js'
import { fitPreprocessor, imputedData, imputeOnly } from './linear/preprocess.js'
import { minimizeProximal } from './linear/proximal.js'
import { loadLinear, saveLinear } from './linear/scorer-file.js'

/**
 * Logistic regression: binary (one sigmoid row, as scikit-learn) or multinomial softmax for K > 2 classes.
 * Objective as scikit-learn's: sum_i s_i logloss_i + (1/C) penalty(W), intercepts unpenalized, where
 * penalty = ||W||^2 / 2 (l2, solved by L-BFGS) or l1_ratio ||W||_1 + (1 - l1_ratio) ||W||^2 / 2 (elasticnet,
 * solved by accelerated proximal gradient). NaN inputs are imputed with train medians; with `standardize`
 * (default) the penalty applies to z-scored features, otherwise to raw ones (scikit-learn's behaviour).
 */
export const logisticParams = z.strictObject({
  C: z.number().positive().default(1).describe('Inverse regularisation strength (smaller: stronger penalty)'),
  penalty: z.enum(['l2', 'elasticnet']).default('l2').describe('Penalty: l2, or elasticnet (mixed by l1_ratio)'),
  l1_ratio: z.number().min(0).max(1).default(0.5).describe('L1 share of an elasticnet penalty (0: ridge, 1: lasso)'),
  class_weight: z
    .enum(['none', 'balanced'])
    .default('none')
    .describe('none, or balanced: weight classes inversely to their frequency'),
  fit_intercept: z.boolean().default(true).describe('Fit an intercept (unpenalised)'),
  standardize: z.boolean().default(true).describe('Z-score the features with training statistics before fitting'),
  max_iter: z.number().int().positive().default(1000).describe('Maximum solver iterations'),
  /** Largest absolute gradient component (objective divided by total sample weight) at convergence. */
  tol: z
    .number()
    .positive()
    .default(1e-6)
    .describe('Convergence: largest absolute gradient component (objective / total weight)'),
})
export type LogisticParams = z.infer<typeof logisticParams>

export const logisticSpec: ModelSpec = Object.freeze<ModelSpec>({
  name: 'logistic',
  family: 'linear',
  inputView: 'feature_matrix',
  outputs: ['p', 'p_up'],
  tasks: ['binary', 'multiclass'],
  causal: true,
  zeroShot: false,
})

const FORMAT = 'mlfactory.logistic'

export interface FitReport {
  readonly iterations: number
  /** Objective (and gradient) evaluations, where the solver counts them. */
  readonly evaluations?: number
  readonly converged: boolean
  /** Final objective divided by the total sample weight. */
  readonly objective: number
}

export interface LinearClassifier extends Model {
  /** The fitted scorer (for fast predictors and inspection); throws before fit. */
  scorer(): LinearScorer
  readonly report: FitReport | undefined
}

export function createLogistic(params: LogisticParams, task: Task, fitted?: LinearScorer): LinearClassifier {
  const classes = classCount(task)
  let state = fitted
  let report: FitReport | undefined
  const need = (): LinearScorer => {
    if (!state) throw new Error('logistic: model is not fitted')
    return state
  }
  return {
    spec: logisticSpec,
    task,
    get report() {
      return report
    },
    scorer: need,
    async fit(train: Dataset, _val: Dataset | undefined, ctx: FitContext): Promise<void> {
      ctx.signal?.throwIfAborted()
      const m = trainingMatrix(train, 'logistic')
      const labels = classLabels(train.y, classes, 'logistic')
      let weights = sampleWeights(train, 'logistic')
      if (params.class_weight === 'balanced') weights = balancedClassWeights(labels, weights, classes)
      const fitted = fitPreprocessor(m, params.standardize, 'logistic')
      const { preprocess } = fitted
      const elastic = params.penalty === 'elasticnet'
      const l1 = elastic ? params.l1_ratio / params.C : 0
      const problem: LogisticProblem = {
        x: imputedData(fitted, m),
        n: m.n,
        f: m.f,
        labels,
        weights,
        l2: elastic ? (1 - params.l1_ratio) / params.C : 1 / params.C,
        fitIntercept: params.fit_intercept,
        ...(params.standardize ? { center: preprocess.center, scale: preprocess.scale } : {}),
      }
      const rows = classes === 2 ? 1 : classes
      const fg = logisticObjective(problem, rows, ctx.threads)
      const size = rows * m.f + (params.fit_intercept ? rows : 0)
      const theta0 = new Float64Array(size)
      let theta: Float64Array
      try {
        if (l1 > 0) {
          // The L1 weight per coordinate, scaled like the smooth part (divided by the total sample weight).
          const l1w = new Float64Array(size).fill(0)
          l1w.fill(l1 / totalWeight(weights), 0, rows * m.f)
          const r = minimizeProximal(fg, l1w, theta0, { tol: params.tol, maxIter: params.max_iter })
          theta = r.x
          report = { iterations: r.iterations, converged: r.converged, objective: r.f }
        } else {
          const r = minimizeLbfgs(fg, theta0, { gtol: params.tol, maxIter: params.max_iter })
          theta = r.x
          report = { iterations: r.iterations, evaluations: r.evaluations, converged: r.converged, objective: r.f }
        }
      } finally {
        fg.close()
      }
      ctx.progress?.update(report.iterations, params.max_iter, { objective: report.objective })
      // Standardization is folded into the saved weights: prediction only imputes.
      const { coef, intercept } = effectiveWeights(
        theta,
        rows,
        m.f,
        params.fit_intercept,
        problem.center,
        problem.scale,
      )
      state = { preprocess: imputeOnly(preprocess), coef, intercept, link: classes === 2 ? 'sigmoid' : 'softmax' }
    },
    predict(x: DataView): Outputs {
      const { n, classes: k, p } = linearProbabilities(need(), x, 'logistic')
      return classificationOutputs(n, k, p, task)
    },
    save(dir: string) {
      return saveLinear(dir, FORMAT, { params, task, scorer: need() })
    },
  }
}

export async function loadLogistic(dir: string): Promise<LinearClassifier> {
  const saved = await loadLinear(dir, FORMAT)
  if (saved.scorer.link === 'identity') throw new Error(`${dir}: logistic model has an identity link`)
  const params = logisticParams.parse(saved.params)
  return createLogistic(params, saved.task, saved.scorer)
}

export const logisticEntry: ModelEntry<LogisticParams> = {
  spec: logisticSpec,
  params: logisticParams,
  available: () => ({ ok: true }),
  create: (params, task) => createLogistic(params, task),
  load: loadLogistic,
}
