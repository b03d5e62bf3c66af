/**
 * Conformal prediction sets as post-processors (`inference.uncertainty: {method: lac | aps | raps, coverage}`): the
 * threshold is fitted on calibration outputs (validation, or purged out-of-fold), saved in the bundle, and every later
 * row gets its set and, as `uncertainty`, the set's size. Probabilities pass through unchanged, so sets go last in a
 * chain. Randomised draws come from a hash of each row's probabilities (see classification.ts), so a run, mlf predict
 * and a live server give a row the same set.
 */
import { z } from 'zod'
import type { PostProcessorEntry } from '../post-processors.js'
import { checkClasses, classLabelsOf, classProbabilitiesOf } from '../calibration/class-outputs.js'
import { fitConformalSets, predictionSets, type SetMethod, type SetOptions } from './classification.js'

const coverage = z.number().gt(0).lt(1).default(0.9).describe('share of rows whose set should hold the true class')
const randomized = z
  .boolean()
  .default(true)
  .describe('draw u uniformly (coverage exactly the target) instead of u = 1 (at least the target, larger sets)')
const seed = z.int().min(0).default(0).describe('seed of the per-row draws')

const paramsOf = {
  lac: z.strictObject({ coverage }),
  aps: z.strictObject({ coverage, randomized, seed }),
  raps: z.strictObject({
    coverage,
    randomized,
    seed,
    lambda: z.number().min(0).default(0.01).describe('penalty per rank beyond k_reg'),
    k_reg: z.int().min(0).default(1).describe('ranks free of penalty'),
  }),
} as const

type SetParams = { coverage: number; randomized?: boolean; seed?: number; lambda?: number; k_reg?: number }

const setsState = z.strictObject({
  method: z.enum(['lac', 'aps', 'raps']),
  classes: z.int().min(2),
  coverage: z.number().gt(0).lt(1),
  /** A class is in a row's set when its score is at most this; null when too few calibration rows: every class. */
  threshold: z.number().finite().nullable(),
  n: z.int().min(0),
  randomized: z.boolean(),
  seed: z.int().min(0),
  lambda: z.number().min(0),
  k_reg: z.int().min(0),
})
type SetsState = z.infer<typeof setsState>

function optionsOf(s: Omit<SetsState, 'classes' | 'threshold' | 'n'>): SetOptions {
  return {
    method: s.method,
    coverage: s.coverage,
    randomized: s.randomized,
    seed: s.seed,
    lambda: s.lambda,
    kReg: s.k_reg,
    draw: 'row_hash',
  }
}

function setsEntry(method: SetMethod): PostProcessorEntry<SetParams, SetsState> {
  return {
    name: method,
    role: 'uncertainty',
    actsOn: 'class_probabilities',
    tasks: ['binary', 'multiclass'],
    params: paramsOf[method] as z.ZodType<SetParams, unknown>,
    state: setsState,
    fit(params, val, y) {
      const { p, k } = classProbabilitiesOf(val, method)
      classLabelsOf(y, val.n, k, method)
      const options = {
        method,
        coverage: params.coverage,
        randomized: method !== 'lac' && (params.randomized ?? true),
        seed: params.seed ?? 0,
        lambda: params.lambda ?? 0,
        k_reg: params.k_reg ?? 0,
      }
      const fitted = fitConformalSets(p, y, k, optionsOf(options))
      const threshold = Number.isFinite(fitted.threshold) ? fitted.threshold : null
      return { ...options, classes: k, threshold, n: fitted.n }
    },
    apply(state, out) {
      const { p, k } = classProbabilitiesOf(out, method)
      checkClasses(method, state.classes, k)
      const threshold = state.threshold ?? Number.POSITIVE_INFINITY
      const sets = predictionSets(
        { method, coverage: state.coverage, threshold, classes: k, n: state.n },
        p,
        optionsOf(state),
      )
      const size = new Float64Array(out.n)
      for (let i = 0; i < out.n; i++) for (let c = 0; c < k; c++) size[i] += sets[i * k + c]
      return { ...out, sets, uncertainty: size }
    },
  }
}

export const lacEntry = setsEntry('lac')
export const apsEntry = setsEntry('aps')
export const rapsEntry = setsEntry('raps')
