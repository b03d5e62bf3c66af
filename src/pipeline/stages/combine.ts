/**
 * Combine stage. A voting ensemble averages members fitted by the fit stage. Stacking and blending fit their members
 * themselves: every base model becomes a member fitter over dataset rows, the combiner's registry entry runs the
 * purged folds (or the holdout), fits the meta-learner and refits the members on the whole training window.
 */
import { membersOf } from '../../config/heads.js'
import type { CombinerParams } from '../../config/schema.js'
import { combinedModel, type CombinedMember } from '../../ensemble/combined.js'
import type { GuardReport, MetaFeatureSource } from '../../ensemble/combiner.js'
import { modelFitter, type MemberFitter } from '../../ensemble/oof.js'
import { combinerName, combinerRegistry } from '../../ensemble/registry.js'
import { sharedMatrix, type SharedMatrix } from '../../features/views/shared.js'
import { selectColumns, votingEnsemble, type VotingMember } from '../../ensemble/voting.js'
import { accuracy } from '../../inference/calibration/metrics.js'
import { similar } from '../../core/suggest.js'
import type { Model, Task } from '../../models/contract.js'
import { createModel } from '../../models/registry.js'
import { spansFromT1Index, type LabelSpans } from '../../validation/spans.js'
import { buildView, K } from '../predict.js'
import { matrixFor, rowOutcomes } from '../dataset.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { FittedBase, WindowTargets } from './fit.js'
import type { EvalWindow } from './windows.js'
import { ENSEMBLE_REGIME, memberSlice } from './regime.js'
import { regimeProbabilityNames } from '../../models/regime/spec.js'

export interface Combination {
  readonly model: Model
  readonly name: string
  /** The members it combines, fitted on the whole training window. */
  readonly members: readonly FittedBase[]
  readonly weights: Record<string, number> | null
  readonly guard: GuardReport | null
}

/** The `ensemble` section when it names a combiner fitted on held-out member predictions (stacking, blending). */
export function heldOutCombiner(config: RunContext['config']): CombinerParams | null {
  return config.ensemble && !('kind' in config.ensemble) ? config.ensemble : null
}

export async function fitHeldOutCombiner(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  y: WindowTargets,
  params: CombinerParams,
  task: Task,
): Promise<Combination> {
  const { config } = ctx
  const { yRow, spans } = trainingWindowTargets(data, window, y)
  const { fitters: members, dispose } = memberFitters(ctx, data, yRow, spans, task)
  const name = combinerName(params)
  const entry = combinerRegistry.get(name)
  if (!entry) throw new Error(`ensemble: no combiner "${name}"`)
  const extra = regimeFeatures(
    [
      ...('regime_features' in params ? params.regime_features : []),
      ...('context_features' in params ? params.context_features : []),
      ...(params.regime ? regimeProbabilityNames(ENSEMBLE_REGIME, params.regime.states) : []),
    ],
    data,
  )
  const bar = ctx.progress?.(window.key === 'all' ? `fit ${name}` : `fit ${name} ${window.key}`)
  let fit
  try {
    fit = await entry.fit(
      params,
      {
        task,
        spans,
        y: yRow,
        members,
        validation: window.val,
        ...(extra ? { extra } : {}),
        // True outcomes (never the canary's shuffle): what an online combiner meets after training.
        outcomes: (rows) => rowOutcomes(data.lf.labels, data.bars.ts, rows, ctx.config.labels.tripleBarrier.maxHolding),
      },
      { seed: ctx.seed('combine', window.key), threads: ctx.threads, progress: bar },
    )
  } finally {
    bar?.stop?.()
    dispose()
  }
  const specs = membersOf(config, 'p')
  const fitted = fit.members.map((m, i): CombinedMember => {
    if (!m.model) throw new Error(`${name}: member "${m.name}" came back without its model`)
    const features = memberSlice(specs[i].spec.features, m.model.spec.inputView, data.lf.frame)
    return { name: m.name, model: m.model, ...(features ? { features: [...features] } : {}) }
  })
  return {
    model: combinedModel(fit.combiner, fitted, task),
    name,
    members: fitted,
    weights: null,
    guard: fit.guard ?? null,
  }
}

