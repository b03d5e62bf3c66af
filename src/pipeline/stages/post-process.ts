/**
 * Post-process stage: the configured calibrators in order, then the uncertainty method (conformal prediction sets),
 * each fitted on the calibration rows' outputs of the chain before it (validation or purged out-of-fold; never test).
 */
import {
  applyPostProcessors,
  fitPostProcessor,
  postProcessorRegistry,
  type FittedPostProcessor,
  type PostProcessorEntry,
} from '../../inference/post-processors.js'
import type { Outputs } from '../../models/contract.js'
import { checkDistributions, K } from '../predict.js'
import type { RunContext } from './context.js'

const asOutputs = (p: Float64Array): Outputs => ({ n: p.length / K, p, classes: K })

type Step = { name: string; params: Readonly<Record<string, unknown>> }

/** The configured uncertainty methods acting on `actsOn` (at most one, the config checks), as (name, params). */
export function uncertaintySteps(
  inference: RunContext['config']['inference'],
  actsOn: PostProcessorEntry['actsOn'],
): Step[] {
  return inference.uncertainty
    .filter((u) => postProcessorRegistry.get(u.method)?.actsOn === actsOn)
    .map(({ method, ...params }) => ({ name: method, params }))
}

/** The calibrators of the class probabilities as (name, params), in order. */
export function calibratorSteps(inference: RunContext['config']['inference']): Step[] {
  return inference.calibrate.map((c) => ({ name: c.name, params: c.params }))
}

/** The class-probability chain as (name, params): the calibrators, then prediction sets. */
export function postProcessorSteps(inference: RunContext['config']['inference']): Step[] {
  return [...calibratorSteps(inference), ...uncertaintySteps(inference, 'class_probabilities')]
}

/**
 * Each post-processor (by default the configured chain) is fitted on the calibration rows' outputs of the chain
 * before it (never on test).
 */
export function fitPostProcessors(
  ctx: RunContext,
  calP: Float64Array,
  calY: Float64Array,
  steps: readonly Step[] = postProcessorSteps(ctx.config.inference),
): FittedPostProcessor[] {
  const chain: FittedPostProcessor[] = []
  for (const step of steps) {
    chain.push(fitPostProcessor(step.name, step.params, applyPostProcessors(chain, asOutputs(calP)), calY))
  }
  return chain
}

export interface PostProcessed {
  /** Class probabilities after the chain, checked valid. */
  readonly p: Float64Array
  /** Conformal prediction sets, row-major (n, 3), when the chain ends with an uncertainty method. */
  readonly sets?: Uint8Array
}

/** Outputs after the chain, checked valid: the error names the post-processors, the row and its bar. */
export function postProcess(
  chain: readonly FittedPostProcessor[],
  p: Float64Array,
  ts: Float64Array,
  rows: Int32Array,
): PostProcessed {
  if (chain.length === 0) return { p }
  const out = applyPostProcessors(chain, asOutputs(p))
  const link = chain.map((c) => `${c.name}${describeState(c.state)}`).join(' then ')
  const checked = checkDistributions(out.p!, `post-processor ${link}`, ts, rows)
  return out.sets ? { p: checked, sets: out.sets } : { p: checked }
}

/** Probabilities after each calibrator in turn (prefixes of the chain), for the report's before/after. */
export function calibrationSteps(
  chain: readonly FittedPostProcessor[],
  p: Float64Array,
): { name: string; p: Float64Array }[] {
  const steps: { name: string; p: Float64Array }[] = []
  let out = asOutputs(p)
  for (const [i, pp] of chain.entries()) {
    const next = applyPostProcessors([pp], out)
    // A step that leaves probabilities alone (prediction sets) adds no reliability curve.
    if (next.p === out.p) continue
    out = next
    steps.push({
      name: chain
        .slice(0, i + 1)
        .map((c) => c.name)
        .join('+'),
      p: out.p!,
    })
  }
  return steps
}

function describeState(state: Record<string, unknown>): string {
  const nums = Object.entries(state).filter(([, v]) => typeof v === 'number')
  return nums.length ? ` (${nums.map(([k, v]) => `${k}=${v}`).join(', ')})` : ''
}
