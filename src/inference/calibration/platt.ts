/**
 * Platt scaling: p' = sigmoid(a s + b) fitted by maximum likelihood on validation scores s and 0/1 labels, with
 * Platt's smoothed targets (n+ + 1) / (n+ + 2) for positives and 1 / (n- + 2) for negatives, which keep (a, b)
 * finite on separable or single-class data. The fit is Newton's method with a backtracking line search and a tiny
 * ridge on the Hessian, as Lin, Lin and Weng (2007, "A note on Platt's probabilistic outputs for support vector
 * machines") give it, with their stopping rule (every gradient component of the summed loss below 1e-5): so libsvm's
 * published coefficients are reproduced, not just approached. That rule is loose on tiny sets (on libsvm's 3-point
 * example it stops 3.5e-6 from the exact optimum's b; `tol` tightens it) and immaterial on large ones, where the
 * last Newton step lands within rounding of the optimum.
 *
 * Sign convention: ours is p = sigmoid(a s + b); libsvm and scikit-learn write p = 1 / (1 + exp(A s + B)), so
 * a = -A and b = -B.
 *
 * The post-processor entry calibrates class probabilities on their LOGITS, s = log(p / (1 - p)) (p clipped away from
 * 0 and 1), not on the probabilities themselves (the complaint of scikit-learn#34312): a sigmoid of a probability
 * cannot map it back to itself, while a sigmoid of the logit is the identity at a = 1, b = 0, so a calibrated model
 * is left alone. Multiclass: one-vs-rest on each class's logit, then rows renormalised (one-vs-rest.ts).
 */
import { z } from 'zod'
import type { PostProcessorEntry } from '../post-processors.js'
import {
  assembleRows,
  calibratedClasses,
  checkFitInputs,
  classColumn,
  classOf,
  lastClass,
  oneVsRest,
} from './one-vs-rest.js'
import { classProbabilitiesOf } from './class-outputs.js'
import { sigmoid } from '../../models/tabular/linear/classifier.js'

export interface PlattFit {
  readonly a: number
  readonly b: number
  readonly iterations: number
  /** Whether the gradient tolerance was met (else the line search or the iteration limit stopped it). */
  readonly converged: boolean
}

export interface PlattOptions {
  /** Stop when every component of the gradient of the summed (weighted) loss is below this (libsvm: 1e-5). */
  readonly tol?: number
  readonly maxIter?: number
}

/** Ridge on the Hessian's diagonal: keeps the Newton system solvable when every score is equal. */
const SIGMA = 1e-12
/** A line-search step shorter than this ends the fit: no further descent is representable. */
const MIN_STEP = 1e-10
/** Armijo's sufficient-decrease fraction. */
const ARMIJO = 1e-4
/** Relative rounding level of the summed loss (n terms summed in float64). */
const ROUNDING = 1e-12

interface Pass {
  readonly loss: number
  readonly ga: number
  readonly gb: number
  readonly haa: number
  readonly hab: number
  readonly hbb: number
}

/**
 * Loss, gradient and Hessian at (a, b) in one pass with one exp and one log1p per row: with z = a s + b and
 * e = exp(-|z|), the loss of target t is log(1 + e^z) - t z = log1p(e) + (z >= 0 ? (1 - t) z : -t z), p = sigmoid(z),
 * and p (1 - p) = e / (1 + e)^2 either side of 0: nothing overflows.
 */
function pass(s: Float64Array, t: Float64Array, w: Float64Array | undefined, a: number, b: number): Pass {
  let loss = 0
  let ga = 0
  let gb = 0
  let haa = 0
  let hab = 0
  let hbb = 0
  for (let i = 0; i < s.length; i++) {
    const si = s[i]
    const ti = t[i]
    const z = a * si + b
    const e = Math.exp(-Math.abs(z))
    const inv = 1 / (1 + e)
    const p = z >= 0 ? inv : e * inv
    const wi = w ? w[i] : 1
    loss += wi * (Math.log1p(e) + (z >= 0 ? (1 - ti) * z : -ti * z))
    const d = wi * (p - ti)
    ga += d * si
    gb += d
    const h = wi * e * inv * inv
    haa += h * si * si
    hab += h * si
    hbb += h
  }
  return { loss, ga, gb, haa, hab, hbb }
}

function gradSize(p: Pass): number {
  return Math.max(Math.abs(p.ga), Math.abs(p.gb))
}

/**
 * Fit p = sigmoid(a s + b) on scores `s` and labels `y` (1 positive, 0 negative), optionally weighted (the counts in
 * the smoothed targets are then sums of weights, so an integer weight is a repeated row). Errors name the row.
 */