/** Targets by dataset row (training and validation rows of the window) and the training rows' label spans. */
export function trainingWindowTargets(
  data: RunData,
  window: EvalWindow,
  y: WindowTargets,
): { yRow: Float64Array; spans: LabelSpans } {
  const { lf } = data
  const n = lf.frame.length
  // Targets by dataset row: folds and guards index them by row.
  const yRow = new Float64Array(n).fill(Number.NaN)
  window.train.forEach((r, i) => (yRow[r] = y.train[i]))
  window.val.forEach((r, i) => (yRow[r] = y.val[i]))
  // The training window's samples and their label spans: folds are purged and embargoed on these.
  const t1 = new Int32Array(n).fill(-1)
  for (const r of window.train) t1[r] = lf.spanEnd[r]
  return { yRow, spans: spansFromT1Index(t1) }
}

/**
 * A fitter per base model of the p head over dataset rows of the training window, for out-of-fold folds and refits. Feature-matrix
 * members share one matrix of the window's rows per feature selection, so each fold's rows are sliced from it
 * rather than gathered and converted again; `dispose` frees those matrices.
 */
export function memberFitters(
  ctx: RunContext,
  data: RunData,
  yRow: Float64Array,
  spans: LabelSpans,
  task: Task,
): { fitters: MemberFitter[]; dispose: () => void } {
  const { config } = ctx
  const { lf, vopts } = data
  const shared = new Map<string, SharedMatrix>()
  const sharedFor = (features: readonly string[] | undefined): SharedMatrix => {
    const key = features ? JSON.stringify(features) : '*'
    let m = shared.get(key)
    if (!m) {
      const all = matrixFor(lf.frame, spans.row)
      m = sharedMatrix(features ? selectColumns(all, features) : all, spans.row)
      shared.set(key, m)
    }
    return m
  }
  const fitters = membersOf(config, 'p').map(({ spec, index: i }) => {
    const kind = createModel(spec.name, spec.config, task, `base_models.${i}.config`, spec.view).spec.inputView
    const features = memberSlice(spec.features, kind, lf.frame)
    return modelFitter({
      name: spec.name,
      create: () => createModel(spec.name, spec.config, task, `base_models.${i}.config`, spec.view),
      view: (rows) => {
        if (kind === 'feature_matrix') {
          const subset = sharedFor(features).subset(rows)
          if (subset) return subset
        }
        const v = buildView(kind, lf.frame, rows, vopts)
        return features && v.kind === 'feature_matrix' ? selectColumns(v, features) : v
      },
      y: yRow,
    })
  })
  return { fitters, dispose: () => shared.forEach((m) => m.dispose()) }
}

/**
 * What the combiner sees beside the members' outputs, by dataset row: `ensemble.regime_features` (feature columns)
 * and the ensemble regime's filtered probabilities.
 */
function regimeFeatures(names: readonly string[], data: RunData): MetaFeatureSource | undefined {
  if (names.length === 0) return undefined
  const { frame } = data.lf
  const missing = names.filter((n) => !frame.names.includes(n))
  if (missing.length > 0) {
    const near = [...new Set(missing.flatMap((m) => similar(m, frame.names)))].slice(0, 8)
    throw new Error(
      `ensemble.regime_features: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not a feature of this run` +
        `${near.length ? ` (similar: ${near.join(', ')})` : ''}; mlf features lists them`,
    )
  }
  return { names, values: (rows) => selectColumns(matrixFor(frame, rows), names).data }
}

/**
 * Voting over members already fitted, weighted uniformly, by validation accuracy above chance (never test), or by
 * explicit weights.
 */
export function vote(
  config: RunContext['config'],
  fitted: readonly FittedBase[],
  valProbabilities: (name: string) => Float64Array,
  yVal: Float64Array,
  task: Task,
): Combination {
  const voting = config.ensemble && 'kind' in config.ensemble ? config.ensemble : null
  if (!voting) throw new Error('vote: the config has no voting ensemble')
  const names = voting.members ?? fitted.map((f) => f.name)
  const chosen = names.map((n) => fitted.find((f) => f.name === n)!)
  const w = voting.weights
  const weights =
    w === 'uniform'
      ? chosen.map(() => 1)
      : w === 'val_accuracy'
        ? // Floored so every member keeps a voice.
          chosen.map((c) => Math.max(1e-3, accuracy(valProbabilities(c.name), yVal, K) - 1 / K))
        : w
  const members: VotingMember[] = chosen.map((c, k) => ({
    name: c.name,
    model: c.model,
    weight: weights[k],
    features: c.features,
  }))
  return {
    model: votingEnsemble(members, task),
    name: 'voting',
    members: fitted,
    weights: Object.fromEntries(members.map((m) => [m.name, m.weight])),
    guard: null,
  }
}
