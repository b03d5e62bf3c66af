/**
 * The other heads of a window (config/heads.ts): the binary p_up, the E_r point forecast and the q05/q50/q95 band.
 * Each member is fitted on the window's training rows (early-stopped on its validation rows) against its target (up
 * against the rest for p_up, the forward return at the triple barrier's horizon for the others), except a zero-shot
 * one (a foundation model), which is used as exported and never fitted; a head with several members averages them (E_r the mean of the forecasts, the band the
 * mean of each quantile level: quantiles combined as quantiles, and order kept since every member's is). The head's
 * uncertainty method (split around E_r, cqr on the band) is fitted on the combined validation outputs. Scored on
 * validation and test rows; nothing is fitted on test rows.
 */
import { headTask, membersOf, type Head } from '../../config/heads.js'
import { selectColumns } from '../../ensemble/voting.js'
import {
  applyPostProcessors,
  fitPostProcessor,
  postProcessorRegistry,
  type FittedPostProcessor,
  type PostProcessorEntry,
} from '../../inference/post-processors.js'
import type { Model, Outputs } from '../../models/contract.js'
import { createModel } from '../../models/registry.js'
import type { FeatureFrame } from '../../features/frame.js'
import { buildView, type ViewOptions } from '../predict.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { EvalWindow } from './windows.js'
import { uncertaintySteps } from './post-process.js'
import { fitHeadResamples, predictResamples, type HeadResamples, type ResampleParams } from './head-resamples.js'
import { outcomeTimeline } from '../dataset.js'
import { memberSlice } from './regime.js'
import { shuffledTargets } from './canary.js'

export type OtherHead = Exclude<Head, 'p'>
export const OTHER_HEADS: readonly OtherHead[] = ['p_up', 'E_r', 'quantiles']

/** The post-processors' `actsOn` of each head that has any (p_up takes none). */
export const ACTS_ON: Partial<Record<OtherHead, PostProcessorEntry['actsOn']>> = {
  E_r: 'regression',
  quantiles: 'quantiles',
}

/** A fitted member of a head: its registry name, base_models index, model and feature slice. */
export interface HeadMember {
  readonly name: string
  readonly index: number
  readonly model: Model
  readonly features?: readonly string[]
  /** Wall time of its fit (absent for a zero-shot member, never fitted). */
  readonly fitSeconds?: number
}

/** One member's own outputs on the window's validation and test rows, and the time it took to score the test rows. */
export interface MemberOutputs {
  readonly val: Outputs
  readonly test: Outputs
  readonly testSeconds: number
}

export interface HeadResult {
  readonly head: OtherHead
  readonly members: readonly HeadMember[]
  /** The members refitted per resample of the training window, when the head's uncertainty method needs them. */
  readonly resamples?: readonly (readonly HeadMember[])[]
  readonly postProcessors: readonly FittedPostProcessor[]
  /** Each member's own outputs, in members' order (raw is their combination). */
  readonly memberOutputs: readonly MemberOutputs[]
  /** Outputs on validation and test rows, raw and after the post-processors. */
  readonly raw: { readonly val: Outputs; readonly test: Outputs }
  readonly val: Outputs
  readonly test: Outputs
  /** True forward returns of validation and test rows (never shuffled). */
  readonly yVal: Float64Array
  readonly yTest: Float64Array
}

/** The output arrays of a head, by name. */
export function headColumns(head: OtherHead): readonly (keyof Outputs)[] {
  return head === 'p_up' ? ['p_up'] : head === 'E_r' ? ['E_r'] : ['q05', 'q50', 'q95']
}

/** `out` checked: every value of the head's columns finite, the error naming the model, column and row. */
export function checkHeadOutputs(out: Outputs, head: OtherHead, who: string, rows: Int32Array): Outputs {
  for (const col of headColumns(head)) {
    const v = out[col] as Float64Array | undefined
    if (!v || v.length !== out.n) throw new Error(`${who} gave no ${String(col)} output`)
    for (let i = 0; i < v.length; i++)
      if (!Number.isFinite(v[i]) || (head === 'p_up' && !(v[i] >= 0 && v[i] <= 1)))
        throw new Error(`${who} gave ${String(col)} = ${v[i]} for dataset row ${rows[i]}`)
  }
  return out
}

