/**
 * Pruning: a trial's fits report learning curves (a validation loss per boosting round or epoch, one curve per fit,
 * named by it: `fit xgboost`), and a pruner stops a trial whose curve is worse than the trials before it at the same
 * step. The bars are computed by the coordinator from trials of earlier batches only and travel with the trial, so
 * whether a trial is pruned never depends on which worker ran it or on what finished first.
 */

/** Learning curves by fit: value at step s (1-based) at index s - 1, lower is better. */
export type Curves = Readonly<Record<string, readonly number[]>>

/** Bars by fit and step: a trial whose value at that step is above the bar is pruned there. */
export type Thresholds = Readonly<Record<string, Readonly<Record<number, number>>>>

export interface TrialHistory {
  readonly status: 'complete' | 'pruned' | 'failed'
  readonly curves: Curves
}

export interface PrunerEntry<P = unknown> {
  readonly kind: string
  readonly params: import('zod').ZodType<P, unknown>
  thresholds(history: readonly TrialHistory[], params: P): Thresholds
}

/** Whether a curve's value at a step is above that step's bar (a value that is not a number always is). */
export function prunedAt(thresholds: Thresholds | undefined, curve: string, step: number, value: number): boolean {
  const bar = thresholds?.[curve]?.[step]
  return bar !== undefined && !(value <= bar)
}

/** Every step's values of one curve across trials: by curve, then step. */
export function valuesByStep(trials: readonly TrialHistory[]): Map<string, Map<number, number[]>> {
  const out = new Map<string, Map<number, number[]>>()
  for (const t of trials) {
    for (const [curve, values] of Object.entries(t.curves)) {
      let steps = out.get(curve)
      if (!steps) out.set(curve, (steps = new Map()))
      values.forEach((v, i) => {
        if (!Number.isFinite(v)) return
        const list = steps.get(i + 1)
        if (list) list.push(v)
        else steps.set(i + 1, [v])
      })
    }
  }
  return out
}
