/**
 * One window's chain: fit the base models (or let a stacking / blending combiner fit them), combine, post-process
 * and decide. Every model of the chain is scored on the window's validation and test rows, so the run can report
 * each one; nothing is fitted on test rows.
 */
import type { FittedPostProcessor } from '../../inference/post-processors.js'
import type { Model, Outputs, Task } from '../../models/contract.js'
import { classTargets, rowOutcomes } from '../dataset.js'
import { onlineCombiner } from '../../ensemble/combined.js'
import { classProbabilities, K, modelOutputs } from '../predict.js'
import { decidePositions, fitPolicies } from '../positions.js'
import type { PolicyFit } from '../../policy/registry.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import { fitHeldOutCombiner, heldOutCombiner, vote, type Combination } from './combine.js'
import { fitBaseModels, type FittedBase, type WindowTargets } from './fit.js'
import { calibrationRows } from './calibration-rows.js'
import { fitOtherHeads, type HeadResult } from './heads.js'
import { fitTargetHeads, type TargetHeadResult } from './target-heads.js'
import { calibrationSteps, fitCheckedPostProcessors, postProcess, type CheckedPostProcessors } from './post-process.js'
import type { EvalWindow } from './windows.js'
import { fitWindowRegimes, withRegimes, type RegimeLink } from './regime.js'
import { modelsAlone, type AloneResult } from './compare.js'
import { fitCanary, shuffledTargets, type CanaryFit } from './canary.js'

export const TASK: Task = { kind: 'multiclass', classes: K }

export type ModelKind = 'base' | 'ensemble' | 'calibrated'

/** A model's class probabilities on the window's validation and test rows. */
export interface Scored {
  readonly name: string
  readonly kind: ModelKind
  readonly val: Float64Array
  readonly test: Float64Array
  /** Wall time of scoring the test rows (view and prediction), for the comparison's inference time per row. */
  readonly testSeconds?: number
}

export interface WindowResult {
  readonly window: EvalWindow
  /** The regime models fitted on the window's training rows (none without features.regime_model / ensemble.regime). */
  readonly regimes: readonly RegimeLink[]
  /** The gate's member weights on the test rows, when the final model is a gate. */
  readonly gate: WindowGate | null
  /** True targets of val and test rows (never shuffled: the canary is scored against the truth). */
  readonly yTrue: { readonly train: Float64Array; readonly val: Float64Array; readonly test: Float64Array }
  /** Every model of the chain in order: base models, the combination, the post-processed final. */
  readonly scored: readonly Scored[]
  readonly final: Model
  readonly finalName: string
  readonly members: readonly FittedBase[]
  readonly combination: Combination | null
  readonly postProcessors: readonly FittedPostProcessor[]
  /** The calibrators' checks on their fitting rows (those dropped by inference.drop_worsening are not in the chain). */
  readonly postProcessorChecks: CheckedPostProcessors['checks']
  /** The shuffled-label control's test probabilities, when the run trains one (src/pipeline/stages/canary.ts). */
  readonly canary: CanaryFit | null
  /** The final model's raw and post-processed probabilities on validation and test rows. */
  readonly raw: { readonly val: Float64Array; readonly test: Float64Array }
  readonly test: Float64Array
  /** Conformal prediction sets on test rows, row-major (n, 3), when the chain has an uncertainty method. */
  readonly sets?: Uint8Array
  /** Test probabilities after each calibrator in turn (the last is `test`). */
  readonly calibrationSteps: readonly { readonly name: string; readonly p: Float64Array }[]
  /** What the post-processors were fitted on: validation or out-of-fold rows, how many, and how many no fold could predict. */
  readonly calibrationRows: {
    readonly source: 'validation' | 'oof'
    readonly rows: number
    readonly unpredicted: number
  }
  /** The other heads (p_up, E_r, q05/q50/q95) with their members (none when the run trains only p). */
  readonly heads: readonly HeadResult[]
  /** The multi-head targets' results, one per target (none when the run trains no target head). */
  readonly targets: readonly TargetHeadResult[]
  /** Each configured policy's target positions on the test rows, the primary first. */
  readonly positions: readonly Float64Array[]
  /** Every base model alone on each of its heads (evaluation.compare), in base_models order per head. */
  readonly alone?: readonly AloneResult[]
  /** Each configured policy's fit on the validation rows (undefined for a policy that does not learn). */
  readonly policyFits: readonly (PolicyFit | undefined)[]
}

