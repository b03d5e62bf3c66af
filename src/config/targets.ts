/**
 * The multi-head targets of `base_models[].outputs` (src/labels/targets.ts), each trained at every horizon of
 * `labels.targets.horizons`:
 *
 * - `tradeable`: 1 when the price moves at least `tradeableReturn` either way within the horizon (binary);
 * - `direction`: given tradeable, 1 when the up threshold is touched first (binary, trained and scored only on
 *   tradeable rows whose first touch is known);
 * - `strength`: the forward return in volatility units (regression);
 * - `reach`: 1 when the high (up), the low (down) or either reaches each of `reachThresholds` within the horizon
 *   (binary, one target per threshold and side).
 *
 * Each (head, horizon, threshold, side) is one target with its own column (`tradeable_h60`, `reach_up_10bp_h60`), and
 * a member listing the head is fitted once per target.
 */
import type { Task } from '../models/contract.js'
import type { TargetsConfig } from '../labels/config.js'

export const TARGET_HEADS = ['tradeable', 'direction', 'strength', 'reach'] as const
export type TargetHead = (typeof TARGET_HEADS)[number]

export const REACH_SIDES = ['up', 'down', 'either'] as const

export interface TargetSpec {
  readonly head: TargetHead
  /** The column in predictions and the key in outputs and the bundle. */
  readonly column: string
  readonly horizon: number
  readonly task: 'binary' | 'regression'
  readonly threshold?: number
  readonly side?: (typeof REACH_SIDES)[number]
}

export function isTargetHead(o: string): o is TargetHead {
  return (TARGET_HEADS as readonly string[]).includes(o)
}

export function targetTask(head: TargetHead): Task {
  return head === 'strength' ? { kind: 'regression' } : { kind: 'binary' }
}

/** A return threshold in basis points for a column name: 0.001 is 10bp, 0.00125 is 12.5bp. */
function bp(threshold: number): string {
  return `${Number((threshold * 1e4).toPrecision(12))}bp`
}

/** The targets of `head` under `labels.targets`, in a fixed order (horizons, then thresholds, then sides). */
export function targetSpecs(head: TargetHead, t: TargetsConfig): TargetSpec[] {
  const task = targetTask(head).kind as TargetSpec['task']
  return t.horizons.flatMap((horizon): TargetSpec[] =>
    head === 'reach'
      ? t.reachThresholds.flatMap((threshold) =>
          REACH_SIDES.map((side) => ({
            head,
            column: `reach_${side}_${bp(threshold)}_h${horizon}`,
            horizon,
            task,
            threshold,
            side,
          })),
        )
      : [{ head, column: `${head}_h${horizon}`, horizon, task }],
  )
}
