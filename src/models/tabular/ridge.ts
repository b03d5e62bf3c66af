import { z } from 'zod'
import type { ModelSpec, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import type { LinearScorer } from './linear/classifier.js'
import {
  centeredMoments,
  linearRegressor,
  loadLinearRegressor,
  solveSpd,
  unscale,
  type LinearRegressor,
} from './linear/regression.js'

/**
 * Ridge regression (E_r; also a stacking meta-learner), scikit-learn's objective:
 *   sum_i s_i (y_i - w x_i - b)^2 + alpha ||w||^2, intercept unpenalized,
 * solved exactly (Cholesky of the centered Gram matrix). With `standardize` (default) the penalty applies to
 * z-scored features; false gives scikit-learn's Ridge on raw features. NaN inputs are imputed with train medians.
 */
export const ridgeParams = z.strictObject({
  alpha: z.number().nonnegative().default(1).describe('L2 penalty strength'),
  fit_intercept: z.boolean().default(true).describe('Fit an intercept (unpenalised)'),
  standardize: z.boolean().default(true).describe('Z-score the features with training statistics before fitting'),
})
export type RidgeParams = z.infer<typeof ridgeParams>

export const ridgeSpec: ModelSpec = Object.freeze<ModelSpec>({
  name: 'ridge',
  family: 'linear',
  inputView: 'feature_matrix',
  outputs: ['E_r'],
  tasks: ['regression'],
  causal: true,
  zeroShot: false,
})

const FORMAT = 'mlfactory.ridge'

export function createRidge(params: RidgeParams, task: Task, fitted?: LinearScorer): LinearRegressor {
  return linearRegressor(
    ridgeSpec,
    FORMAT,
    params,
    task,
    (x, n, f, y, s, p) => {
      const m = centeredMoments(x, n, f, y, s, p.scale, params.fit_intercept)
      let S = 0
      for (let i = 0; i < n; i++) S += s[i]
      // The Gram matrix is divided by S, so the sum-form penalty alpha becomes alpha / S.
      const A = Float64Array.from(m.gram)
      for (let j = 0; j < f; j++) A[j * f + j] += params.alpha / S
      return unscale(m, solveSpd(A, m.xty, f))
    },
    fitted,
  )
}

export async function loadRidge(dir: string): Promise<LinearRegressor> {
  const saved = await loadLinearRegressor(dir, FORMAT)
  return createRidge(ridgeParams.parse(saved.params), saved.task, saved.scorer)
}

export const ridgeEntry: ModelEntry<RidgeParams> = {
  spec: ridgeSpec,
  params: ridgeParams,
  available: () => ({ ok: true }),
  create: (params, task) => createRidge(params, task),
  load: loadRidge,
}