/** A gate's member weights on a window's test rows, row-major (rows, members). */
export interface WindowGate {
  readonly name: string
  readonly members: readonly string[]
  readonly test: Float64Array
}

/**
 * The combined model's outputs on the window's validation and test rows. A combiner that learns online from closed
 * outcomes is run once over every sample-mask row after the training window up to the last test row, in time
 * order, as scoring the data file through the bundle runs it (so both see the same outcomes in the same order).
 */
function combinedOutputs(model: Model, data: RunData, window: EvalWindow, maxHolding: number) {
  const { lf, vopts } = data
  if (!onlineCombiner(model))
    return {
      val: modelOutputs(model, lf.frame, window.val, vopts),
      test: modelOutputs(model, lf.frame, window.test, vopts),
    }
  const from = window.train[window.train.length - 1] + 1
  const to = window.test[window.test.length - 1]
  const stream = Int32Array.from(data.mask.keys()).filter((r) => r >= from && r <= to && data.mask[r] === 1)
  const out = modelOutputs(
    model,
    lf.frame,
    stream,
    vopts,
    undefined,
    rowOutcomes(lf.labels, data.bars.ts, stream, maxHolding),
  )
  const position = new Map(Array.from(stream, (r, i) => [r, i]))
  const pick = (rows: Int32Array) => {
    const at = Array.from(rows, (r) => {
      const i = position.get(r)
      if (i === undefined) throw new Error(`online combiner: row ${r} is not in the sample stream`)
      return i
    })
    return {
      p: subRows(out.p, at, K),
      ...(out.weights ? { weights: subRows(out.weights, at, out.weights.length / stream.length) } : {}),
    }
  }
  return { val: pick(window.val), test: pick(window.test) }
}

/** Rows `at` of a row-major (n, w) array. */
function subRows(a: Float64Array, at: readonly number[], w: number): Float64Array {
  const out = new Float64Array(at.length * w)
  at.forEach((i, j) => out.set(a.subarray(i * w, (i + 1) * w), j * w))
  return out
}