export function fitPlatt(s: Float64Array, y: ArrayLike<number>, w?: Float64Array, opts: PlattOptions = {}): PlattFit {
  const n = s.length
  const tol = opts.tol ?? 1e-5
  const maxIter = opts.maxIter ?? 100
  if (y.length !== n) throw new Error(`platt: ${n} scores for ${y.length} labels`)
  if (w && w.length !== n) throw new Error(`platt: ${n} scores for ${w.length} weights`)
  let nPos = 0
  let nNeg = 0
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s[i])) throw new Error(`platt: the score of row ${i} is ${s[i]}`)
    if (y[i] !== 0 && y[i] !== 1) throw new Error(`platt: the label of row ${i} is ${y[i]}; expected 0 or 1`)
    const wi = w ? w[i] : 1
    if (!(wi >= 0 && Number.isFinite(wi))) throw new Error(`platt: the weight of row ${i} is ${wi}`)
    if (y[i] === 1) nPos += wi
    else nNeg += wi
  }
  if (!(nPos + nNeg > 0)) throw new Error('platt: no rows with a positive weight to fit on')
  const tPos = (nPos + 1) / (nPos + 2)
  const tNeg = 1 / (nNeg + 2)
  const t = Float64Array.from({ length: n }, (_, i) => (y[i] === 1 ? tPos : tNeg))

  // Start at a = 0 and b at the smoothed prior log-odds; on a single-class set that is already the optimum.
  let a = 0
  let b = Math.log((nPos + 1) / (nNeg + 1))
  let cur = pass(s, t, w, a, b)
  for (let it = 0; it < maxIter; it++) {
    if (Math.abs(cur.ga) < tol && Math.abs(cur.gb) < tol) return { a, b, iterations: it, converged: true }
    const haa = cur.haa + SIGMA
    const hbb = cur.hbb + SIGMA
    const det = haa * hbb - cur.hab * cur.hab
    if (!(det > 0)) return { a, b, iterations: it, converged: false }
    const da = -(hbb * cur.ga - cur.hab * cur.gb) / det
    const db = -(-cur.hab * cur.ga + haa * cur.gb) / det
    const slope = cur.ga * da + cur.gb * db
    let step = 1
    let next: Pass | null = null
    while (step >= MIN_STEP) {
      const trial = pass(s, t, w, a + step * da, b + step * db)
      if (
        trial.loss < cur.loss + ARMIJO * step * slope ||
        // Near the optimum of a large sum the decrease falls below the loss's rounding, and Armijo would halve
        // the step to nothing: a step that leaves the loss equal within rounding and shrinks the gradient is taken.
        (trial.loss <= cur.loss + ROUNDING * (Math.abs(cur.loss) + 1) && gradSize(trial) < gradSize(cur))
      ) {
        next = trial
        break
      }
      step /= 2
    }
    if (!next) return { a, b, iterations: it, converged: false }
    a += step * da
    b += step * db
    cur = next
  }
  return { a, b, iterations: maxIter, converged: Math.abs(cur.ga) < tol && Math.abs(cur.gb) < tol }
}

/** sigmoid(a s + b) without overflow for any finite a s + b. */
export function plattProbability(a: number, b: number, s: number): number {
  return sigmoid(a * s + b)
}

/** Probabilities are clipped to [CLIP, 1 - CLIP] before the logit, so 0 and 1 map to about -/+27.6, not infinity. */
const CLIP = 1e-12

/** log(p / (1 - p)) of p clipped away from 0 and 1. */
export function logit(p: number): number {
  const q = Math.min(1 - CLIP, Math.max(CLIP, p))
  return Math.log(q) - Math.log1p(-q)
}

export const plattParams = z
  .object({
    tol: z.number().positive().default(1e-5).describe('stop when the gradient of the summed loss is below this'),
    max_iter: z.number().int().min(1).max(10_000).default(100).describe('Newton iterations at most'),
  })
  .strict()

const finite = z.number().refine(Number.isFinite, 'a finite number')

/** A fitted Platt post-processor: (a, b) per calibrated class (one for binary outputs, k for k > 2). */
export const plattState = z
  .object({
    method: z.literal('platt'),
    classes: z.number().int().min(2),
    a: z.array(finite),
    b: z.array(finite),
  })
  .strict()
  .superRefine((st, ctx) => {
    const m = calibratedClasses(st.classes)
    for (const key of ['a', 'b'] as const)
      if (st[key].length !== m)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${m} coefficients for ${st.classes} classes, given ${st[key].length}`,
        })
  })

export type PlattState = z.infer<typeof plattState>

/** The `platt` post-processor: fitted on validation outputs only (see post-processors.ts). */
export const plattEntry: PostProcessorEntry<z.infer<typeof plattParams>, PlattState> = {
  name: 'platt',
  role: 'calibration',
  actsOn: 'class_probabilities',
  tasks: ['binary', 'multiclass'],
  params: plattParams,
  state: plattState,
  fit(params, val, y) {
    const { p, k } = classProbabilitiesOf(val, 'platt')
    checkFitInputs('platt', p, y, k)
    const a: number[] = []
    const b: number[] = []
    for (let j = 0; j < calibratedClasses(k); j++) {
      const c = classOf(j, k)
      const s = classColumn(p, k, c).map(logit)
      const fit = fitPlatt(s, oneVsRest(y, c), undefined, { tol: params.tol, maxIter: params.max_iter })
      a.push(fit.a)
      b.push(fit.b)
    }
    return { method: 'platt', classes: k, a, b }
  },
  apply(state, out) {
    const { p, k } = classProbabilitiesOf(out, 'platt')
    if (k !== state.classes) throw new Error(`platt: fitted on ${state.classes} classes, given ${k}`)
    const q = state.a.map((a, j) => {
      const c = classOf(j, k)
      return classColumn(p, k, c).map((v, i) => {
        if (Number.isNaN(v)) throw new Error(`platt: the probability of row ${i}, class ${c} is NaN`)
        return plattProbability(a, state.b[j], logit(v))
      })
    })
    const calibrated = assembleRows(q, p, k)
    return { ...out, p: calibrated, p_up: lastClass(calibrated, k) }
  },
}
