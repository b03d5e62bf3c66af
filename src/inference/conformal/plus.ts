/**
 * CV+, jackknife+ and jackknife+-after-bootstrap as post-processors of the E_r head (`inference.uncertainty:
 * {method: cv_plus}`, `jackknife_plus` or `jackknife_plus_ab`): the run refits the head's members on resamples of the
 * training window (purged K folds for CV+, purged leave-one-out for jackknife+, moving-block bootstrap bags for J+aB;
 * src/pipeline/stages/head-resamples.ts), and hands these
 * post-processors each resample's prediction at every row, with NaN where the resample saw the row (it trained on it,
 * or on a row whose label span meets it or starts within the embargo after it).
 *
 * Fit: training row i's held-out predictor mu_-i is the aggregate of the resamples that did not see it (one fold for
 * CV+, the bags that left it out for J+aB), and its residual R_i = |y_i - mu_-i(x_i)|. Rows seen by every resample
 * have no held-out residual and are counted, not used. Rows with the same held-out set form a group; the state keeps
 * each group's resamples and its residuals sorted.
 *
 * Apply: a new row's interval is [the floor(alpha (n + 1))-th smallest of mu_-i(x) - R_i, the ceil((1 - alpha)(n + 1))-th
 * smallest of mu_-i(x) + R_i] over the n calibration rows (the shared rank rule, ./quantile.ts; infinite ends beyond
 * it), as in cvPlusIntervals, computed per group without a sort per row (./select.ts).
 */
import { z } from 'zod'
import type { Outputs } from '../../models/contract.js'
import type { PostProcessorEntry } from '../post-processors.js'
import { aggregate } from './bootstrap.js'
import { conformalBand } from './outputs.js'
import { conformalRank } from './quantile.js'
import { kthOfShiftedSorted, kthSmallest } from './select.js'

const resampleFolds = {
  purge_bars: z
    .int()
    .min(0)
    .default(0)
    .describe("Extra bars between a resample's training label span and a held-out row's span, beyond no overlap"),
  embargo_bars: z
    .int()
    .min(0)
    .default(0)
    .describe("Bars after a held-out row's label end in which none of the resample's training labels may start"),
}

export const cvPlusParams = z.strictObject({
  coverage: z.number().gt(0).lt(1).default(0.9).describe('share of new targets the interval should hold'),
  n_folds: z.int().min(2).max(50).default(5).describe('folds of the training window, one refit of the head each'),
  ...resampleFolds,
})

export const jackknifePlusParams = z.strictObject({
  coverage: z.number().gt(0).lt(1).default(0.9).describe('share of new targets the interval should hold'),
  max_refits: z
    .int()
    .min(2)
    .default(1000)
    .describe('most training samples a window may have: jackknife+ refits the head once per sample'),
  ...resampleFolds,
})

export const bagParams = {
  coverage: z.number().gt(0).lt(1).default(0.9).describe('share of new targets the interval should hold'),
  models: z.int().min(2).max(200).default(20).describe('bootstrap models: one refit of the head per bag'),
  block: z
    .int()
    .min(1)
    .default(1440)
    .describe('moving-block length in bars (serial dependence stays inside a block); 1 is the ordinary bootstrap'),
  aggregate: z.enum(['mean', 'median']).default('mean').describe('how the held-out models predictions combine'),
  ...resampleFolds,
}
export const jabParams = z.strictObject(bagParams)

const plusState = z.strictObject({
  coverage: z.number().gt(0).lt(1),
  /** Resamples: predictions per new row. */
  models: z.int().positive(),
  aggregate: z.enum(['mean', 'median']),
  /** Calibration rows with a held-out residual, and training rows without one. */
  n: z.int().positive(),
  seenByAll: z.int().min(0),
  groups: z
    .array(
      z.strictObject({
        /** The resamples that held these rows out, increasing. */
        heldOutBy: z.array(z.int().min(0)).min(1),
        /** Their residuals, increasing. */
        residuals: z.array(z.number().finite().min(0)).min(1),
      }),
    )
    .min(1),
})
export type PlusState = z.infer<typeof plusState>

