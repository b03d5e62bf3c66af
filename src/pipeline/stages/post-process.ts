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
import { logLoss, topLabelCalibration } from '../../inference/calibration/metrics.js'
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

/** Contiguous folds of a calibrator's check; fewer rows than MIN_CHECK_ROWS per fold are not checked. */
export const CHECK_FOLDS = 5
export const MIN_CHECK_ROWS = 50

/** Rows `rows` of row-major (n, K) probabilities. */
function pickRows(p: Float64Array, from: number, to: number, skip: boolean): Float64Array {
  const n = p.length / K
  if (!skip) return p.slice(from * K, to * K)
  const out = new Float64Array((n - (to - from)) * K)
  out.set(p.subarray(0, from * K), 0)
  out.set(p.subarray(to * K), from * K)
  return out
}

const pickTargets = (y: Float64Array, from: number, to: number, skip: boolean): Float64Array => {
  if (!skip) return y.slice(from, to)
  const out = new Float64Array(y.length - (to - from))
  out.set(y.subarray(0, from), 0)
  out.set(y.subarray(to), from)
  return out
}

const quality = (p: Float64Array, y: Float64Array) => ({
  logLoss: logLoss(p, y, K),
  ece: topLabelCalibration(p, y, K).ece,
})

/**
 * A calibrator's effect measured out of sample on its own fitting rows: cut into CHECK_FOLDS contiguous folds, each
 * predicted by the calibrator fitted on the others. In sample, temperature scaling can never raise the log-loss it
 * minimizes, so only held-out rows can show it making things worse. Null with too few rows to judge.
 */
export function checkCalibrator(step: Step, calP: Float64Array, calY: Float64Array) {
  const n = calY.length
  if (n < CHECK_FOLDS * MIN_CHECK_ROWS) return null
  const held = new Float64Array(calP.length)
  for (let f = 0; f < CHECK_FOLDS; f++) {
    const from = Math.floor((f * n) / CHECK_FOLDS)
    const to = Math.floor(((f + 1) * n) / CHECK_FOLDS)
    const fitted = fitPostProcessor(
      step.name,
      step.params,
      asOutputs(pickRows(calP, from, to, true)),
      pickTargets(calY, from, to, true),
    )
    held.set(applyPostProcessors([fitted], asOutputs(pickRows(calP, from, to, false))).p!, from * K)
  }
  const before = quality(calP, calY)
  const after = quality(held, calY)
  return { rows: n, before, after, worse: after.logLoss > before.logLoss || after.ece > before.ece }
}

export interface CheckedPostProcessors {
  readonly chain: FittedPostProcessor[]
  /** Each calibrator's check (those with enough rows), and whether it was dropped. */
  readonly checks: { name: string; rows: number; before: Quality; after: Quality; worse: boolean; dropped: boolean }[]
}

type Quality = ReturnType<typeof quality>

/**
 * The configured chain with every calibrator checked (checkCalibrator) on the outputs of the links kept before it;
 * with inference.drop_worsening, one that makes its check worse is left out of the chain (and so of the bundle).
 */
export function fitCheckedPostProcessors(
  ctx: RunContext,
  calP: Float64Array,
  calY: Float64Array,
): CheckedPostProcessors {
  const chain: FittedPostProcessor[] = []
  const checks: CheckedPostProcessors['checks'] = []
  for (const step of postProcessorSteps(ctx.config.inference)) {
    const input = applyPostProcessors(chain, asOutputs(calP))
    if (postProcessorRegistry.get(step.name)?.role === 'calibration') {
      const check = checkCalibrator(step, input.p!, calY)
      if (check) {
        const dropped = check.worse && ctx.config.inference.drop_worsening
        checks.push({ name: step.name, ...check, dropped })
        if (dropped) continue
      }
    }
    chain.push(fitPostProcessor(step.name, step.params, input, calY))
  }
  return { chain, checks }
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
