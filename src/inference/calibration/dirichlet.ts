import { z } from 'zod'
import { softmaxRows } from '../../models/tabular/linear/classifier.js'
import type { PostProcessorEntry } from '../post-processors.js'
import { checkClasses, classLabelsOf, classProbabilitiesOf, withProbabilities } from './class-outputs.js'
import { minimiseNewton, type ConvexObjective } from './damped-newton.js'

/**
 * Dirichlet calibration (Kull et al., 2019, "Beyond temperature scaling"), the full-matrix map:
 *
 *   p' = softmax(W ln p + b),   W (k x k), b (k)
 *
 * a multinomial logistic regression on the log-probabilities. It holds the identity (W = I, b = 0), temperature
 * scaling (W = I / T) and vector scaling (W diagonal), and its off-diagonal weights move mass between classes: they
 * fix a model that confuses two classes, which no temperature can. Fitted on validation outputs only, by minimising
 *
 *   mean log-loss + lambda / (k(k-1)) sum_{i != j} W_ij^2 + mu / k sum_j b_j^2 + DIAG_RIDGE / k sum_j (W_jj - 1)^2
 *
 * (ODIR: off-diagonal and intercept regularisation; the tiny last term only keeps the optimum finite), by damped
 * Newton on the k(k+1) parameters from W = I, b = 0. Works for k = 2 as well.
 */
export interface DirichletCalibrator {
  readonly method: 'dirichlet'
  readonly classes: number
  /** W, row-major (k, k): row j gives class j's logit from the k log-probabilities. */
  readonly weights: number[]
  /** b, one per class. */
  readonly intercept: number[]
}

/** Probabilities are clipped below at EPS before the log: a model that says exactly 0 gives ln 1e-12 = -27.6. */
export const DIRICHLET_EPS = 1e-12

/**
 * Default ODIR strengths. The softmax ignores a shift shared by all classes, so without lambda, mu > 0 W and b are not
 * unique. At 0.01 a mean squared off-diagonal weight (or intercept) of 1 costs 0.01 nats: about what the 12 free
 * parameters of a 3-class map overfit on 600 validation rows (d / 2n), so the off-diagonal terms are used only where
 * the data pays for them, and otherwise the map stays diagonal, near the identity it starts from.
 */
export const DIRICHLET_DEFAULT_L2_OFFDIAG = 1e-2
export const DIRICHLET_DEFAULT_L2_INTERCEPT = 1e-2

/**
 * Ridge pulling the (otherwise free) diagonal towards 1. Without it a single-class validation set has no finite
 * optimum (a diagonal weight runs off to make that class certain); at 1e-6 it changes no fit that has one.
 */
const DIAG_RIDGE = 1e-6

/** Newton costs O(n k^4) a step and a (k(k+1))^2 Hessian: a calibrator for a few classes, not hundreds. */
export const DIRICHLET_MAX_CLASSES = 16

const finite = (what: string) => z.number().refine(Number.isFinite, `a finite ${what}`)

/** A saved calibrator, validated on load: finite W (k x k entries) and b (k entries). */
export const dirichletCalibratorSchema = z
  .object({
    method: z.literal('dirichlet'),
    classes: z.number().int().min(2).max(DIRICHLET_MAX_CLASSES),
    weights: z.array(finite('weight')),
    intercept: z.array(finite('intercept')),
  })
  .strict()
  .superRefine((s, ctx) => {
    const k = s.classes
    if (s.weights.length !== k * k)
      ctx.addIssue({
        code: 'custom',
        path: ['weights'],
        message: `${k * k} weights (W is ${k} x ${k}), not ${s.weights.length}`,
      })
    if (s.intercept.length !== k)
      ctx.addIssue({ code: 'custom', path: ['intercept'], message: `${k} intercepts, not ${s.intercept.length}` })
  })

/** ln p, clipped, row-major (n, k). */
function logProbabilities(p: Float64Array): Float64Array {
  return Float64Array.from(p, (v) => Math.log(Math.max(DIRICHLET_EPS, v)))
}

export interface OdirStrengths {
  /** lambda: on the mean squared off-diagonal weight. */
  readonly offdiag: number
  /** mu: on the mean squared intercept. */
  readonly intercept: number
}

/**
 * The penalised mean log-loss over theta = (W | b) row-major (k, k + 1), with its gradient and Hessian. The Hessian of
 * the log-loss is sum_i (diag(s_i) - s_i s_i^T) (x) x_i x_i^T, x_i = (ln p_i, 1); its (j, l) block is symmetric, so
 * only blocks l <= j are summed and then mirrored.
 */