/** The resamples' predictions (rows, models), row-major: what fit and apply read. */
export function resampledOf(out: Outputs, who: string): { predictions: Float64Array; models: number } {
  const r = out.resampled
  if (!r)
    throw new Error(
      `${who}: the model gives no resampled predictions: this method needs the head's models refitted on resamples of the training window (mlf run builds them)`,
    )
  if (r.predictions.length !== out.n * r.models)
    throw new Error(`${who}: ${r.predictions.length} resampled predictions for ${out.n} rows of ${r.models} models`)
  return r
}

/** Held-out residuals of the calibration rows that some resample did not see, in row (time) order. */
export interface HeldOutResiduals {
  readonly residuals: Float64Array
  /** Per kept row, its group: the index in `groups` of the resamples that held it out. */
  readonly groupOf: Int32Array
  readonly groups: readonly (readonly number[])[]
  /** Calibration rows every resample saw: no held-out residual. */
  readonly seenByAll: number
}

/** R_i = |y_i - the aggregate of the resamples that did not see row i| (NaN marks a resample that saw it). */
export function heldOutResiduals(out: Outputs, y: Float64Array, how: 'mean' | 'median', who: string): HeldOutResiduals {
  const { predictions, models } = resampledOf(out, who)
  const n = y.length
  if (out.n !== n) throw new Error(`${who}: ${out.n} calibration rows for ${n} targets`)
  const groupIndex = new Map<string, number>()
  const groups: number[][] = []
  const residuals: number[] = []
  const groupOf: number[] = []
  const buf = new Float64Array(models)
  const held: number[] = []
  for (let i = 0; i < n; i++) {
    held.length = 0
    for (let k = 0; k < models; k++) {
      const v = predictions[i * models + k]
      if (Number.isNaN(v)) continue
      if (!Number.isFinite(v)) throw new Error(`${who}: resample ${k}'s prediction at calibration row ${i} is ${v}`)
      buf[held.length] = v
      held.push(k)
    }
    if (held.length === 0) continue
    if (!Number.isFinite(y[i])) throw new Error(`${who}: target at calibration row ${i} is ${y[i]}`)
    const r = Math.abs(y[i] - aggregate(buf, held.length, how))
    if (!Number.isFinite(r)) throw new Error(`${who}: residual at calibration row ${i} is ${r}`)
    const key = held.join(',')
    let g = groupIndex.get(key)
    if (g === undefined) {
      g = groups.length
      groupIndex.set(key, g)
      groups.push([...held])
    }
    residuals.push(r)
    groupOf.push(g)
  }
  if (residuals.length === 0)
    throw new Error(`${who}: no calibration row was held out by any of the ${models} resamples`)
  return {
    residuals: Float64Array.from(residuals),
    groupOf: Int32Array.from(groupOf),
    groups,
    seenByAll: n - residuals.length,
  }
}

/** Fits from held-out predictions (NaN where a resample saw the row) and targets; `who` names the method. */
export function fitPlus(
  out: Outputs,
  y: Float64Array,
  opts: { coverage: number; aggregate: 'mean' | 'median' },
  who: string,
): PlusState {
  const h = heldOutResiduals(out, y, opts.aggregate, who)
  const groups = h.groups.map((heldOutBy) => ({ heldOutBy: [...heldOutBy], residuals: [] as number[] }))
  h.residuals.forEach((r, i) => groups[h.groupOf[i]].residuals.push(r))
  for (const g of groups) g.residuals.sort((a, b) => a - b)
  const models = resampledOf(out, who).models
  return {
    coverage: opts.coverage,
    models,
    aggregate: opts.aggregate,
    n: h.residuals.length,
    seenByAll: h.seenByAll,
    groups,
  }
}

/** Groups beyond which one quickselect over all n values per row beats per-group binary searches. */
const FEW_GROUPS = 12

