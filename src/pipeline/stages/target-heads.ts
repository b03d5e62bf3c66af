/**
 * The multi-head targets of a window (config/targets.ts): for every target of every target head a run trains, each
 * member listing the head is fitted on the window's training rows where the target is defined (direction only where
 * the move was tradeable and its first touch known, strength where volatility is positive), early-stopped on the
 * validation rows where it is defined, and the head's members are averaged. Predictions cover every validation and
 * test row; metrics use the rows whose target is defined. Nothing is fitted on test rows.
 */
import { targetSpecs, TARGET_HEADS, type TargetSpec } from '../../config/targets.js'
import { membersOf } from '../../config/heads.js'
import { selectColumns } from '../../ensemble/voting.js'
import type { FeatureFrame } from '../../features/frame.js'
import type { MultiHeadTargets } from '../../labels/targets.js'
import type { Model } from '../../models/contract.js'
import { createModel } from '../../models/registry.js'
import type { LabeledFrame } from '../dataset.js'
import { buildView, type ViewOptions } from '../predict.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { HeadMember, MemberOutputs } from './heads.js'
import type { EvalWindow } from './windows.js'
import { shuffledTargets } from './canary.js'

export interface TargetHeadResult {
  readonly spec: TargetSpec
  readonly members: readonly HeadMember[]
  /** Each member's own predictions (`p_up` for a binary target, `E_r` for strength), in members' order. */
  readonly memberOutputs: readonly MemberOutputs[]
  /** Predictions at every validation and test row: a probability for a binary target, a value for strength. */
  readonly val: Float64Array
  readonly test: Float64Array
  /** The targets of those rows, NaN where undefined (never shuffled). */
  readonly yVal: Float64Array
  readonly yTest: Float64Array
}

/** Every target the config trains, in head order. */
export function configTargets(config: RunContext['config']): TargetSpec[] {
  return TARGET_HEADS.filter((h) => membersOf(config, h).length > 0).flatMap((h) =>
    targetSpecs(h, config.labels.targets),
  )
}

/** The target of `spec` at every bar (NaN where it is undefined). */
export function targetValues(lf: Pick<LabeledFrame, 'multiHead'>, spec: TargetSpec): Float64Array {
  const t: MultiHeadTargets | undefined = lf.multiHead?.get(spec.horizon)
  if (!t) throw new Error(`${spec.column}: the dataset stage built no multi-head targets at horizon ${spec.horizon}`)
  if (spec.head === 'reach') {
    const r = t.reach.find((x) => x.threshold === spec.threshold)
    if (!r) throw new Error(`${spec.column}: no reach target at threshold ${spec.threshold}`)
    return r[spec.side!]
  }
  return t[spec.head]
}

/** A member's prediction of the target at `rows`, checked finite (and a probability for a binary target). */
export function predictTarget(
  model: Model,
  spec: TargetSpec,
  features: readonly string[] | undefined,
  frame: FeatureFrame,
  vopts: ViewOptions,
  rows: Int32Array,
): Float64Array {
  const v = buildView(model.spec.inputView, frame, rows, vopts)
  const out = model.predict(features && v.kind === 'feature_matrix' ? selectColumns(v, features) : v)
  const values = spec.task === 'binary' ? out.p_up : out.E_r
  const who = `model ${model.spec.name} (${spec.column} target)`
  if (!values || values.length !== rows.length)
    throw new Error(`${who} gave no ${spec.task === 'binary' ? 'p_up' : 'E_r'} output`)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (!Number.isFinite(v) || (spec.task === 'binary' && !(v >= 0 && v <= 1)))
      throw new Error(`${who} gave ${v} for dataset row ${rows[i]}`)
  }
  return values
}

/** The members' mean prediction at `rows`. */
export function predictTargetMembers(
  members: readonly Pick<HeadMember, 'model' | 'features'>[],
  spec: TargetSpec,
  frame: FeatureFrame,
  vopts: ViewOptions,
  rows: Int32Array,
): Float64Array {
  return meanOf(members.map((m) => predictTarget(m.model, spec, m.features, frame, vopts, rows)))
}