/** `canary: false` skips the shuffled-label control (a sweep's trials are scored, not judged). */
export async function runWindowChain(
  ctx: RunContext,
  all: RunData,
  window: EvalWindow,
  opts: { readonly canary?: boolean } = {},
): Promise<WindowResult> {
  const { config } = ctx
  if (window.val.length === 0)
    throw new Error(
      'the validation split is empty: calibration and early stopping need it (splits.chronological.val > 0)',
    )
  // The regime models are fitted on this window's training rows; their columns join this window's frame.
  const regimes = fitWindowRegimes(ctx, all, window)
  const data = withRegimes(all, regimes)
  if (window.key === 'all' && regimes.length > 0) ctx.lap('regime models')
  const { lf, vopts } = data
  const yTrue = {
    train: classTargets(lf.labels, window.train),
    val: classTargets(lf.labels, window.val),
    test: classTargets(lf.labels, window.test),
  }
  const y: WindowTargets = config.control.shuffle_labels ? shuffledTargets(ctx, window, yTrue) : yTrue
  const scored: Scored[] = []
  const score = (name: string, kind: ModelKind, model: Model, features?: readonly string[]) => {
    const val = classProbabilities(model, lf.frame, window.val, vopts, features)
    const t0 = performance.now()
    const test = classProbabilities(model, lf.frame, window.test, vopts, features)
    const s = { name, kind, val, test, testSeconds: (performance.now() - t0) / 1000 }
    scored.push(s)
    return s
  }

  const heldOut = heldOutCombiner(config)
  let members: readonly FittedBase[]
  let combination: Combination | null = null
  if (heldOut) {
    combination = await fitHeldOutCombiner(ctx, data, window, y, heldOut, TASK)
    members = combination.members
    for (const m of members) score(m.name, 'base', m.model, m.features)
  } else {
    members = await fitBaseModels(ctx, data, window, y, TASK)
    for (const m of members) score(m.name, 'base', m.model, m.features)
    if (config.ensemble)
      combination = vote(config, members, (name) => scored.find((s) => s.name === name)!.val, y.val, TASK)
  }
  const final = combination?.model ?? members[0].model
  const finalName = combination?.name ?? members[0].name
  let raw = scored[0]
  let gate: WindowGate | null = null
  if (combination) {
    const out = combinedOutputs(final, data, window, config.labels.tripleBarrier.maxHolding)
    raw = { name: finalName, kind: 'ensemble', val: out.val.p, test: out.test.p }
    scored.push(raw)
    if (out.test.weights) gate = { name: finalName, members: members.map((m) => m.name), test: out.test.weights }
  }
  if (window.key === 'all' && combination) ctx.lap(heldOut ? `fit ${finalName}` : 'ensemble')

  const cal = await calibrationRows(ctx, data, window, y, raw.val, combination, TASK)
  const { chain: postProcessors, checks: postProcessorChecks } = fitCheckedPostProcessors(ctx, cal.p, cal.y)
  const ts = data.bars.ts
  const calibrated = {
    val: postProcess(postProcessors, raw.val, ts, window.val),
    test: postProcess(postProcessors, raw.test, ts, window.test),
  }
  if (postProcessors.length > 0) {
    scored.push({
      name: `${finalName}+${postProcessors.map((p) => p.name).join('+')}`,
      kind: 'calibrated',
      val: calibrated.val.p,
      test: calibrated.test.p,
    })
  }
  if (window.key === 'all') ctx.lap('calibration')
  const canary = opts.canary === false ? null : await fitCanary(ctx, data, window, yTrue, TASK)
  const heads = await fitOtherHeads(ctx, data, window)
  const targets = await fitTargetHeads(ctx, data, window)
  const headsTest = heads.reduce<Outputs>((all, h) => ({ ...all, ...h.test }), { n: window.test.length })
  const headsVal = heads.reduce<Outputs>((all, h) => ({ ...all, ...h.val }), { n: window.val.length })
  const policyFits = fitPolicies(
    config,
    { p: calibrated.val.p, heads: headsVal, rows: window.val },
    { p: calibrated.test.p, heads: headsTest, rows: window.test },
    data.bars,
    lf.vol,
    (kind) => ctx.seed('policy', window.key, kind),
  )
  if (window.key === 'all' && policyFits.some((f) => f)) ctx.lap('policy fit')
  const positions = decidePositions(
    config,
    calibrated.test.p,
    headsTest,
    data.bars,
    window.test,
    lf.vol,
    policyFits.map((f) => f?.state),
  )
  const alone = config.evaluation.compare
    ? modelsAlone(ctx, data, window, y.val, scored, members, heads, targets, headsTest)
    : undefined
  return {
    window,
    regimes,
    gate,
    yTrue,
    scored,
    final,
    finalName,
    members,
    combination,
    postProcessors,
    postProcessorChecks,
    canary,
    raw: { val: raw.val, test: raw.test },
    test: calibrated.test.p,
    ...(calibrated.test.sets ? { sets: calibrated.test.sets } : {}),
    calibrationSteps: calibrationSteps(postProcessors, raw.test),
    calibrationRows: { source: cal.source, rows: cal.y.length, unpredicted: cal.unpredicted },
    heads,
    targets,
    positions,
    ...(alone ? { alone } : {}),
    policyFits,
  }
}
