import { z } from 'zod'
import { sigmoid, softmaxRows } from '../../models/tabular/linear/classifier.js'
import type { PostProcessorEntry } from '../post-processors.js'
import { checkClasses, classLabelsOf, classProbabilitiesOf, withProbabilities } from './class-outputs.js'
import { minimiseNewton, type ConvexObjective } from './damped-newton.js'

/**
 * Beta calibration (Kull, Silva Filho and Flach, 2017), the three-parameter "abm" family:
 *
 *   p' = sigmoid(a ln p - b ln(1 - p) + c),   a, b >= 0
 *
 * a logistic regression on the two features ln p and -ln(1 - p). The family holds the identity (a = b = 1, c = 0)
 * and maps that are not sigmoids of the logit (Platt's family is the special case a = b); with a, b >= 0 the map is
 * monotone non-decreasing in p. A binary model gets one map, on its last class (p_up); a multiclass one gets a map per
 * class (one vs rest), renormalised per row. Fitted on validation outputs only; later outputs are only transformed.
 */
export interface BetaMap {
  readonly a: number
  readonly b: number
  readonly c: number
}

export interface BetaCalibrator {
  readonly method: 'beta'
  readonly classes: number
  /** One map for 2 classes (on the last one), else one per class. */
  readonly maps: BetaMap[]
}

/**
 * Probabilities are clipped to [EPS, 1 - EPS] before the logs, so a model that says exactly 0 or 1 gives finite
 * features (|ln 1e-12| = 27.6) and a finite, bounded logit.
 */
export const BETA_EPS = 1e-12

/**
 * Default ridge: the fit minimises the summed log-loss + (l2 / 2)(a^2 + b^2 + c^2), a Gaussian prior of standard
 * deviation 10 on each parameter. Negligible against a few hundred rows of data, it keeps the optimum finite where
 * the maximum likelihood one is not (a single-class validation set, inputs all equal: c or a collinear pair diverges).
 */
export const BETA_DEFAULT_L2 = 1e-2

const finiteNonNegative = (what: string) =>
  z.number().min(0, `a non-negative ${what} (the fit constrains it)`).refine(Number.isFinite, `a finite ${what}`)

const betaMapSchema = z
  .object({
    a: finiteNonNegative('weight a of ln p'),
    b: finiteNonNegative('weight b of -ln(1 - p)'),
    c: z.number().refine(Number.isFinite, 'a finite intercept c'),
  })
  .strict()

/** A saved calibrator, validated on load: finite maps with a, b >= 0, as many as its classes need. */
export const betaCalibratorSchema = z
  .object({
    method: z.literal('beta'),
    classes: z.number().int().min(2),
    maps: z.array(betaMapSchema).min(1),
  })
  .strict()
  .superRefine((s, ctx) => {
    const want = mapsFor(s.classes)
    if (s.maps.length !== want)
      ctx.addIssue({
        code: 'custom',
        path: ['maps'],
        message: `${want} maps for ${s.classes} classes (one per class, one for two classes), not ${s.maps.length}`,
      })
  })

const mapsFor = (k: number): number => (k === 2 ? 1 : k)

const clip = (p: number): number => Math.min(1 - BETA_EPS, Math.max(BETA_EPS, p))

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
}

/**
 * Ridge logistic regression by damped Newton: minimises sum_i [softplus(z_i) - y_i z_i] + (l2 / 2)|theta|^2, where
 * z_i = theta . (cols[0][i], ..., cols[m-1][i], 1). Returns the m coefficients, then the intercept. The ridge makes
 * the objective strictly convex, so the optimum is unique and the start (zero) does not matter.
 */
export function fitRidgeLogistic(cols: readonly Float64Array[], y: Uint8Array, l2: number): Float64Array {
  const m = cols.length
  const d = m + 1
  const n = y.length
  const x = new Float64Array(d)
  const row = (i: number): Float64Array => {
    for (let j = 0; j < m; j++) x[j] = cols[j][i]
    x[m] = 1
    return x
  }
  const ridge = (theta: Float64Array): number => {
    let s = 0
    for (let j = 0; j < d; j++) s += theta[j] * theta[j]
    return (l2 / 2) * s
  }
  const objective: ConvexObjective = {
    value(theta) {
      let v = 0
      for (let i = 0; i < n; i++) {
        const xi = row(i)
        let z = 0
        for (let j = 0; j < d; j++) z += theta[j] * xi[j]
        v += softplus(z) - (y[i] ? z : 0)
      }
      return v + ridge(theta)
    },
    derivatives(theta) {
      const grad = new Float64Array(d)
      const hess = new Float64Array(d * d)
      let v = 0
      for (let i = 0; i < n; i++) {
        const xi = row(i)
        let z = 0
        for (let j = 0; j < d; j++) z += theta[j] * xi[j]
        v += softplus(z) - (y[i] ? z : 0)
        const s = sigmoid(z)
        const r = s - y[i]
        const w = s * (1 - s)
        for (let j = 0; j < d; j++) {
          grad[j] += r * xi[j]
          for (let l = 0; l <= j; l++) hess[j * d + l] += w * xi[j] * xi[l]
        }
      }
      for (let j = 0; j < d; j++) {
        grad[j] += l2 * theta[j]
        hess[j * d + j] += l2
        for (let l = 0; l < j; l++) hess[l * d + j] = hess[j * d + l]
      }
      return { value: v + ridge(theta), grad, hess }
    },
  }
  return minimiseNewton(objective, new Float64Array(d)).theta
}

