import { z } from 'zod'
import { softmaxRows } from '../../models/tabular/linear/classifier.js'
import { minimiseNewton, type ConvexObjective } from '../calibration/damped-newton.js'
import { applyDirichlet, dirichletCalibratorSchema, fitDirichlet } from '../calibration/dirichlet.js'
import { applyTemperature, fitTemperature, temperatureScalerSchema } from '../calibration/temperature.js'
import { checkBracketRows, clippedLogit, normaliseRows, outcomeIndices } from './groups.js'

/**
 * Multiclass meta-model coupling: a multinomial logistic regression that predicts which of the K outcomes happens from
 * the group's K out-of-fold bracket probabilities (as logits) and optional context features (time of day, volatility,
 * distance of the price to each bracket...), then a calibration map fitted on a later, separate split.
 *
 *   q = softmax(W x + b),   x = (logit p_1 .. logit p_K, standardised context_1 .. context_C)
 *
 * fitted by damped Newton on mean log-loss + lambda / 2 sum (W - W0)^2 + INTERCEPT_RIDGE / 2 sum b^2, where W0 puts
 * weight 1 on each outcome's own logit and 0 elsewhere. W0 is the softmax-of-logits coupling at tau = 1, so the ridge
 * pulls an under-determined fit towards that coupling rather than towards a uniform guess, and fixes the shift that
 * the softmax ignores. The bracket probabilities it is fitted on must be out-of-fold: in-sample ones are overconfident
 * and the model would learn to trust them.
 */

export type MetaCalibration = 'temperature' | 'dirichlet' | 'none'

/** Default ridge: a mean squared deviation from W0 of 1 costs 0.005 nats, about what a few dozen weights overfit on
 * a few thousand groups, so the fit leaves W0 only where the data pays for it. */
export const META_DEFAULT_L2 = 1e-2
/** Only keeps the intercepts unique (the softmax ignores a shared shift); far too small to bias a base rate. */
const INTERCEPT_RIDGE = 1e-6
/** Newton builds a (K (K + C + 1))^2 Hessian: a model for a handful of outcomes and context columns. */
export const META_MAX_PARAMETERS = 600

const finite = (what: string) => z.number().refine(Number.isFinite, `a finite ${what}`)

export const metaModelParamsSchema = z
  .object({
    l2: z.number().positive().max(1e6).default(META_DEFAULT_L2).describe('ridge towards the softmax-of-logits map'),
    calibration: z
      .enum(['temperature', 'dirichlet', 'none'])
      .default('temperature')
      .describe('map fitted on the calibration split after the regression'),
  })
  .strict()

/** A fitted meta-model, plain JSON (a bundle can hold it), validated on load. */
export const metaModelStateSchema = z
  .object({
    method: z.literal('meta'),
    classes: z.number().int().min(2),
    context: z.number().int().min(0),
    contextMean: z.array(finite('context mean')),
    contextScale: z.array(finite('context scale').refine((v) => v > 0, 'a positive context scale')),
    /** W, row-major (K, K + C): row j gives outcome j's score. */
    weights: z.array(finite('weight')),
    intercept: z.array(finite('intercept')),
    calibration: z.union([temperatureScalerSchema, dirichletCalibratorSchema, z.null()]),
  })
  .strict()
  .superRefine((s, ctx) => {
    const f = s.classes + s.context
    const want: [keyof typeof s, number][] = [
      ['contextMean', s.context],
      ['contextScale', s.context],
      ['weights', s.classes * f],
      ['intercept', s.classes],
    ]
    for (const [key, n] of want) {
      const got = (s[key] as number[]).length
      if (got !== n) ctx.addIssue({ code: 'custom', path: [key], message: `${n} values, not ${got}` })
    }
    if (s.calibration && s.calibration.classes !== s.classes)
      ctx.addIssue({ code: 'custom', path: ['calibration'], message: `calibrated on ${s.calibration.classes} classes` })
  })

export type MetaModelState = z.infer<typeof metaModelStateSchema>

/** Group rows for the meta-model: bracket probabilities (n, K), context (n, C) or none, outcome indices. */
export interface MetaRows {
  readonly p: Float64Array
  readonly context?: Float64Array
  readonly y: ArrayLike<number>
}