/** The head's combined outputs: the members' mean, column by column. */
export function combineHead(outs: readonly Outputs[], head: OtherHead): Outputs {
  const n = outs[0].n
  // Only the head's columns travel on (a binary model's 2-class p is not the run's p).
  if (outs.length === 1)
    return Object.fromEntries([['n', n], ...headColumns(head).map((c) => [c, outs[0][c]])]) as unknown as Outputs
  const combined: Record<string, unknown> = { n }
  for (const col of headColumns(head)) {
    const mean = new Float64Array(n)
    for (const o of outs) {
      const v = o[col] as Float64Array
      for (let i = 0; i < n; i++) mean[i] += v[i]
    }
    for (let i = 0; i < n; i++) mean[i] /= outs.length
    combined[col] = mean
  }
  return combined as unknown as Outputs
}

/** Outputs without the inputs only a post-processor reads (resampled predictions, the outcome timeline). */
export function strip(out: Outputs): Outputs {
  const { resampled: _resampled, timeline: _timeline, ...rest } = out
  return rest
}

/** The combined outputs of a head's members on dataset rows. */
export function predictMembers(
  members: readonly Pick<HeadMember, 'model' | 'features'>[],
  head: OtherHead,
  frame: FeatureFrame,
  vopts: ViewOptions,
  rows: Int32Array,
): Outputs {
  return combineHead(
    members.map((m) => predictHead(m.model, head, m.features, frame, vopts, rows)),
    head,
  )
}

/** Predictions of one head's member on dataset rows. */
export function predictHead(
  model: Model,
  head: OtherHead,
  features: readonly string[] | undefined,
  frame: FeatureFrame,
  vopts: ViewOptions,
  rows: Int32Array,
): Outputs {
  const v = buildView(model.spec.inputView, frame, rows, vopts)
  const x = features && v.kind === 'feature_matrix' ? selectColumns(v, features) : v
  return checkHeadOutputs(model.predict(x), head, `model ${model.spec.name} (${head} head)`, rows)
}

