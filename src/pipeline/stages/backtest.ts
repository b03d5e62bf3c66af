/**
 * Backtest stage: each configured policy's positions on the test stream through the cost-aware engine, on the same
 * predictions; metrics per policy, per window (the primary policy) and per volatility regime.
 */
import { runBacktest, withoutCosts, type BacktestResult } from '../../backtest/engine.js'
import { backtestMetrics, regimeBreakdown } from '../../backtest/metrics.js'
import { bootstrapBacktest, metricsWithIntervals, type BootstrapRecord } from '../../backtest/bootstrap.js'
import { policyList } from '../../policy/registry.js'
import type { WindowRecord } from '../../tracking/types.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import { splitMetrics, type TestStream } from './evaluate.js'
import type { WindowResult } from './chain.js'

export interface BacktestOutcome {
  /** The policy's kind (policies in a list have distinct kinds). */
  readonly policy: string
  readonly result: BacktestResult
  readonly metrics: ReturnType<typeof backtestMetrics>
  readonly regimes: ReturnType<typeof regimeBreakdown>
  /** Block bootstrap intervals over the test days of its Sharpe ratio, total return and hit rate. */
  readonly intervals: BootstrapRecord
  /** The primary policy's equity with every cost at zero, bar by bar with result.equity (absent for the others). */
  readonly grossEquity?: Float64Array
}

/** The bootstrap of a policy's backtest, seeded by the run's seed and the policy. */
export function backtestIntervals(ctx: RunContext, data: RunData, result: BacktestResult, policy: string) {
  const b = ctx.config.acceptance.bootstrap
  return bootstrapBacktest(result, data.bars.ts, {
    resamples: b.resamples,
    ...(b.block_days !== undefined ? { blockDays: b.block_days } : {}),
    confidence: b.confidence,
    seed: ctx.seed('bootstrap', policy),
  })
}

/** One outcome per configured policy, the primary first. */
export function backtestStage(ctx: RunContext, data: RunData, stream: TestStream): BacktestOutcome[] {
  const { config } = ctx
  // Indexed by absolute bar, like the trades' decision, entry and exit indices.
  const volAtRow = Float64Array.from(data.lf.vol, (v, i) => v / data.bars.close[i])
  const out = policyList(config.policy).map((policy, j) => {
    const bt = runBacktest(
      data.bars,
      stream.positions[j],
      stream.rows,
      config.labels.tripleBarrier.maxHolding,
      config.backtest,
    )
    const outcome = {
      policy: policy.kind,
      result: bt,
      metrics: backtestMetrics(bt),
      regimes: regimeBreakdown(bt, volAtRow),
      intervals: backtestIntervals(ctx, data, bt, policy.kind),
    }
    if (j > 0) return outcome
    const maxHolding = config.labels.tripleBarrier.maxHolding
    const gross = runBacktest(data.bars, stream.positions[0], stream.rows, maxHolding, withoutCosts(config.backtest))
    return { ...outcome, grossEquity: gross.equity }
  })
  ctx.lap('policy+backtest')
  return out
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Each walk-forward window on its own: its sizes, the final model's test metrics and its own backtest (primary policy). */
export function windowRecords(ctx: RunContext, data: RunData, results: readonly WindowResult[]): WindowRecord[] {
  const { config } = ctx
  return results.map((r) => {
    const w = r.window
    const bt = runBacktest(data.bars, r.positions[0], w.test, config.labels.tripleBarrier.maxHolding, config.backtest)
    const m = metricsWithIntervals(backtestMetrics(bt), backtestIntervals(ctx, data, bt, `window ${w.key}`))
    const bounds = Object.fromEntries(Object.entries(m).filter(([k]) => k === 'sharpe_lo' || k === 'sharpe_hi'))
    return {
      key: w.key,
      // Expanding windows train from the first bar (their calendar start is -Infinity).
      trainStart: iso(Number.isFinite(w.trainStart) ? w.trainStart! : data.bars.ts[w.train[0]]),
      testStart: iso(w.testStart ?? data.bars.ts[w.test[0]]),
      testEnd: iso(w.testEnd ?? data.bars.ts[w.test[w.test.length - 1]]),
      samples: { train: w.train.length, val: w.val.length, test: w.test.length, purged: w.purged },
      test: splitMetrics(r.test, r.yTrue.test),
      backtest: {
        total_return: m.total_return,
        sharpe: m.sharpe,
        ...bounds,
        trades: m.trades,
        max_drawdown: m.max_drawdown,
      },
    }
  })
}