function checkContext(context: Float64Array | undefined, n: number, c: number, what: string): Float64Array {
  const x = context ?? new Float64Array(0)
  if (x.length !== n * c) throw new Error(`meta: ${what} has ${x.length} context values for ${n} rows of ${c}`)
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]))
      throw new Error(`meta: ${what} group row ${Math.floor(i / c)}, context column ${i % c}: ${x[i]} is not finite`)
  }
  return x
}

/** Features x (n, K + C): clipped logits then standardised context. */
function features(
  p: Float64Array,
  context: Float64Array,
  k: number,
  c: number,
  mean: readonly number[],
  scale: readonly number[],
): Float64Array {
  const n = p.length / k
  const f = k + c
  const x = new Float64Array(n * f)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) x[i * f + j] = clippedLogit(p[i * k + j])
    for (let m = 0; m < c; m++) x[i * f + k + m] = (context[i * c + m] - mean[m]) / scale[m]
  }
  return x
}

/**
 * Penalised mean log-loss over theta = (W | b), row-major (K, F + 1), with gradient and Hessian. The Hessian is
 * sum_i (diag(s_i) - s_i s_i^T) (x) z_i z_i^T with z_i = (x_i, 1); blocks l <= j are summed and then mirrored.
 */
function multinomialObjective(x: Float64Array, y: Float64Array, k: number, f: number, l2: number): ConvexObjective {
  const n = y.length
  const g = f + 1
  const d = k * g
  const s = new Float64Array(k)
  const anchor = (q: number) => (q % g === Math.floor(q / g) ? 1 : 0) // W0: own logit weight 1
  const ridge = (q: number) => (q % g === f ? INTERCEPT_RIDGE : l2)
  /** Scores of row i into s; returns log-sum-exp. */
  const scores = (theta: Float64Array, i: number): number => {
    let max = -Infinity
    for (let j = 0; j < k; j++) {
      let v = theta[j * g + f]
      for (let m = 0; m < f; m++) v += theta[j * g + m] * x[i * f + m]
      s[j] = v
      if (v > max) max = v
    }
    let sum = 0
    for (let j = 0; j < k; j++) sum += Math.exp(s[j] - max)
    return max + Math.log(sum)
  }
  const penalty = (theta: Float64Array): number => {
    let v = 0
    for (let q = 0; q < d; q++) {
      const t = theta[q] - (q % g === f ? 0 : anchor(q))
      v += 0.5 * ridge(q) * t * t
    }
    return v
  }
  return {
    value(theta) {
      let v = 0
      for (let i = 0; i < n; i++) v += scores(theta, i) - s[y[i]]
      return v / n + penalty(theta)
    },
    derivatives(theta) {
      const grad = new Float64Array(d)
      const hess = new Float64Array(d * d)
      const z = new Float64Array(g)
      let v = 0
      for (let i = 0; i < n; i++) {
        const lse = scores(theta, i)
        v += lse - s[y[i]]
        for (let j = 0; j < k; j++) s[j] = Math.exp(s[j] - lse)
        for (let m = 0; m < f; m++) z[m] = x[i * f + m]
        z[f] = 1
        for (let j = 0; j < k; j++) {
          const r = s[j] - (j === y[i] ? 1 : 0)
          for (let a = 0; a < g; a++) grad[j * g + a] += r * z[a]
          for (let l = 0; l <= j; l++) {
            const w = s[j] * ((j === l ? 1 : 0) - s[l])
            const base = j * g * d + l * g
            for (let a = 0; a < g; a++) for (let b = 0; b < g; b++) hess[base + a * d + b] += w * z[a] * z[b]
          }
        }
      }
      for (let q = 0; q < d; q++) grad[q] /= n
      for (let q = 0; q < d * d; q++) hess[q] /= n
      for (let j = 0; j < k; j++)
        for (let l = 0; l < j; l++)
          for (let a = 0; a < g; a++)
            for (let b = 0; b < g; b++) hess[(l * g + a) * d + j * g + b] = hess[(j * g + b) * d + l * g + a]
      for (let q = 0; q < d; q++) {
        grad[q] += ridge(q) * (theta[q] - (q % g === f ? 0 : anchor(q)))
        hess[q * d + q] += ridge(q)
      }
      return { value: v / n + penalty(theta), grad, hess }
    },
  }
}