/** The two beta features of scores `p`: ln p and -ln(1 - p), after clipping. */
export function betaFeatures(p: Float64Array): { lnP: Float64Array; lnQ: Float64Array } {
  const lnP = new Float64Array(p.length)
  const lnQ = new Float64Array(p.length)
  for (let i = 0; i < p.length; i++) {
    const q = clip(p[i])
    lnP[i] = Math.log(q)
    lnQ[i] = -Math.log1p(-q)
  }
  return { lnP, lnQ }
}

/** -0 and 0 print alike in JSON; keep the state's numbers as they will load back. */
const plain = (v: number): number => (v === 0 ? 0 : v)

/**
 * One binary beta map of scores `p` for labels `y` (1 positive). As in the paper: fit a, b, c unconstrained; a
 * negative a (or b) means that feature only helps by turning the map down somewhere, so it is dropped and the rest
 * refitted; if the one left is negative too, only the intercept remains (the base rate). So a, b >= 0 always.
 */
export function fitBetaMap(p: Float64Array, y: Uint8Array, l2 = BETA_DEFAULT_L2): BetaMap {
  const { lnP, lnQ } = betaFeatures(p)
  const full = fitRidgeLogistic([lnP, lnQ], y, l2)
  if (full[0] >= 0 && full[1] >= 0) return { a: plain(full[0]), b: plain(full[1]), c: plain(full[2]) }
  const keepB = full[0] < 0
  const one = fitRidgeLogistic([keepB ? lnQ : lnP], y, l2)
  if (one[0] >= 0)
    return keepB ? { a: 0, b: plain(one[0]), c: plain(one[1]) } : { a: plain(one[0]), b: 0, c: plain(one[1]) }
  return { a: 0, b: 0, c: plain(fitRidgeLogistic([], y, l2)[0]) }
}

/** The map's logit at score p. */
function betaLogit(m: BetaMap, p: number): number {
  const q = clip(p)
  return m.a * Math.log(q) - m.b * Math.log1p(-q) + m.c
}

/**
 * Fit on validation probabilities `p` (n, k) and class labels `y`: one map on the last class for k = 2, else one per
 * class against the rest.
 */
export function fitBeta(p: Float64Array, y: Int32Array, k: number, l2 = BETA_DEFAULT_L2): BetaCalibrator {
  const n = y.length
  const maps: BetaMap[] = []
  for (const cls of k === 2 ? [1] : Array.from({ length: k }, (_, c) => c)) {
    const score = Float64Array.from({ length: n }, (_, i) => p[i * k + cls])
    const target = Uint8Array.from(y, (v) => (v === cls ? 1 : 0))
    maps.push(fitBetaMap(score, target, l2))
  }
  return { method: 'beta', classes: k, maps }
}

/**
 * Calibrated (n, k) probabilities. Multiclass rows are renormalised in log space (log sigmoid, then a log-sum-exp),
 * so no row can underflow to all zeros and divide 0 by 0.
 */
export function applyBeta(state: BetaCalibrator, p: Float64Array, k: number): Float64Array {
  const n = p.length / k
  const out = new Float64Array(p.length)
  if (k === 2) {
    const m = state.maps[0]
    for (let i = 0; i < n; i++) {
      const z = betaLogit(m, p[i * 2 + 1])
      out[i * 2] = sigmoid(-z)
      out[i * 2 + 1] = sigmoid(z)
    }
    return out
  }
  // Log sigmoid per class, then a stable softmax: the log-space renormalisation.
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) out[i * k + c] = -softplus(-betaLogit(state.maps[c], p[i * k + c]))
  }
  softmaxRows(out, k)
  return out
}

const betaParams = z
  .object({
    l2: z
      .number()
      .positive()
      .max(1e6)
      .default(BETA_DEFAULT_L2)
      .describe('ridge on (a, b, c) added to the summed log-loss; positive so the fit is always finite'),
  })
  .strict()

/** The `beta` post-processor (registry entry). */
export const betaEntry: PostProcessorEntry<z.infer<typeof betaParams>, z.infer<typeof betaCalibratorSchema>> = {
  name: 'beta',
  role: 'calibration',
  actsOn: 'class_probabilities',
  tasks: ['binary', 'multiclass'],
  params: betaParams,
  state: betaCalibratorSchema,
  fit(params, val, y) {
    const { p, k } = classProbabilitiesOf(val, 'beta')
    return fitBeta(p, classLabelsOf(y, val.n, k, 'beta'), k, params.l2)
  },
  apply(state, out) {
    const { p, k } = classProbabilitiesOf(out, 'beta')
    checkClasses('beta', state.classes, k)
    return withProbabilities(out, applyBeta(state, p, k), k)
  },
}
