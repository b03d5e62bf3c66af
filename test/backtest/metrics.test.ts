import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Trade } from '../../src/backtest/account.js'
import { backtestConfigSchema, runBacktest, type BacktestResult } from '../../src/backtest/engine.js'
import { backtestMetrics } from '../../src/backtest/metrics.js'
import type { Bars } from '../../src/data/bars.js'

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`)
const HOUR = 3_600_000

function trade(gross: number, cost: number): Trade {
  return {
    side: 1,
    size: 0.5,
    decisionIndex: 0,
    entryIndex: 1,
    exitIndex: 2,
    entryPrice: 1,
    exitPrice: 1,
    gross,
    cost,
    net: gross - cost,
    exit: 'horizon',
  }
}

test('every metric of a fractional path, computed by hand', () => {
  // Two bars a day for three days (12 h apart): the span is 2.5 days.
  const ts = Float64Array.from({ length: 6 }, (_, i) => Date.UTC(2024, 0, 1) + i * 12 * HOUR)
  const equity = Float64Array.from([1, 1.02, 1.01, 0.99, 1.03, 1.05])
  const position = Float64Array.from([0, 0.5, 0.5, -0.25, -0.25, 0])
  const r: BacktestResult = {
    trades: [trade(0.03, 0.005), trade(-0.01, 0.004)],
    equity,
    ts,
    position,
    returns: new Float64Array(6),
    makerShare: 0,
  }
  const m = backtestMetrics(r)
  // Daily returns from the last mark of each day: 1.02 / 1 - 1, 0.99 / 1.02 - 1, 1.05 / 0.99 - 1.
  const daily = [0.02, 0.99 / 1.02 - 1, 1.05 / 0.99 - 1]
  const mean = (daily[0] + daily[1] + daily[2]) / 3
  const sd = Math.sqrt(((daily[0] - mean) ** 2 + (daily[1] - mean) ** 2 + (daily[2] - mean) ** 2) / 2)
  const downside = Math.sqrt(daily[1] ** 2 / 3)
  // Three days with bars in 2.5 calendar days: every day has bars, so 365 periods a year.
  near(m.sharpe, (mean / sd) * Math.sqrt(365))
  near(m.sortino, (mean / downside) * Math.sqrt(365))
  near(m.total_return, 0.05)
  near(m.max_drawdown, 0.99 / 1.02 - 1)
  assert.equal(m.trades, 2)
  assert.equal(m.win_rate, 0.5)
  // |changes| 0.5 + 0 + 0.75 + 0 + 0.25 = 1.5 over 2.5 days.
  near(m.turnover_per_day, 0.6)
  // Mean |position|: (0.5 + 0.5 + 0.25 + 0.25) / 6.
  near(m.exposure, 0.25)
  near(m.gross_return, 0.02)
  near(m.fee_share_of_gross, 0.009 / 0.02)
  assert.equal(m.maker_share, undefined)
})

test('a half-size policy on the same path: half the exposure, turnover and P&L per trade, same trades', () => {
  const n = 8
  const bars: Bars = {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open: Float64Array.from([100, 100, 102, 101, 99, 98, 100, 101]),
    high: Float64Array.from([101, 102, 103, 102, 100, 100, 101, 102]),
    low: Float64Array.from([99, 99, 101, 98, 97, 97, 99, 100]),
    close: Float64Array.from([100, 102, 101, 99, 98, 100, 101, 101]),
    volume: new Float64Array(n).fill(1),
  }
  const rows = Int32Array.from({ length: n }, (_, i) => i)
  const costless = backtestConfigSchema.parse({ fees: 0, slippage: 0 })
  const full = runBacktest(bars, Float64Array.from([1, 0, 0, -1, 0, 0, 0, 0]), rows, 2, costless)
  const half = runBacktest(bars, Float64Array.from([0.5, 0, 0, -0.5, 0, 0, 0, 0]), rows, 2, costless)
  const a = backtestMetrics(full)
  const b = backtestMetrics(half)
  assert.equal(b.trades, a.trades)
  assert.equal(a.trades, 2)
  near(b.exposure, a.exposure / 2)
  near(b.turnover_per_day, a.turnover_per_day / 2)
  for (let k = 0; k < a.trades; k++) near(half.trades[k].net, full.trades[k].net / 2)
  near(b.gross_return, a.gross_return / 2)
  assert.equal(b.win_rate, a.win_rate)
})
