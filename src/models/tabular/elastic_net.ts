import { z } from 'zod'
import type { ModelSpec, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import type { LinearScorer } from './linear/classifier.js'
import {
  centeredMoments,
  linearRegressor,
  loadLinearRegressor,
  unscale,
  type LinearRegressor,
} from './linear/regression.js'

/**
 * Elastic-net regression (E_r; also a sparse stacking meta-learner), scikit-learn's objective:
 *   1 / (2 sum s) sum_i s_i (y_i - w x_i - b)^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) ||w||^2 / 2,
 * solved by cyclic coordinate descent on the centered Gram matrix (deterministic, no seed). alpha is in units of
 * the target's variance: the default suits targets of order 1 (probabilities, standardized returns). With
 * `standardize` (default) the penalty applies to z-scored features. NaN inputs are imputed with train medians.
 */
export const elasticNetParams = z.strictObject({
  alpha: z.number().nonnegative().default(1e-3).describe('Penalty strength'),
  l1_ratio: z.number().min(0).max(1).default(0.5).describe('L1 share of the penalty (0: ridge, 1: lasso)'),
  fit_intercept: z.boolean().default(true).describe('Fit an intercept (unpenalised)'),
  standardize: z.boolean().default(true).describe('Z-score the features with training statistics before fitting'),
  max_iter: z.number().int().positive().default(10000).describe('Maximum solver iterations'),
  /** Stop when no coefficient moves more than tol x the largest coefficient in a sweep. */
  tol: z
    .number()
    .positive()
    .default(1e-10)
    .describe('Convergence: no coefficient moves more than tol x the largest in a sweep'),
})
export type ElasticNetParams = z.infer<typeof elasticNetParams>

export const elasticNetSpec: ModelSpec = Object.freeze<ModelSpec>({
  name: 'elastic_net',
  family: 'linear',
  inputView: 'feature_matrix',
  outputs: ['E_r'],
  tasks: ['regression'],
  causal: true,
  zeroShot: false,
})

const FORMAT = 'mlfactory.elastic_net'

/** min_w 0.5 w'Gw - c'w + l1 ||w||_1 + 0.5 l2 ||w||^2 by cyclic coordinate descent, keeping q = G w current. */
export function coordinateDescent(
  G: Float64Array,
  c: Float64Array,
  f: number,
  l1: number,
  l2: number,
  tol: number,
  maxIter: number,
): { w: Float64Array; sweeps: number; converged: boolean } {
  const w = new Float64Array(f)
  const q = new Float64Array(f)
  for (let sweep = 1; sweep <= maxIter; sweep++) {
    let maxDelta = 0
    let maxW = 0
    for (let j = 0; j < f; j++) {
      const gjj = G[j * f + j]
      if (gjj === 0) continue // constant column: its coefficient stays 0
      const rho = c[j] - q[j] + gjj * w[j]
      const next = (rho > l1 ? rho - l1 : rho < -l1 ? rho + l1 : 0) / (gjj + l2)
      const delta = next - w[j]
      if (delta !== 0) {
        for (let k = 0; k < f; k++) q[k] += G[k * f + j] * delta
        w[j] = next
      }
      maxDelta = Math.max(maxDelta, Math.abs(delta))
      maxW = Math.max(maxW, Math.abs(next))
    }
    if (maxDelta <= tol * maxW || maxW === 0) return { w, sweeps: sweep, converged: true }
  }
  return { w, sweeps: maxIter, converged: false }
}

export function createElasticNet(params: ElasticNetParams, task: Task, fitted?: LinearScorer): LinearRegressor {
  return linearRegressor(
    elasticNetSpec,
    FORMAT,
    params,
    task,
    (x, n, f, y, s, p) => {
      const m = centeredMoments(x, n, f, y, s, p.scale, params.fit_intercept)
      const { alpha, l1_ratio: r } = params
      const { w } = coordinateDescent(m.gram, m.xty, f, alpha * r, alpha * (1 - r), params.tol, params.max_iter)
      return unscale(m, w)
    },
    fitted,
  )
}

export async function loadElasticNet(dir: string): Promise<LinearRegressor> {
  const saved = await loadLinearRegressor(dir, FORMAT)
  return createElasticNet(elasticNetParams.parse(saved.params), saved.task, saved.scorer)
}

export const elasticNetEntry: ModelEntry<ElasticNetParams> = {
  spec: elasticNetSpec,
  params: elasticNetParams,
  available: () => ({ ok: true }),
  create: (params, task) => createElasticNet(params, task),
  load: loadElasticNet,
}