function odirObjective(lnP: Float64Array, y: Int32Array, k: number, reg: OdirStrengths): ConvexObjective {
  const n = y.length
  const f = k + 1
  const d = k * f
  const aOff = k > 1 ? reg.offdiag / (k * (k - 1)) : 0
  const aB = reg.intercept / k
  const aDiag = DIAG_RIDGE / k
  const z = new Float64Array(k)
  /** Logits of row i into z; returns log-sum-exp. */
  const logits = (theta: Float64Array, i: number): number => {
    let max = -Infinity
    for (let j = 0; j < k; j++) {
      let s = theta[j * f + k]
      for (let m = 0; m < k; m++) s += theta[j * f + m] * lnP[i * k + m]
      z[j] = s
      if (s > max) max = s
    }
    let sum = 0
    for (let j = 0; j < k; j++) sum += Math.exp(z[j] - max)
    return max + Math.log(sum)
  }
  const penalty = (theta: Float64Array): number => {
    let v = 0
    for (let j = 0; j < k; j++) {
      for (let m = 0; m < k; m++) {
        const w = theta[j * f + m]
        v += j === m ? aDiag * (w - 1) * (w - 1) : aOff * w * w
      }
      v += aB * theta[j * f + k] * theta[j * f + k]
    }
    return v
  }
  return {
    value(theta) {
      let v = 0
      for (let i = 0; i < n; i++) v += logits(theta, i) - z[y[i]]
      return v / n + penalty(theta)
    },
    derivatives(theta) {
      const grad = new Float64Array(d)
      const hess = new Float64Array(d * d)
      const s = new Float64Array(k)
      const x = new Float64Array(f)
      const xx = new Float64Array(f * f)
      let v = 0
      for (let i = 0; i < n; i++) {
        const lse = logits(theta, i)
        v += lse - z[y[i]]
        for (let j = 0; j < k; j++) s[j] = Math.exp(z[j] - lse)
        for (let m = 0; m < k; m++) x[m] = lnP[i * k + m]
        x[k] = 1
        for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) xx[a * f + b] = x[a] * x[b]
        for (let j = 0; j < k; j++) {
          const r = s[j] - (j === y[i] ? 1 : 0)
          for (let a = 0; a < f; a++) grad[j * f + a] += r * x[a]
          for (let l = 0; l <= j; l++) {
            const c = s[j] * ((j === l ? 1 : 0) - s[l])
            const base = j * f * d + l * f
            for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) hess[base + a * d + b] += c * xx[a * f + b]
          }
        }
      }
      for (let q = 0; q < d; q++) grad[q] /= n
      for (let q = 0; q < d * d; q++) hess[q] /= n
      // Mirror the lower blocks: block (l, j) is block (j, l), and each block is symmetric.
      for (let j = 0; j < k; j++)
        for (let l = 0; l < j; l++)
          for (let a = 0; a < f; a++)
            for (let b = 0; b < f; b++) hess[(l * f + a) * d + j * f + b] = hess[(j * f + b) * d + l * f + a]
      for (let j = 0; j < k; j++) {
        for (let m = 0; m <= k; m++) {
          const q = j * f + m
          const a = m === k ? aB : m === j ? aDiag : aOff
          grad[q] += 2 * a * (theta[q] - (m === j ? 1 : 0))
          hess[q * d + q] += 2 * a
        }
      }
      return { value: v / n + penalty(theta), grad, hess }
    },
  }
}

/** -0 and 0 print alike in JSON; keep the state's numbers as they will load back. */
const plain = (v: number): number => (v === 0 ? 0 : v)

/** Fit W and b on validation probabilities `p` (n, k) and class labels `y`. */
export function fitDirichlet(
  p: Float64Array,
  y: Int32Array,
  k: number,
  reg: OdirStrengths = { offdiag: DIRICHLET_DEFAULT_L2_OFFDIAG, intercept: DIRICHLET_DEFAULT_L2_INTERCEPT },
): DirichletCalibrator {
  if (k < 2 || k > DIRICHLET_MAX_CLASSES)
    throw new Error(`dirichlet: ${k} classes; the Newton fit is for 2 to ${DIRICHLET_MAX_CLASSES}`)
  const f = k + 1
  const start = new Float64Array(k * f)
  for (let j = 0; j < k; j++) start[j * f + j] = 1
  const { theta } = minimiseNewton(odirObjective(logProbabilities(p), y, k, reg), start)
  const weights: number[] = []
  const intercept: number[] = []
  for (let j = 0; j < k; j++) {
    for (let m = 0; m < k; m++) weights.push(plain(theta[j * f + m]))
    intercept.push(plain(theta[j * f + k]))
  }
  return { method: 'dirichlet', classes: k, weights, intercept }
}

/** Calibrated (n, k) probabilities: softmax(W ln p + b) per row, the max subtracted first (no overflow). */
export function applyDirichlet(state: DirichletCalibrator, p: Float64Array, k: number): Float64Array {
  const n = p.length / k
  const lnP = logProbabilities(p)
  const out = new Float64Array(p.length)
  const { weights: w, intercept: b } = state
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let s = b[j]
      for (let m = 0; m < k; m++) s += w[j * k + m] * lnP[i * k + m]
      out[i * k + j] = s
    }
  }
  softmaxRows(out, k)
  return out
}

const strength = (what: string, dflt: number) =>
  z
    .number()
    .positive(`a positive ${what} (at 0 the map is not unique)`)
    .max(1e12)
    .default(dflt)
    .describe(`ODIR: weight of the mean squared ${what}`)

const dirichletParams = z
  .object({
    l2_offdiag: strength('off-diagonal weight', DIRICHLET_DEFAULT_L2_OFFDIAG),
    l2_intercept: strength('intercept', DIRICHLET_DEFAULT_L2_INTERCEPT),
  })
  .strict()

/** The `dirichlet` post-processor (registry entry). */
export const dirichletEntry: PostProcessorEntry<
  z.infer<typeof dirichletParams>,
  z.infer<typeof dirichletCalibratorSchema>
> = {
  name: 'dirichlet',
  role: 'calibration',
  actsOn: 'class_probabilities',
  tasks: ['binary', 'multiclass'],
  params: dirichletParams,
  state: dirichletCalibratorSchema,
  fit(params, val, y) {
    const { p, k } = classProbabilitiesOf(val, 'dirichlet')
    return fitDirichlet(p, classLabelsOf(y, val.n, k, 'dirichlet'), k, {
      offdiag: params.l2_offdiag,
      intercept: params.l2_intercept,
    })
  },
  apply(state, out) {
    const { p, k } = classProbabilitiesOf(out, 'dirichlet')
    checkClasses('dirichlet', state.classes, k)
    return withProbabilities(out, applyDirichlet(state, p, k), k)
  },
}
