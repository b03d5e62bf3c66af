/**
 * Acceptance gates: the thresholds a strategy must clear before anyone deploys it, each with its value, threshold
 * and PASS or FAIL, and the overall verdict (PASS only when every gate passes). Defaults from the design brief.
 */
import { z } from 'zod'
import { deflatedSharpe, probabilisticSharpe, returnMoments } from '../validation/deflated-sharpe.js'
import type { BacktestMetrics } from './metrics.js'

export const bootstrapConfigSchema = z
  .object({
    resamples: z
      .number()
      .int()
      .min(100)
      .max(100_000)
      .default(1000)
      .describe('Bootstrap resamples of the test days behind each interval'),
    block_days: z
      .number()
      .int()
      .min(1)
      .max(365)
      .optional()
      .describe(
        'Days per block of the circular block bootstrap; absent: round(cbrt(test days)), the usual order of a block length',
      ),
    confidence: z
      .number()
      .gt(0.5)
      .lt(1)
      .default(0.95)
      .describe('Two-sided coverage of the percentile intervals of Sharpe ratio, total return and hit rate'),
  })
  .strict()

export const acceptanceConfigSchema = z
  .object({
    max_ece: z
      .number()
      .min(0)
      .max(1)
      .default(0.09)
      .describe('Largest top-label expected calibration error (10 bins) of the final probabilities on the test rows'),
    min_sharpe: z
      .number()
      .min(-100)
      .max(100)
      .default(2)
      .describe("Smallest annualized Sharpe ratio of the primary policy's test backtest"),
    max_drawdown: z
      .number()
      .min(0)
      .max(1)
      .default(0.12)
      .describe('Largest peak-to-trough loss of equity over the test backtest, as a fraction (0.12: 12%)'),
    max_fee_share: z
      .number()
      .min(0)
      .default(0.05)
      .describe('Largest share of the gross P&L paid in fees and slippage (a strategy without gross profit fails)'),
    min_trades: z
      .number()
      .int()
      .min(1)
      .default(30)
      .describe('Fewest round-trip trades a test backtest needs before its statistics mean anything'),
    trials: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Configurations tried before this one (including it): enables the deflated Sharpe ratio gate; absent: that gate is not computed',
      ),
    min_deflated_sharpe: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.95)
      .describe(
        'Smallest deflated Sharpe ratio (probability that the true Sharpe ratio beats the best of `trials` unskilled ones); used with trials',
      ),
    max_pbo: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        "Largest probability of backtest overfitting of a sweep's choice (its worst window); mlf sweep judges its choice by it (a single run has no trials to compute it from)",
      ),
    bootstrap: bootstrapConfigSchema.prefault({}).describe('Block bootstrap over test days for the intervals'),
  })
  .strict()

export type AcceptanceConfig = z.infer<typeof acceptanceConfigSchema>

export type GateName = 'ece' | 'sharpe' | 'max_drawdown' | 'fee_share' | 'trades' | 'deflated_sharpe' | 'pbo'

export interface Gate {
  readonly gate: GateName
  /** The measured value (null when it could not be computed; the gate then fails). */
  readonly value: number | null
  readonly threshold: number
  /** How the value must compare with the threshold to pass. */
  readonly op: '<=' | '>='
  readonly pass: boolean
  /** Why a gate failed without a value, or what its value rests on. */
  readonly note?: string
}

export interface AcceptanceInputs {
  /** Top-label ECE of the final probabilities on the test rows. */
  readonly ece: number
  readonly metrics: Pick<BacktestMetrics, 'sharpe' | 'max_drawdown' | 'fee_share_of_gross' | 'gross_return' | 'trades'>
  /** Per-bar returns of the primary policy's test backtest (for the deflated Sharpe ratio). */
  readonly returns: ArrayLike<number>
}

const gate = (name: GateName, value: number | null, threshold: number, op: Gate['op'], note?: string): Gate => ({
  gate: name,
  value,
  threshold,
  op,
  pass: value !== null && (op === '<=' ? value <= threshold : value >= threshold),
  ...(note ? { note } : {}),
})

/**
 * Deflated Sharpe ratio of per-bar returns when `trials` configurations were tried. Only their count is known, so
 * their Sharpe ratios are taken to spread as unskilled ones do: variance 1/(n-1) per bar, the sampling variance of
 * a Sharpe ratio near 0 over n bars. One trial is no selection: the probabilistic Sharpe ratio against 0.
 */
export function deflatedSharpeOfTrials(returns: ArrayLike<number>, trials: number): { dsr: number; benchmark: number } {
  const m = returnMoments(returns)
  if (trials === 1) return { dsr: probabilisticSharpe(m.sharpe, 0, m.n, m.skew, m.kurtosis), benchmark: 0 }
  return deflatedSharpe({ ...m, trials, trialVariance: 1 / (m.n - 1) })
}

export function acceptanceGates(input: AcceptanceInputs, config: AcceptanceConfig): Gate[] {
  const m = input.metrics
  const gates = [
    gate('ece', input.ece, config.max_ece, '<='),
    gate('sharpe', m.sharpe, config.min_sharpe, '>='),
    gate('max_drawdown', -m.max_drawdown, config.max_drawdown, '<='),
    m.gross_return > 0
      ? gate('fee_share', m.fee_share_of_gross, config.max_fee_share, '<=')
      : gate('fee_share', null, config.max_fee_share, '<=', `no gross profit (gross return ${m.gross_return})`),
    gate('trades', m.trades, config.min_trades, '>='),
  ]
  if (config.trials !== undefined) {
    try {
      const d = deflatedSharpeOfTrials(input.returns, config.trials)
      gates.push(
        gate(
          'deflated_sharpe',
          d.dsr,
          config.min_deflated_sharpe,
          '>=',
          `${config.trials} trials; per-bar benchmark Sharpe ${d.benchmark.toPrecision(3)}`,
        ),
      )
    } catch (err) {
      gates.push(gate('deflated_sharpe', null, config.min_deflated_sharpe, '>=', (err as Error).message))
    }
  }
  return gates
}

/** A statistic a gate judges, or why it could not be computed. */
export type GateInput = { readonly value: number; readonly note?: string } | { readonly reason: string }

const judged = (name: GateName, input: GateInput, threshold: number, op: Gate['op']): Gate =>
  'reason' in input ? gate(name, null, threshold, op, input.reason) : gate(name, input.value, threshold, op, input.note)

/**
 * The gates of a sweep's choice, where the trials are known: its chained test stream's deflated Sharpe ratio
 * (against the trials' measured spread) and the worst window's probability of backtest overfitting.
 */
export function overfittingGates(
  input: { readonly deflatedSharpe: GateInput; readonly pbo: GateInput },
  config: AcceptanceConfig,
): Gate[] {
  return [
    judged('deflated_sharpe', input.deflatedSharpe, config.min_deflated_sharpe, '>='),
    judged('pbo', input.pbo, config.max_pbo, '<='),
  ]
}
