/** Fit stage: each base model of the p head on the window's training rows, early-stopped on its validation rows. */
import { membersOf } from '../../config/heads.js'
import { selectColumns } from '../../ensemble/voting.js'
import type { Dataset, Model, Task } from '../../models/contract.js'
import { createModel } from '../../models/registry.js'
import { buildView } from '../predict.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { EvalWindow } from './windows.js'

export interface FittedBase {
  readonly name: string
  readonly model: Model
  /** The feature-matrix columns it takes (all when absent). */
  readonly features?: readonly string[]
  /** Wall time of its fit (absent where a combiner fitted it inside its folds). */
  readonly fitSeconds?: number
}

/** Targets of a window's training and validation rows (shuffled for the leakage canary). */
export interface WindowTargets {
  readonly train: Float64Array
  readonly val: Float64Array
}

type MemberSpec = ReturnType<typeof membersOf<RunContext['config']['base_models'][number]>>[number]

/** One base model of the p head fitted on the window's training rows (`label` names its progress bar and lap). */
export async function fitBaseModel(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  y: WindowTargets,
  task: Task,
  { index: i, spec }: MemberSpec,
  label = `fit ${spec.name}`,
): Promise<FittedBase> {
  const model = createModel(spec.name, spec.config, task, `base_models.${i}.config`, spec.view)
  const view = (rows: Int32Array) => {
    const v = buildView(model.spec.inputView, data.lf.frame, rows, data.vopts)
    return spec.features && v.kind === 'feature_matrix' ? selectColumns(v, spec.features) : v
  }
  const train: Dataset = { x: view(window.train), y: y.train }
  const val: Dataset = { x: view(window.val), y: y.val }
  const bar = ctx.progress?.(window.key === 'all' ? label : `${label} ${window.key.slice(0, 10)}`)
  const t0 = performance.now()
  try {
    await model.fit(train, val, { seed: ctx.seed('fit', window.key, spec.name), threads: ctx.threads, progress: bar })
  } finally {
    bar?.stop?.()
  }
  const fitSeconds = (performance.now() - t0) / 1000
  if (window.key === 'all') ctx.lap(label)
  return { name: spec.name, model, ...(spec.features ? { features: spec.features } : {}), fitSeconds }
}

export async function fitBaseModels(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  y: WindowTargets,
  task: Task,
): Promise<FittedBase[]> {
  const fitted: FittedBase[] = []
  for (const member of membersOf(ctx.config, 'p')) fitted.push(await fitBaseModel(ctx, data, window, y, task, member))
  return fitted
}
