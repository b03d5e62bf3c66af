/**
 * Isotonic calibration: the non-decreasing function of the score closest (weighted least squares) to the 0/1 labels,
 * by pool-adjacent-violators (PAV), kept as breakpoints and read between them by linear interpolation, clipped to the
 * end values outside the fitted range (scikit-learn's IsotonicRegression with out_of_bounds='clip').
 *
 * Tie rule: rows with equal scores are first pooled into one point (their weighted mean label, their summed weight),
 * then PAV runs on the distinct scores. So equal scores always get one equal calibrated value (the "secondary"
 * approach to ties; scikit-learn does the same). What this does to ranking (the AUC complaint of scikit-learn#16321):
 * a tie is never broken and an order is never reversed; but PAV merges distinct neighbouring scores into one flat
 * step where the validation labels violate monotonicity, and clipping flattens everything outside the fitted range,
 * so scores that were ordered can come out tied, and AUC can drop (never rise). Linear interpolation between steps of
 * different heights keeps new scores there strictly ordered: only scores inside a flat step or beyond the ends tie.
 *
 * Multiclass: one-vs-rest on each class's probability, then rows renormalised (one-vs-rest.ts).
 */
import { z } from 'zod'
import { sortFloat64 } from '../../core/argsort.js'
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

/** A fitted isotonic function: breakpoints with x strictly increasing and y non-decreasing. */
export interface IsotonicCurve {
  readonly x: Float64Array
  readonly y: Float64Array
}

/** The distinct scores in increasing order, each with the weighted mean target and the summed weight of its rows. */
export function poolTies(
  x: Float64Array,
  y: Float64Array,
  w?: Float64Array,
): { x: Float64Array; y: Float64Array; w: Float64Array } {
  const n = x.length
  if (y.length !== n) throw new Error(`isotonic: ${n} scores for ${y.length} targets`)
  if (w && w.length !== n) throw new Error(`isotonic: ${n} scores for ${w.length} weights`)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`isotonic: the score of row ${i} is ${x[i]}`)
    if (!Number.isFinite(y[i])) throw new Error(`isotonic: the target of row ${i} is ${y[i]}`)
    if (w && !(w[i] >= 0 && Number.isFinite(w[i]))) throw new Error(`isotonic: the weight of row ${i} is ${w[i]}`)
  }
  const { sorted, order } = sortFloat64(x)
  const ux = new Float64Array(n)
  const uy = new Float64Array(n)
  const uw = new Float64Array(n)
  let m = 0
  let sumW = 0
  let sumWY = 0
  for (let j = 0; j < n; j++) {
    const i = order[j]
    const wi = w ? w[i] : 1
    // A row of weight 0 says nothing (and must not create a breakpoint of weight 0, whose mean is 0 / 0).
    if (wi === 0) continue
    const xj = sorted[j]
    if (m > 0 && xj === ux[m - 1]) {
      sumW += wi
      sumWY += wi * y[i]
    } else {
      if (m > 0) {
        uy[m - 1] = sumWY / sumW
        uw[m - 1] = sumW
      }
      ux[m++] = xj
      sumW = wi
      sumWY = wi * y[i]
    }
  }
  if (m === 0) throw new Error('isotonic: no rows with a positive weight to fit on')
  uy[m - 1] = sumWY / sumW
  uw[m - 1] = sumW
  return { x: ux.slice(0, m), y: uy.slice(0, m), w: uw.slice(0, m) }
}

/**
 * PAV over points already in increasing x with positive weights: each point starts a block; while the last block's
 * mean is below the one before, the two merge (weighted sums, so a block's mean is exact, not an average of
 * averages). Returns the block boundaries: `end[b]` is one past the last point of block b, and its mean.
 */
export function pav(y: Float64Array, w: Float64Array): { end: Int32Array; mean: Float64Array } {
  const m = y.length
  const end = new Int32Array(m)
  const sumW = new Float64Array(m)
  const sumWY = new Float64Array(m)
  const mean = new Float64Array(m)
  let top = 0
  for (let i = 0; i < m; i++) {
    end[top] = i + 1
    sumW[top] = w[i]
    sumWY[top] = w[i] * y[i]
    mean[top] = y[i]
    top++
    while (top > 1 && mean[top - 2] > mean[top - 1]) {
      top--
      sumW[top - 1] += sumW[top]
      sumWY[top - 1] += sumWY[top]
      end[top - 1] = end[top]
      mean[top - 1] = sumWY[top - 1] / sumW[top - 1]
    }
  }
  return { end: end.slice(0, top), mean: mean.slice(0, top) }
}

/**
 * Fit a non-decreasing function of `x` to targets `y` (any finite values; 0/1 labels for calibration), weighted
 * by `w` (default 1; rows of weight 0 are ignored). Ties are pooled first (see the tie rule above). The curve keeps
 * the first and last distinct score of each block: interpolating through them gives the same function as through
 * every distinct score, and a flat block needs no more.
 */
