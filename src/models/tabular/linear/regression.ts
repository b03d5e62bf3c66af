import type { DataView } from '../../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, Outputs, Task } from '../../contract.js'
import { linearScores, type LinearScorer } from './classifier.js'
import { regressionTargets, sampleWeights, trainingMatrix } from './data.js'
import { fitPreprocessor, imputedData, imputeOnly, type Preprocessor } from './preprocess.js'
import { loadLinear, saveLinear } from './scorer-file.js'

/**
 * Weighted, centered second moments for penalized least squares on (optionally standardized) features:
 * gram = X~' S X~ / sum(s), xty = X~' S (y - ybar) / sum(s), where X~ = (x - xbar) / scale. Centering makes the
 * intercept unpenalized (it is ybar - xbar' w afterwards), as in scikit-learn's Ridge and ElasticNet.
 */
export interface Moments {
  readonly f: number
  readonly xMean: Float64Array
  readonly yMean: number
  readonly scale: Float64Array
  readonly gram: Float64Array
  readonly xty: Float64Array
  /** Weighted variance of y (for convergence and duality checks). */
  readonly yVar: number
}

export function centeredMoments(
  x: Float64Array,
  n: number,
  f: number,
  y: Float64Array,
  s: Float64Array,
  scale: Float64Array,
  fitIntercept: boolean,
): Moments {
  let S = 0
  for (let i = 0; i < n; i++) S += s[i]
  if (!(S > 0)) throw new Error('sample weights sum to zero')
  const xMean = new Float64Array(f)
  let yMean = 0
  if (fitIntercept) {
    for (let i = 0; i < n; i++) {
      const w = s[i]
      yMean += w * y[i]
      for (let j = 0; j < f; j++) xMean[j] += w * x[i * f + j]
    }
    for (let j = 0; j < f; j++) xMean[j] /= S
    yMean /= S
  }
  const gram = new Float64Array(f * f)
  const xty = new Float64Array(f)
  const row = new Float64Array(f)
  let yVar = 0
  for (let i = 0; i < n; i++) {
    const w = s[i]
    if (w === 0) continue
    for (let j = 0; j < f; j++) row[j] = (x[i * f + j] - xMean[j]) / scale[j]
    const r = y[i] - yMean
    yVar += w * r * r
    for (let a = 0; a < f; a++) {
      const wa = w * row[a]
      xty[a] += wa * r
      // Upper triangle only; mirrored below.
      for (let b = a; b < f; b++) gram[a * f + b] += wa * row[b]
    }
  }
  for (let a = 0; a < f; a++) {
    xty[a] /= S
    for (let b = a; b < f; b++) {
      const v = gram[a * f + b] / S
      gram[a * f + b] = v
      gram[b * f + a] = v
    }
  }
  return { f, xMean, yMean, scale, gram, xty, yVar: yVar / S }
}

/** Solve the symmetric positive definite system A z = b by Cholesky (A is left untouched). */
export function solveSpd(A: Float64Array, b: Float64Array, f: number): Float64Array {
  const L = new Float64Array(f * f)
  for (let j = 0; j < f; j++) {
    let d = A[j * f + j]
    for (let k = 0; k < j; k++) d -= L[j * f + k] * L[j * f + k]
    if (!(d > 0)) throw new Error(`matrix is not positive definite at column ${j} (collinear features and no penalty?)`)
    const ljj = Math.sqrt(d)
    L[j * f + j] = ljj
    for (let i = j + 1; i < f; i++) {
      let v = A[i * f + j]
      for (let k = 0; k < j; k++) v -= L[i * f + k] * L[j * f + k]
      L[i * f + j] = v / ljj
    }
  }
  const z = Float64Array.from(b)
  for (let i = 0; i < f; i++) {
    let v = z[i]
    for (let k = 0; k < i; k++) v -= L[i * f + k] * z[k]
    z[i] = v / L[i * f + i]
  }
  for (let i = f - 1; i >= 0; i--) {
    let v = z[i]
    for (let k = i + 1; k < f; k++) v -= L[k * f + i] * z[k]
    z[i] = v / L[i * f + i]
  }
  return z
}

/** Raw-feature coefficients and intercept from standardized-space coefficients. */
export function unscale(m: Moments, w: Float64Array): { coef: Float64Array; intercept: Float64Array } {
  const coef = new Float64Array(m.f)
  let b = m.yMean
  for (let j = 0; j < m.f; j++) {
    coef[j] = w[j] / m.scale[j]
    b -= coef[j] * m.xMean[j]
  }
  return { coef, intercept: Float64Array.of(b) }
}

export interface RegressionFit {
  readonly coef: Float64Array
  readonly intercept: Float64Array
}

/** Shared shell of the linear regressors (ridge, elastic_net): E_r output, imputation, save/load. */
export interface LinearRegressor extends Model {
  scorer(): LinearScorer
}

export function linearRegressor(
  spec: ModelSpec,
  format: string,
  params: Record<string, unknown> & { readonly standardize: boolean },
  task: Task,
  solve: (x: Float64Array, n: number, f: number, y: Float64Array, s: Float64Array, p: Preprocessor) => RegressionFit,
  fitted?: LinearScorer,
): LinearRegressor {
  if (task.kind !== 'regression') throw new Error(`${spec.name}: supports only regression tasks, got "${task.kind}"`)
  let state = fitted
  const need = (): LinearScorer => {
    if (!state) throw new Error(`${spec.name}: model is not fitted`)
    return state
  }
  return {
    spec,
    task,
    scorer: need,
    async fit(train: Dataset, _val: Dataset | undefined, ctx: FitContext): Promise<void> {
      ctx.signal?.throwIfAborted()
      const m = trainingMatrix(train, spec.name)
      const y = regressionTargets(train.y, spec.name)
      const s = sampleWeights(train, spec.name)
      const fitted = fitPreprocessor(m, params.standardize, spec.name)
      const { preprocess } = fitted
      const { coef, intercept } = solve(imputedData(fitted, m), m.n, m.f, y, s, preprocess)
      state = { preprocess: imputeOnly(preprocess), coef, intercept, link: 'identity' }
    },
    predict(x: DataView): Outputs {
      const { n, z } = linearScores(need(), x, spec.name)
      return { n, E_r: z }
    },
    save(dir: string): Promise<ArtifactRefs> {
      return saveLinear(dir, format, { params, task, scorer: need() })
    },
  }
}

export async function loadLinearRegressor(
  dir: string,
  format: string,
): Promise<{ params: Record<string, unknown>; task: Task; scorer: LinearScorer }> {
  const saved = await loadLinear(dir, format)
  if (saved.scorer.link !== 'identity') throw new Error(`${dir}: a regression model must have an identity link`)
  return saved
}