/** -0 and 0 print alike in JSON; keep the state's numbers as they will load back. */
const plain = (v: number): number => (v === 0 ? 0 : v)

/**
 * Fits the regression on `train` and, unless `calibration` is 'none', the calibration map on `calibrationRows` (a
 * later split the regression never saw). `c` is the number of context columns (0 for none).
 */
export function fitMetaModel(
  train: MetaRows,
  calibrationRows: MetaRows | null,
  k: number,
  c: number,
  params: z.input<typeof metaModelParamsSchema> = {},
): MetaModelState {
  const { l2, calibration } = metaModelParamsSchema.parse(params)
  const f = k + c
  if (k * (f + 1) > META_MAX_PARAMETERS)
    throw new Error(
      `meta: ${k} outcomes and ${c} context columns give ${k * (f + 1)} weights; at most ${META_MAX_PARAMETERS}`,
    )
  const n = checkBracketRows(train.p, k, 'meta')
  if (n === 0) throw new Error('meta: the training split has no groups')
  const y = outcomeIndices(train.y, n, k, 'meta')
  const ctx = checkContext(train.context, n, c, 'training')
  const contextMean: number[] = []
  const contextScale: number[] = []
  for (let m = 0; m < c; m++) {
    let mean = 0
    for (let i = 0; i < n; i++) mean += ctx[i * c + m]
    mean /= n
    let ss = 0
    for (let i = 0; i < n; i++) ss += (ctx[i * c + m] - mean) ** 2
    const sd = Math.sqrt(ss / n)
    contextMean.push(plain(mean))
    // A constant column keeps scale 1: it then carries nothing and the ridge holds its weights at 0.
    contextScale.push(sd > 0 && Number.isFinite(sd) ? sd : 1)
  }
  const x = features(train.p, ctx, k, c, contextMean, contextScale)
  const g = f + 1
  const start = new Float64Array(k * g)
  for (let j = 0; j < k; j++) start[j * g + j] = 1
  const { theta } = minimiseNewton(multinomialObjective(x, y, k, f, l2), start)
  const weights: number[] = []
  const intercept: number[] = []
  for (let j = 0; j < k; j++) {
    for (let m = 0; m < f; m++) weights.push(plain(theta[j * g + m]))
    intercept.push(plain(theta[j * g + f]))
  }
  const regression: MetaModelState = {
    method: 'meta',
    classes: k,
    context: c,
    contextMean,
    contextScale,
    weights,
    intercept,
    calibration: null,
  }
  if (calibration === 'none') return regression
  if (!calibrationRows) throw new Error(`meta: ${calibration} calibration needs a calibration split`)
  const nc = checkBracketRows(calibrationRows.p, k, 'meta')
  if (nc === 0) throw new Error('meta: the calibration split has no groups')
  const yc = outcomeIndices(calibrationRows.y, nc, k, 'meta')
  const raw = applyMetaModel(regression, calibrationRows.p, calibrationRows.context)
  return {
    ...regression,
    calibration: calibration === 'temperature' ? fitTemperature(raw, yc, k) : fitDirichlet(raw, Int32Array.from(yc), k),
  }
}

/** Coupled (n, K) distributions for group rows `p` (n, K) and their context (n, C). */
export function applyMetaModel(state: MetaModelState, p: Float64Array, context?: Float64Array): Float64Array {
  const { classes: k, context: c } = state
  const n = checkBracketRows(p, k, 'meta')
  const x = features(p, checkContext(context, n, c, 'scored'), k, c, state.contextMean, state.contextScale)
  const f = k + c
  const out = new Float64Array(n * k)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let v = state.intercept[j]
      for (let m = 0; m < f; m++) v += state.weights[j * f + m] * x[i * f + m]
      out[i * k + j] = v
    }
  }
  softmaxRows(out, k)
  const cal = state.calibration
  const q =
    cal === null
      ? out
      : cal.method === 'temperature'
        ? applyTemperature(out, k, cal.temperature)
        : applyDirichlet(cal, out, k)
  return normaliseRows(q, k, 'meta')
}
