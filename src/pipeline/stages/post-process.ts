/** Post-process stage: the configured post-processors, fitted in order on the final model's validation outputs. */
import { applyPostProcessors, fitPostProcessor, type FittedPostProcessor } from '../../inference/post-processors.js'
import type { Outputs } from '../../models/contract.js'
import { checkDistributions, K } from '../predict.js'
import type { RunContext } from './context.js'

const asOutputs = (p: Float64Array): Outputs => ({ n: p.length / K, p, classes: K })

/** Each post-processor is fitted on the validation outputs of the chain before it (never on test). */
export function fitPostProcessors(ctx: RunContext, valP: Float64Array, yVal: Float64Array): FittedPostProcessor[] {
  const chain: FittedPostProcessor[] = []
  for (const name of ctx.config.inference.calibrate) {
    chain.push(fitPostProcessor(name, {}, applyPostProcessors(chain, asOutputs(valP)), yVal))
  }
  return chain
}

/** Class probabilities after the chain, checked valid: the error names the post-processors, the row and its bar. */
export function postProcess(
  chain: readonly FittedPostProcessor[],
  p: Float64Array,
  ts: Float64Array,
  rows: Int32Array,
): Float64Array {
  if (chain.length === 0) return p
  const out = applyPostProcessors(chain, asOutputs(p))
  const link = chain.map((c) => `${c.name}${describeState(c.state)}`).join(' then ')
  return checkDistributions(out.p!, `post-processor ${link}`, ts, rows)
}

function describeState(state: Record<string, unknown>): string {
  const nums = Object.entries(state).filter(([, v]) => typeof v === 'number')
  return nums.length ? ` (${nums.map(([k, v]) => `${k}=${v}`).join(', ')})` : ''
}