export function fitIsotonic(x: Float64Array, y: Float64Array, w?: Float64Array): IsotonicCurve {
  const u = poolTies(x, y, w)
  const { end, mean } = pav(u.y, u.w)
  const bx: number[] = []
  const by: number[] = []
  let start = 0
  for (let b = 0; b < end.length; b++) {
    bx.push(u.x[start])
    by.push(mean[b])
    if (end[b] - 1 > start) {
      bx.push(u.x[end[b] - 1])
      by.push(mean[b])
    }
    start = end[b]
  }
  return { x: Float64Array.from(bx), y: Float64Array.from(by) }
}

/**
 * The curve at `v`: linear between breakpoints, the end values outside them (a single breakpoint is a constant).
 * Binary search per value: O(log m).
 */
export function predictIsotonic(curve: { x: ArrayLike<number>; y: ArrayLike<number> }, v: Float64Array): Float64Array {
  const { x, y } = curve
  const m = x.length
  const out = new Float64Array(v.length)
  const x0 = x[0]
  const xm = x[m - 1]
  for (let i = 0; i < v.length; i++) {
    const t = v[i]
    if (Number.isNaN(t)) throw new Error(`isotonic: the score of row ${i} is NaN`)
    if (t <= x0) out[i] = y[0]
    else if (t >= xm) out[i] = y[m - 1]
    else {
      // The last breakpoint at or below t: x[lo] <= t < x[hi].
      let lo = 0
      let hi = m - 1
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1
        if (x[mid] <= t) lo = mid
        else hi = mid
      }
      const y0 = y[lo]
      const y1 = y[hi]
      out[i] = y0 === y1 ? y0 : y0 + ((y1 - y0) * (t - x[lo])) / (x[hi] - x[lo])
    }
  }
  return out
}

export const isotonicParams = z.object({}).strict()

const curveSchema = z
  .object({ x: z.array(z.number()).min(1), y: z.array(z.number()).min(1) })
  .strict()
  .superRefine((c, ctx) => {
    if (c.x.length !== c.y.length) {
      ctx.addIssue({ code: 'custom', path: ['y'], message: `${c.y.length} values for ${c.x.length} breakpoints` })
      return
    }
    for (let i = 0; i < c.x.length; i++) {
      // Probabilities in, probabilities out: both ends of a breakpoint lie in [0, 1] (written so NaN fails it).
      if (!(c.x[i] >= 0 && c.x[i] <= 1))
        return ctx.addIssue({ code: 'custom', path: ['x', i], message: `${c.x[i]} is not a probability` })
      if (!(c.y[i] >= 0 && c.y[i] <= 1))
        return ctx.addIssue({ code: 'custom', path: ['y', i], message: `${c.y[i]} is not a probability` })
      if (i > 0 && !(c.x[i] > c.x[i - 1]))
        return ctx.addIssue({ code: 'custom', path: ['x', i], message: 'breakpoints must be strictly increasing' })
      if (i > 0 && !(c.y[i] >= c.y[i - 1]))
        return ctx.addIssue({ code: 'custom', path: ['y', i], message: 'values must be non-decreasing' })
    }
  })

/** A fitted isotonic post-processor: one curve per calibrated class (one for binary outputs, k for k > 2). */
export const isotonicState = z
  .object({
    method: z.literal('isotonic'),
    classes: z.number().int().min(2),
    curves: z.array(curveSchema),
  })
  .strict()
  .superRefine((st, ctx) => {
    const m = calibratedClasses(st.classes)
    if (st.curves.length !== m)
      ctx.addIssue({
        code: 'custom',
        path: ['curves'],
        message: `${m} curves for ${st.classes} classes, given ${st.curves.length}`,
      })
  })

export type IsotonicState = z.infer<typeof isotonicState>

/** The `isotonic` post-processor: fitted on validation outputs only (see post-processors.ts). */
export const isotonicEntry: PostProcessorEntry<z.infer<typeof isotonicParams>, IsotonicState> = {
  name: 'isotonic',
  role: 'calibration',
  actsOn: 'class_probabilities',
  tasks: ['binary', 'multiclass'],
  params: isotonicParams,
  state: isotonicState,
  fit(_params, val, y) {
    const { p, k } = classProbabilitiesOf(val, 'isotonic')
    checkFitInputs('isotonic', p, y, k)
    const curves = Array.from({ length: calibratedClasses(k) }, (_, j) => {
      const c = classOf(j, k)
      const curve = fitIsotonic(classColumn(p, k, c), oneVsRest(y, c))
      return { x: Array.from(curve.x), y: Array.from(curve.y) }
    })
    return { method: 'isotonic', classes: k, curves }
  },
  apply(state, out) {
    const { p, k } = classProbabilitiesOf(out, 'isotonic')
    if (k !== state.classes) throw new Error(`isotonic: fitted on ${state.classes} classes, given ${k}`)
    const q = state.curves.map((curve, j) => predictIsotonic(curve, classColumn(p, k, classOf(j, k))))
    const calibrated = assembleRows(q, p, k)
    return { ...out, p: calibrated, p_up: lastClass(calibrated, k) }
  },
}
