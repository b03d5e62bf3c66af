/**
 * The shuffled-label control: the primary p member refitted in each window on its training and validation labels
 * shuffled (seeded), with the same seed and rows as the real fit, and scored on the same test rows. A model with an
 * edge beats its own control's test AUC; one that does not has learnt nothing its labels carry.
 */
import { membersOf } from '../../config/heads.js'
import type { Task } from '../../models/contract.js'
import { registry } from '../../models/registry.js'
import { shuffled } from '../dataset.js'
import { classProbabilities } from '../predict.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import { fitBaseModel } from './fit.js'
import type { EvalWindow } from './windows.js'

export interface CanaryFit {
  /** The control's class probabilities on the window's test rows. */
  readonly test: Float64Array
  /** Wall time of its fit. */
  readonly seconds: number
}

/** Shuffled training and validation targets of a window (the seeds the run's own canary, shuffle_labels, uses). */
export function shuffledTargets(
  ctx: RunContext,
  window: EvalWindow,
  y: { readonly train: Float64Array; readonly val: Float64Array },
  head?: string,
) {
  const path = head === undefined ? [] : [head]
  return {
    train: shuffled(y.train, ctx.seed('canary', window.key, 'train', ...path)),
    val: shuffled(y.val, ctx.seed('canary', window.key, 'val', ...path)),
  }
}

/**
 * Why the run trains no control (null when it does): turned off, the run itself is the canary, or the primary
 * member is zero-shot (it never sees labels, so shuffling them tests nothing).
 */
export function noCanaryReason(config: RunContext['config']): string | null {
  if (config.control.shuffle_labels) return 'the run itself is trained on shuffled labels'
  if (!config.control.canary) return 'control.canary is off'
  const first = membersOf(config, 'p')[0]
  if (registry.get(first.spec.name)?.spec.zeroShot) return `${first.spec.name} is zero-shot (never fitted on labels)`
  return null
}

export async function fitCanary(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  yTrue: { readonly train: Float64Array; readonly val: Float64Array },
  task: Task,
): Promise<CanaryFit | null> {
  if (noCanaryReason(ctx.config) !== null) return null
  const first = membersOf(ctx.config, 'p')[0]
  const y = shuffledTargets(ctx, window, yTrue)
  const fitted = await fitBaseModel(ctx, data, window, y, task, first, `canary ${first.spec.name}`)
  const test = classProbabilities(fitted.model, data.lf.frame, window.test, data.vopts, fitted.features)
  return { test, seconds: fitted.fitSeconds ?? 0 }
}