/** The mean of the members' predictions, row by row. */
function meanOf(values: readonly Float64Array[]): Float64Array {
  const mean = new Float64Array(values[0].length)
  for (const v of values) for (let i = 0; i < v.length; i++) mean[i] += v[i]
  if (values.length > 1) for (let i = 0; i < mean.length; i++) mean[i] /= values.length
  return mean
}

/** The rows of `rows` whose target is defined. */
const defined = (rows: Int32Array, y: Float64Array) => rows.filter((r) => !Number.isNaN(y[r]))

export async function fitTargetHeads(ctx: RunContext, data: RunData, window: EvalWindow): Promise<TargetHeadResult[]> {
  const { config } = ctx
  const { frame } = data.lf
  const results: TargetHeadResult[] = []
  for (const spec of configTargets(config)) {
    const yAll = targetValues(data.lf, spec)
    const train = defined(window.train, yAll)
    const val = defined(window.val, yAll)
    const labelled = Float64Array.from(train, (r) => yAll[r])
    if (spec.task === 'binary' && (labelled.every((v) => v === 0) || labelled.every((v) => v === 1)))
      throw new Error(
        `${spec.column}: every one of the ${train.length} training rows where it is defined is ${labelled[0] ?? '-'}; ` +
          'a binary target needs both outcomes (change labels.targets or use more data)',
      )
    if (train.length === 0 || val.length === 0)
      throw new Error(
        `${spec.column}: no ${train.length === 0 ? 'training' : 'validation'} row has this target defined`,
      )
    const yVal = Float64Array.from(val, (r) => yAll[r])
    const given = { train: labelled, val: yVal }
    const y = config.control.shuffle_labels ? shuffledTargets(ctx, window, given, spec.column) : given
    const members: HeadMember[] = []
    for (const { spec: m, index } of membersOf(config, spec.head)) {
      const model = createModel(m.name, m.config, { kind: spec.task }, `base_models.${index}.config`, m.view)
      const view = (rows: Int32Array) => {
        const v = buildView(model.spec.inputView, frame, rows, data.vopts)
        return m.features && v.kind === 'feature_matrix' ? selectColumns(v, m.features) : v
      }
      const label = `fit ${m.name} ${spec.column}${window.key === 'all' ? '' : ` ${window.key.slice(0, 10)}`}`
      const bar = ctx.progress?.(label)
      const t0 = performance.now()
      try {
        await model.fit(
          { x: view(train), y: y.train },
          { x: view(val), y: y.val },
          { seed: ctx.seed('fit', window.key, m.name, spec.column), threads: ctx.threads, progress: bar },
        )
      } finally {
        bar?.stop?.()
      }
      const fitSeconds = (performance.now() - t0) / 1000
      members.push({ name: m.name, index, model, ...(m.features ? { features: m.features } : {}), fitSeconds })
      if (window.key === 'all') ctx.lap(`fit ${m.name} ${spec.column}`)
    }
    const column = spec.task === 'binary' ? 'p_up' : 'E_r'
    const memberOutputs = members.map((m): MemberOutputs => {
      const predict = (rows: Int32Array) => predictTarget(m.model, spec, m.features, frame, data.vopts, rows)
      const val = predict(window.val)
      const t0 = performance.now()
      const test = predict(window.test)
      const testSeconds = (performance.now() - t0) / 1000
      return { val: { n: val.length, [column]: val }, test: { n: test.length, [column]: test }, testSeconds }
    })
    const values = (split: 'val' | 'test') => memberOutputs.map((o) => o[split][column]!)
    results.push({
      spec,
      members,
      memberOutputs,
      val: meanOf(values('val')),
      test: meanOf(values('test')),
      yVal: Float64Array.from(window.val, (r) => yAll[r]),
      yTest: Float64Array.from(window.test, (r) => yAll[r]),
    })
  }
  return results
}
