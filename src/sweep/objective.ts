/**
 * What a sweep optimizes: one metric of a trial on its window's validation slice. The final model's probabilities
 * (log_loss, accuracy, auc_up, auc_dir, as mlf run reports them) or the primary policy's backtest of the validation
 * rows after fees and slippage (bt_*). Each metric has its natural direction; `direction` may say it explicitly.
 */
import { z } from 'zod'

export const OBJECTIVE_METRICS = {
  log_loss: 'minimize',
  accuracy: 'maximize',
  auc_up: 'maximize',
  auc_dir: 'maximize',
  bt_sharpe: 'maximize',
  bt_sortino: 'maximize',
  bt_total_return: 'maximize',
  bt_max_drawdown: 'maximize',
  bt_win_rate: 'maximize',
} as const

export type ObjectiveMetric = keyof typeof OBJECTIVE_METRICS

export const objectiveSchema = z
  .object({
    metric: z.enum(Object.keys(OBJECTIVE_METRICS) as [ObjectiveMetric, ...ObjectiveMetric[]]),
    direction: z.enum(['minimize', 'maximize']).optional(),
  })
  .strict()
  .transform((o) => ({ metric: o.metric, direction: o.direction ?? OBJECTIVE_METRICS[o.metric] }))

export type Objective = z.output<typeof objectiveSchema>

/** The objective as a loss (lower is better): what samplers minimize and choices rank by. */
export function lossOf(objective: Objective, value: number): number {
  return objective.direction === 'minimize' ? value : -value
}
