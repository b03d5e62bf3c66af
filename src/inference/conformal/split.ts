/**
 * Split conformal interval around a point forecast (`inference.uncertainty: {method: split, coverage}` on the E_r
 * head): the conformal quantile of |y - E_r| over the calibration rows is the margin, and every later row gets
 * [E_r - margin, E_r + margin] as q_lo, q_hi, with the width as `uncertainty` for the policy. On exchangeable rows
 * the interval holds a new target with probability at least `coverage` (the shared rule of ./quantile.ts).
 */
import { z } from 'zod'
import type { Outputs } from '../../models/contract.js'
import type { PostProcessorEntry } from '../post-processors.js'
import { minCalibrationScores } from './quantile.js'
import { splitConformalMargin } from './regression.js'

const splitParams = z.strictObject({
  coverage: z.number().gt(0).lt(1).default(0.9).describe('share of new targets the interval should hold'),
})

const splitState = z.strictObject({
  margin: z.number().finite().min(0),
  n: z.int().positive(),
  coverage: z.number().gt(0).lt(1),
})

function pointOf(out: Outputs): Float64Array {
  if (!out.E_r) throw new Error('split: the model gives no point forecast (E_r)')
  return out.E_r
}

export const splitEntry: PostProcessorEntry<z.infer<typeof splitParams>, z.infer<typeof splitState>> = {
  name: 'split',
  role: 'uncertainty',
  actsOn: 'regression',
  tasks: ['regression'],
  params: splitParams,
  state: splitState,
  fit(params, val, y) {
    const margin = splitConformalMargin(pointOf(val), y, params.coverage)
    // An unbounded interval tells the policy nothing and cannot be saved: too few rows is an error.
    if (margin === Infinity)
      throw new Error(
        `split: ${y.length} calibration rows are too few for coverage ${params.coverage} (need at least ${minCalibrationScores(params.coverage)})`,
      )
    return { margin, n: y.length, coverage: params.coverage }
  },
  apply(state, out) {
    const point = pointOf(out)
    const q_lo = point.map((v) => v - state.margin)
    const q_hi = point.map((v) => v + state.margin)
    return { ...out, q_lo, q_hi, uncertainty: new Float64Array(out.n).fill(2 * state.margin) }
  },
}
