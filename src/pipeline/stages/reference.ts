/**
 * The drift reference of a run's bundle, from the last evaluation window (whose chain the bundle holds): every feature
 * over its training and validation rows (everything the chain was fitted on), and every output of the chain over its
 * validation rows, the end of the training window that the models were not fitted on, so that the outputs are out of
 * sample as live outputs are (a model's outputs on its own training rows are more confident than anywhere else). Never
 * a test row. The outputs are scored through the same function `mlf predict` uses, so the reference describes what
 * the bundle itself gives. Bins: the config's monitor.bins.
 */
import { buildReference, type DriftReference } from '../../monitor/reference.js'
import { scoreRows, type ScoringChain } from '../scoring.js'
import { outputColumns } from '../predict.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { EvalWindow } from './windows.js'
import { withRegimeColumns, type RegimeLink } from './regime.js'

/** The window's training and validation rows, ascending (validation follows training in every window). */
export function referenceRows(window: EvalWindow): Int32Array {
  const rows = new Int32Array(window.train.length + window.val.length)
  rows.set(window.train)
  rows.set(window.val, window.train.length)
  return rows.sort()
}

export function driftReferenceStage(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  chain: ScoringChain,
  regimes: readonly RegimeLink[] = [],
): DriftReference {
  const { frame } = data.lf
  const rows = referenceRows(window)
  // The chain reads the regime models' columns beside the features; the reference describes the features alone.
  const scored = scoreRows(chain, withRegimeColumns(frame, data.bars, regimes), window.val, data.bars)
  const reference = buildReference({
    interval: ctx.config.data.interval,
    bins: ctx.config.monitor.bins,
    features: {
      from: frame.ts[rows[0]],
      to: frame.ts[rows[rows.length - 1]],
      columns: frame.names.map((name, j) => ({
        name,
        group: frame.specs[j].group,
        values: Float64Array.from(rows, (r) => frame.columns[j][r]),
      })),
    },
    outputs: {
      from: frame.ts[window.val[0]],
      to: frame.ts[window.val[window.val.length - 1]],
      columns: outputColumns(scored.p, scored.heads, scored.weights),
    },
  })
  ctx.lap('drift reference')
  return reference
}
