/**
 * Shared by the coupling methods. A coupling turns a group of K binary "bracket" probabilities (one model per
 * exclusive outcome, each saying P(this outcome)) into one distribution over the K outcomes. Input and output are
 * row-major (n groups, K) Float64Arrays; every output row sums to 1 within 1e-12 and holds no NaN.
 */
import { goldenSectionBracket } from '../../core/golden-section.js'
import { logLoss } from '../calibration/metrics.js'

/**
 * Probabilities are clipped to [COUPLING_EPS, 1 - COUPLING_EPS] before a logit or a ratio: a model that says exactly
 * 0 or 1 then has a logit of -+27.6 instead of an infinity, and a pair of zeros still has a defined ratio. 1e-12 is
 * far below any probability a model states on purpose and far above rounding (1 - 1e-12 is still distinct from 1).
 */
export const COUPLING_EPS = 1e-12

export const clipProbability = (v: number): number => Math.min(1 - COUPLING_EPS, Math.max(COUPLING_EPS, v))

/** ln(p / (1 - p)) of a clipped probability: finite for every p in [0, 1]. */
export const clippedLogit = (v: number): number => {
  const c = clipProbability(v)
  return Math.log(c) - Math.log1p(-c)
}

/**
 * Checks the shape and every value of `p` (n, k): each must be finite and in [0, 1]. The error names the method, the
 * group row, the outcome column and the value, since a NaN let through would come out as a NaN distribution.
 */
export function checkBracketRows(p: Float64Array, k: number, method: string): number {
  if (!(Number.isInteger(k) && k >= 2)) throw new Error(`${method}: ${k} outcomes; coupling needs at least 2`)
  if (p.length % k !== 0) throw new Error(`${method}: ${p.length} probabilities is not a whole number of rows of ${k}`)
  for (let i = 0; i < p.length; i++) {
    const v = p[i]
    // Written so that NaN fails it.
    if (!(v >= 0 && v <= 1))
      throw new Error(`${method}: group row ${Math.floor(i / k)}, outcome ${i % k}: probability ${v} is not in [0, 1]`)
  }
  return p.length / k
}

/**
 * Divides each row of non-negative `q` (n, k) by its sum, in place. The sum is compensated (Neumaier), so each
 * quotient carries one rounding and the row sums to 1 within about k ulps (1e-15 for a handful of outcomes). No
 * residual is pushed onto one entry afterwards: that would break ties between equal inputs, and coupling promises to
 * keep them. A row whose sum is not positive and finite is a bug upstream and an error naming the row, never a NaN.
 */
export function normaliseRows(q: Float64Array, k: number, method: string): Float64Array {
  for (let o = 0, row = 0; o < q.length; o += k, row++) {
    const sum = compensatedSum(q, o, k)
    if (!(sum > 0 && Number.isFinite(sum)))
      throw new Error(
        `${method}: group row ${row} sums to ${sum} before normalising (values ${Array.from(q.subarray(o, o + k))})`,
      )
    for (let c = 0; c < k; c++) q[o + c] /= sum
  }
  return q
}

function compensatedSum(q: Float64Array, o: number, k: number): number {
  let sum = 0
  let carry = 0
  for (let c = 0; c < k; c++) {
    const v = q[o + c]
    const t = sum + v
    carry += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum
    sum = t
  }
  return sum + carry
}

/** The raw rows divided by their sums: the "uncoupled" distribution a coupling is compared with. */
export function renormalised(p: Float64Array, k: number, method = 'renormalise'): Float64Array {
  checkBracketRows(p, k, method)
  return normaliseRows(Float64Array.from(p, clipProbability), k, method)
}

/** Outcome labels as class indices 0..k-1, one per group row; the error names the row and the value. */
export function outcomeIndices(y: ArrayLike<number>, n: number, k: number, method: string): Float64Array {
  if (y.length !== n) throw new Error(`${method}: ${y.length} outcomes for ${n} group rows`)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const v = y[i]
    if (!(Number.isInteger(v) && v >= 0 && v < k))
      throw new Error(`${method}: group row ${i} has outcome ${v}, not an index 0..${k - 1}`)
    out[i] = v
  }
  return out
}

/** Mean multiclass log-loss of coupled rows against outcome indices (the tuning objective). */
export function multiclassLogLoss(q: Float64Array, y: Float64Array, k: number): number {
  return logLoss(q, y, k)
}

export interface LogScaleSearch {
  /** The searched interval of ln(parameter). */
  readonly lo: number
  readonly hi: number
}

/** Grid points of the coarse scan before the golden-section refinement. */
const GRID = 33

/**
 * Minimises `loss(exp(s))` over s in [lo, hi]: a scan of 33 evenly spaced points finds the best cell (so a loss that
 * is not unimodal still gets its best basin, not the first one a bisection walks into), then golden-section search
 * refines it between the neighbouring grid points to 1e-7 in s. No random start: the same inputs give the same
 * parameter. Ties go to the smaller parameter.
 */
export function minimiseOnLogScale(loss: (param: number) => number, range: LogScaleSearch): number {
  const { lo, hi } = range
  const step = (hi - lo) / (GRID - 1)
  let best = 0
  let bestLoss = Infinity
  for (let g = 0; g < GRID; g++) {
    const v = loss(Math.exp(lo + g * step))
    if (v < bestLoss) {
      bestLoss = v
      best = g
    }
  }
  const f = (s: number) => loss(Math.exp(s))
  const { a, b } = goldenSectionBracket(f, lo + Math.max(0, best - 1) * step, lo + Math.min(GRID - 1, best + 1) * step)
  const refined = (a + b) / 2
  // Golden section keeps the bracket around the grid's best; never return worse than that grid point.
  return f(refined) <= bestLoss ? Math.exp(refined) : Math.exp(lo + best * step)
}