/** q_lo, q_hi (and the width as uncertainty) at every row from the resamples' predictions there. */
export function applyPlus(state: PlusState, out: Outputs, who: string): Outputs {
  const { predictions, models } = resampledOf(out, who)
  if (models !== state.models) throw new Error(`${who}: fitted on ${state.models} resamples, given ${models}`)
  const m = out.n
  const n = state.n
  const upperRank = conformalRank(n, state.coverage)
  const lowerRank = n + 1 - upperRank
  const sorted = state.groups.map((g) => Float64Array.from(g.residuals))
  const G = sorted.length
  const mu = new Float64Array(G)
  const buf = new Float64Array(models)
  const scratch = G > FEW_GROUPS ? new Float64Array(n) : null
  const lo = new Float64Array(m)
  const hi = new Float64Array(m)
  for (let t = 0; t < m; t++) {
    for (let g = 0; g < G; g++) {
      const by = state.groups[g].heldOutBy
      for (let j = 0; j < by.length; j++) {
        const v = predictions[t * models + by[j]]
        if (!Number.isFinite(v)) throw new Error(`${who}: resample ${by[j]}'s prediction at row ${t} is ${v}`)
        buf[j] = v
      }
      mu[g] = aggregate(buf, by.length, state.aggregate)
    }
    hi[t] = upperRank > n ? Infinity : select(sorted, mu, 1, upperRank, scratch)
    lo[t] = lowerRank < 1 ? -Infinity : select(sorted, mu, -1, lowerRank, scratch)
  }
  const band = conformalBand({ lo, hi })
  return { ...out, ...band }
}

function select(
  sorted: readonly Float64Array[],
  mu: Float64Array,
  sign: 1 | -1,
  rank: number,
  scratch: Float64Array | null,
): number {
  if (!scratch) return kthOfShiftedSorted(sorted, mu, sign, rank)
  let c = 0
  for (let g = 0; g < sorted.length; g++) {
    const s = sorted[g]
    for (let j = 0; j < s.length; j++) scratch[c++] = sign === 1 ? mu[g] + s[j] : mu[g] - s[j]
  }
  return kthSmallest(scratch, rank)
}

export const cvPlusEntry: PostProcessorEntry<z.infer<typeof cvPlusParams>, PlusState> = {
  name: 'cv_plus',
  role: 'uncertainty',
  actsOn: 'regression',
  tasks: ['regression'],
  resampling: 'folds',
  params: cvPlusParams,
  state: plusState,
  fit: (params, val, y) => fitPlus(val, y, { coverage: params.coverage, aggregate: 'mean' }, 'cv_plus'),
  apply: (state, out) => applyPlus(state, out, 'cv_plus'),
}

/**
 * Jackknife+ (Barber et al., 2021): CV+ with every training sample its own fold, its leave-one-out refit purged of
 * the samples whose labels come near it. One refit per sample: for windows of daily bars, not of minutes.
 */
export const jackknifePlusEntry: PostProcessorEntry<z.infer<typeof jackknifePlusParams>, PlusState> = {
  name: 'jackknife_plus',
  role: 'uncertainty',
  actsOn: 'regression',
  tasks: ['regression'],
  resampling: 'leave_one_out',
  params: jackknifePlusParams,
  state: plusState,
  fit: (params, val, y) => fitPlus(val, y, { coverage: params.coverage, aggregate: 'mean' }, 'jackknife_plus'),
  apply: (state, out) => applyPlus(state, out, 'jackknife_plus'),
}

export const jackknifePlusAbEntry: PostProcessorEntry<z.infer<typeof jabParams>, PlusState> = {
  name: 'jackknife_plus_ab',
  role: 'uncertainty',
  actsOn: 'regression',
  tasks: ['regression'],
  resampling: 'bags',
  params: jabParams,
  state: plusState,
  fit: (params, val, y) => fitPlus(val, y, params, 'jackknife_plus_ab'),
  apply: (state, out) => applyPlus(state, out, 'jackknife_plus_ab'),
}
