/**
 * How much a combiner (stacking, blending) leans on each member, measured the way permutation importance measures a
 * feature: the rise of the combined log-loss on labelled rows when one member's outputs are shuffled among them
 * (its link with the label and with the other members broken). Shares are the rises, floored at 0, over their sum.
 */
import type { Combiner } from '../ensemble/combiner.js'
import { classProbabilitiesOf } from '../ensemble/probabilities.js'
import { logLoss } from '../inference/calibration/metrics.js'
import type { Outputs } from '../models/contract.js'
import { shuffled } from '../core/random.js'
import { deriveSeed } from '../core/seeds.js'

/** The member's class probabilities with their rows in `order` (what the combiner reads of it). */
function permutedRows(o: Outputs, order: Int32Array, k: number, who: string): Outputs {
  const p = classProbabilitiesOf(o, k, order.length, who)
  const out = new Float64Array(p.length)
  for (let i = 0; i < order.length; i++) for (let j = 0; j < k; j++) out[i * k + j] = p[order[i] * k + j]
  return { n: order.length, p: out, classes: k, p_up: Float64Array.from(order, (_, i) => out[i * k + k - 1]) }
}

export interface MemberShares {
  /** Per member, the mean log-loss rise when its outputs are shuffled. */
  readonly increase: Float64Array
  /** The rises floored at 0, over their sum (all 0 when none rises). */
  readonly shares: Float64Array
  readonly baseline: number
}

/** `outputs`: each member's outputs on the rows, in the combiner's member order; `extra` its meta-features there. */
export function memberShares(
  combiner: Combiner,
  outputs: readonly Outputs[],
  y: Float64Array,
  options: { readonly seed: number; readonly extra?: Float64Array },
): MemberShares {
  if (combiner.online) throw new Error(`${combiner.method} learns online: its member shares are not measured so`)
  const k = combiner.classes
  const n = y.length
  const lossOf = (outs: readonly Outputs[]) =>
    logLoss(classProbabilitiesOf(combiner.predict(outs, options.extra), k, n, combiner.method), y, k)
  const baseline = lossOf(outputs)
  const identity = Int32Array.from({ length: n }, (_, i) => i)
  const increase = Float64Array.from(outputs, (o, m) => {
    const order = shuffled(identity, deriveSeed(options.seed, 'member-shares', m))
    const outs = outputs.map((x, j) => (j === m ? permutedRows(o, order, k, combiner.members[m]) : x))
    return lossOf(outs) - baseline
  })
  const floored = increase.map((x) => Math.max(0, x))
  const total = floored.reduce((a, b) => a + b, 0)
  return { increase, shares: floored.map((x) => (total > 0 ? x / total : 0)), baseline }
}
