/**
 * The rows post-processors are fitted on (`inference.fit_on`): the final model's predictions on the validation
 * window, or purged out-of-fold predictions over the training window. Out of fold, the final model is refitted per
 * fold on the other folds' rows (purged and embargoed against the predicted fold, as stacking's members are), so
 * each training row is predicted by a model that never saw it or any label overlapping it; a voting ensemble is
 * rebuilt per fold from its members with the run's weights. Fold models fit without a validation set, so a model
 * that stops early on validation runs its full rounds there: its out-of-fold outputs are those of a slightly
 * different fit, as in any cross-validated calibration. Test rows are never among them.
 */
import { membersOf } from '../../config/heads.js'
import { outOfFoldPredictions } from '../../ensemble/oof.js'
import type { Task } from '../../models/contract.js'
import { K } from '../predict.js'
import { memberFitters, trainingWindowTargets, type Combination } from './combine.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { WindowTargets } from './fit.js'
import type { EvalWindow } from './windows.js'

export interface CalibrationRows {
  readonly source: 'validation' | 'oof'
  /** The final model's raw class probabilities on the calibration rows, row-major (n, 3). */
  readonly p: Float64Array
  readonly y: Float64Array
  /** Out of fold: training rows that no fold could predict (their purged training set was empty); never filled. */
  readonly unpredicted: number
}

export async function calibrationRows(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  y: WindowTargets,
  rawVal: Float64Array,
  combination: Combination | null,
  task: Task,
): Promise<CalibrationRows> {
  const { inference } = ctx.config
  if (inference.fit_on === 'validation') return { source: 'validation', p: rawVal, y: y.val, unpredicted: 0 }
  if (combination && !combination.weights)
    throw new Error(`inference.fit_on: oof is not available with ensemble.method ${combination.name}`)
  const oofConfig = inference.oof!
  // The final model's parts and their weights: the voting members, or the first base model alone.
  const weights: Record<string, number> = combination?.weights ?? { [membersOf(ctx.config, 'p')[0].spec.name]: 1 }
  const { yRow, spans } = trainingWindowTargets(data, window, y)
  const { fitters, dispose } = memberFitters(ctx, data, yRow, spans, task)
  const parts = fitters.filter((f) => f.name in weights)
  const bar = ctx.progress?.(
    window.key === 'all' ? 'calibration folds' : `calibration folds ${window.key.slice(0, 10)}`,
  )
  let oof
  try {
    oof = await outOfFoldPredictions(spans, parts, {
      classes: K,
      nFolds: oofConfig.n_folds,
      purgeBars: oofConfig.purge_bars,
      embargoBars: oofConfig.embargo_bars,
      seed: ctx.seed('calibration', window.key),
      threads: ctx.threads,
      ...(bar ? { progress: bar } : {}),
    })
  } finally {
    bar?.stop?.()
    dispose()
  }
  const total = parts.reduce((s, f) => s + weights[f.name], 0)
  const p = new Float64Array(oof.rows.length * K)
  oof.p.forEach((pm, m) => {
    const w = weights[parts[m].name] / total
    for (let i = 0; i < p.length; i++) p[i] += w * pm[i]
  })
  const yOof = Float64Array.from(oof.rows, (r) => yRow[r])
  if (p.length === 0) throw new Error('inference.fit_on: oof: no training row could be predicted out of fold')
  return { source: 'oof', p, y: yOof, unpredicted: oof.unpredicted.length }
}
