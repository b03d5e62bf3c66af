/**
 * Backtest stage: each configured policy's positions on the test stream through the cost-aware engine, on the same
 * predictions; metrics per policy, per window (the primary policy) and per volatility regime.
 */
import { runBacktest, withoutCosts, type BacktestResult } from '../../backtest/engine.js'
import { backtestMetrics, regimeBreakdown } from '../../backtest/metrics.js'
import { buyAndHold, type BuyAndHold } from '../../backtest/benchmark.js'
import { bootstrapBacktest, metricsWithIntervals, type BootstrapRecord } from '../../backtest/bootstrap.js'
import type { ResolvedConfig } from '../../config/load.js'
import type { Bars } from '../../data/bars.js'
import { policyHolds, policyList } from '../../policy/registry.js'
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
  /** The same positions backtested without costs: equity at the same bars. */
  readonly costFree: Float64Array
  /** Buy-and-hold over the same bars, before and after costs. */
  readonly buyAndHold: BuyAndHold
  /** Block bootstrap intervals over the test days of its Sharpe ratio, total return and hit rate. */
  readonly intervals: BootstrapRecord
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
    const horizon = config.labels.tripleBarrier.maxHolding
    const holds = policyHolds(policy)
    const bt = runBacktest(data.bars, stream.positions[j], stream.rows, horizon, config.backtest, holds)
    const gross = runBacktest(
      data.bars,
      stream.positions[j],
      stream.rows,
      horizon,
      withoutCosts(config.backtest),
      holds,
    )
    const start = stream.rows.length ? stream.rows[0] : 0
    return {
      policy: policy.kind,
      result: bt,
      metrics: backtestMetrics(bt),
      regimes: regimeBreakdown(bt, volAtRow),
      costFree: gross.equity,
      buyAndHold: buyAndHold(data.bars, start, start + bt.equity.length, config.backtest),
      intervals: backtestIntervals(ctx, data, bt, policy.kind),
    }
  })
  ctx.lap('policy+backtest')
  return out
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The primary policy's positions on `rows` through the engine, held as the policy holds them. */
export function primaryBacktest(
  config: Pick<ResolvedConfig, 'labels' | 'backtest' | 'policy'>,
  bars: Bars,
  positions: Float64Array,
  rows: Int32Array,
): BacktestResult {
  const holds = policyHolds(policyList(config.policy)[0])
  return runBacktest(bars, positions, rows, config.labels.tripleBarrier.maxHolding, config.backtest, holds)
}

/** Each walk-forward window on its own: its sizes, the final model's test metrics and its own backtest (primary policy). */
export function windowRecords(ctx: RunContext, data: RunData, results: readonly WindowResult[]): WindowRecord[] {
  const { config } = ctx
  return results.map((r) => {
    const w = r.window
    const bt = primaryBacktest(config, data.bars, r.positions[0], w.test)
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