export async function fitOtherHeads(ctx: RunContext, data: RunData, window: EvalWindow): Promise<HeadResult[]> {
  const { config } = ctx
  const forward = data.lf.forward
  const results: HeadResult[] = []
  for (const head of OTHER_HEADS) {
    const specs = membersOf(config, head)
    if (specs.length === 0) continue
    if (head !== 'p_up' && !forward)
      throw new Error(`the ${head} head needs forward returns, which the dataset stage did not build`)
    const label = data.lf.labels.label
    // p_up: the triple-barrier label, up (1) against down and flat (0); the others: the forward return.
    const target = (rows: Int32Array) =>
      Float64Array.from(rows, (r) => (head === 'p_up' ? (label[r] === 1 ? 1 : 0) : forward![r]))
    const yTrue = { train: target(window.train), val: target(window.val), test: target(window.test) }
    const y = config.control.shuffle_labels ? shuffledTargets(ctx, window, yTrue, head) : yTrue
    const members: HeadMember[] = []
    for (const { spec, index } of specs) {
      const model = createModel(spec.name, spec.config, headTask(head), `base_models.${index}.config`, spec.view)
      if (model.spec.zeroShot) {
        // Zero-shot (a foundation model): used as exported, never fitted; it only forecasts the val and test rows.
        // (The run logs this once, when it checks the model before any work: src/pipeline/zero-shot.ts.)
        members.push({ name: spec.name, index, model })
        continue
      }
      const features = memberSlice(spec.features, model.spec.inputView, data.lf.frame)
      const view = (rows: Int32Array) => {
        const v = buildView(model.spec.inputView, data.lf.frame, rows, data.vopts)
        return features && v.kind === 'feature_matrix' ? selectColumns(v, features) : v
      }
      const label = `fit ${spec.name} ${head}${window.key === 'all' ? '' : ` ${window.key.slice(0, 10)}`}`
      const bar = ctx.progress?.(label)
      const t0 = performance.now()
      try {
        await model.fit(
          { x: view(window.train), y: y.train },
          { x: view(window.val), y: y.val },
          {
            seed: ctx.seed('fit', window.key, spec.name, head),
            threads: ctx.threads,
            progress: bar,
          },
        )
      } finally {
        bar?.stop?.()
      }
      const fitSeconds = (performance.now() - t0) / 1000
      members.push({ name: spec.name, index, model, ...(features ? { features } : {}), fitSeconds })
      if (window.key === 'all') ctx.lap(`fit ${spec.name} ${head}`)
    }
    const memberOutputs = members.map((m): MemberOutputs => {
      const predict = (rows: Int32Array) => predictHead(m.model, head, m.features, data.lf.frame, data.vopts, rows)
      const val = predict(window.val)
      const t0 = performance.now()
      const test = predict(window.test)
      return { val, test, testSeconds: (performance.now() - t0) / 1000 }
    })
    const raw = {
      val: combineHead(
        memberOutputs.map((o) => o.val),
        head,
      ),
      test: combineHead(
        memberOutputs.map((o) => o.test),
        head,
      ),
    }
    const postProcessors: FittedPostProcessor[] = []
    const actsOn = ACTS_ON[head]
    let resamples: HeadResamples | undefined
    // What the method reads besides the head's outputs: resamples' predictions, the outcome timeline.
    let inputs: ((rows: Int32Array, outcomes: Float64Array) => Partial<Outputs>) | null = null
    for (const step of actsOn ? uncertaintySteps(config.inference, actsOn) : []) {
      const entry = postProcessorRegistry.get(step.name)!
      const fitCtx = entry.online ? { onlineFrom: data.bars.ts[window.test[0]] } : {}
      if (entry.resampling) {
        const params = step.params as unknown as ResampleParams
        resamples = await fitHeadResamples(ctx, data, window, head, specs, y.train, entry.resampling, params)
        if (window.key === 'all') ctx.lap(`resamples ${head}`)
        postProcessors.push(fitPostProcessor(step.name, step.params, resamples.calibration, resamples.y, fitCtx))
      } else
        postProcessors.push(
          fitPostProcessor(step.name, step.params, applyPostProcessors(postProcessors, raw.val), y.val, fitCtx),
        )
      const models = resamples?.models
      inputs = (rows, outcomes) => ({
        ...(models ? { resampled: predictResamples(models, head, data, rows) } : {}),
        ...(entry.online ? { timeline: { ...outcomeTimeline(data.bars.ts, data.lf, rows), y: outcomes } } : {}),
      })
    }
    const withInputs = (out: Outputs, rows: Int32Array, outcomes: Float64Array): Outputs => ({
      ...out,
      ...inputs?.(rows, outcomes),
    })
    results.push({
      head,
      members,
      ...(resamples ? { resamples: resamples.models } : {}),
      postProcessors,
      memberOutputs,
      raw,
      val: strip(applyPostProcessors(postProcessors, withInputs(raw.val, window.val, yTrue.val))),
      test: strip(applyPostProcessors(postProcessors, withInputs(raw.test, window.test, yTrue.test))),
      yVal: yTrue.val,
      yTest: yTrue.test,
    })
  }
  return results
}

/**
 * The CSV columns a head adds to predictions: p_up_binary (named apart from the p head's p_up), E_r (and q_lo, q_hi
 * with an interval), or q05, q50, q95.
 */
export function headCsvColumns(head: OtherHead, inference: RunContext['config']['inference']): string[] {
  if (head === 'p_up') return ['p_up_binary']
  if (head === 'quantiles') return ['q05', 'q50', 'q95']
  return uncertaintySteps(inference, 'regression').length > 0 ? ['E_r', 'q_lo', 'q_hi'] : ['E_r']
}
