/**
 * The combine step of a run for combiners fitted on held-out member predictions (stacking on purged out-of-fold
 * predictions, blending on a holdout): every base model becomes a member fitter over dataset rows, the combiner's
 * registry entry runs the folds, fits the meta-learner and refits the members on the whole training window.
 */
import type { ResolvedConfig } from '../config/load.js'
import type { CombinerParams } from '../config/schema.js'
import { combinedModel, type CombinedMember } from '../ensemble/combined.js'
import type { GuardReport } from '../ensemble/combiner.js'
import { modelFitter } from '../ensemble/oof.js'
import { combinerRegistry } from '../ensemble/registry.js'
import { selectColumns } from '../ensemble/voting.js'
import type { Model, Task } from '../models/contract.js'
import { createModel } from '../models/registry.js'
import { spansFromT1Index } from '../validation/spans.js'
import type { LabeledFrame } from './dataset.js'
import { buildView, type ViewOptions } from './predict.js'

export interface CombineInput {
  readonly config: ResolvedConfig
  readonly params: CombinerParams
  readonly task: Task
  readonly lf: LabeledFrame
  readonly vopts: ViewOptions
  readonly train: Int32Array
  readonly val: Int32Array
  /** Class targets of the train and val rows (shuffled for the leakage canary), in their order. */
  readonly y: { readonly train: Float64Array; readonly val: Float64Array }
}

export interface Combined {
  readonly model: Model & { readonly members: readonly CombinedMember[] }
  readonly guard: GuardReport | null
}

export async function fitCombined(input: CombineInput): Promise<Combined> {
  const { config, params, lf, vopts, train, val } = input
  const n = lf.frame.length
  // Targets by dataset row: the combiner's folds and guard index them by row.
  const y = new Float64Array(n).fill(Number.NaN)
  train.forEach((r, i) => (y[r] = input.y.train[i]))
  val.forEach((r, i) => (y[r] = input.y.val[i]))
  // The training window's samples and their label spans: the folds are purged and embargoed on these.
  const t1 = new Int32Array(n).fill(-1)
  for (const r of train) t1[r] = lf.labels.t1Index[r]
  const spans = spansFromT1Index(t1)
  const members = config.base_models.map((spec, i) => {
    const kind = createModel(spec.name, spec.config, input.task, `base_models.${i}.config`).spec.inputView
    return modelFitter({
      name: spec.name,
      create: () => createModel(spec.name, spec.config, input.task, `base_models.${i}.config`),
      view: (rows) => {
        const v = buildView(kind, lf.frame, rows, vopts)
        return spec.features && v.kind === 'feature_matrix' ? selectColumns(v, spec.features) : v
      },
      y,
    })
  })
  const entry = combinerRegistry.get(params.method)
  if (!entry) throw new Error(`ensemble.method: no combiner "${params.method}"`)
  const fit = await entry.fit(
    params,
    { task: input.task, spans, y, members, validation: val },
    { seed: config.seed, threads: config.threads },
  )
  const fitted = fit.members.map((m, i): CombinedMember => {
    if (!m.model) throw new Error(`${params.method}: member "${m.name}" came back without its model`)
    const features = config.base_models[i].features
    return { name: m.name, model: m.model, ...(features ? { features } : {}) }
  })
  return { model: combinedModel(fit.combiner, fitted, input.task), guard: fit.guard ?? null }
}
