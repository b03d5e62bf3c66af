import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Bars } from '../../src/data/bars.js'
import { runBacktest, backtestConfigSchema } from '../../src/backtest/engine.js'
import { backtestMetrics, drawdown, regimeBreakdown } from '../../src/backtest/metrics.js'

function bars(open: number[], close: number[]): Bars {
  const n = open.length
  return {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open: Float64Array.from(open),
    high: Float64Array.from(open, (o, i) => Math.max(o, close[i])),
    low: Float64Array.from(open, (o, i) => Math.min(o, close[i])),
    close: Float64Array.from(close),
    volume: new Float64Array(n).fill(1),
  }
}

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`)

test('a long fills at the next open and exits at the close of decision + horizon, net of fees and slippage', () => {
  const b = bars([100, 100, 101, 102, 103, 104], [100, 101, 102, 103, 104, 105])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const signals = Int8Array.from([1, 0, 0, 0, 0, 0])
  const r = runBacktest(b, signals, rows, 2, backtestConfigSchema.parse({ fees: 10, slippage: 5 }))
  assert.equal(r.trades.length, 1)
  const t = r.trades[0]
  assert.equal(t.entryIndex, 1)
  assert.equal(t.exitIndex, 2)
  assert.equal(t.exit, 'horizon')
  assert.equal(t.entryPrice, 100)
  assert.equal(t.exitPrice, 102)
  near(t.gross, 0.02)
  const entry = 100 * 1.0005
  const exit = 102 * 0.9995
  near(t.net, (exit - entry) / entry - 0.002)
  near(r.equity[r.equity.length - 1], 1 + t.net)
  assert.deepEqual([...r.position], [0, 1, 0, 0, 0, 0])
})

test('an opposite signal exits at the next open and reverses; costless flat data gives flat equity', () => {
  const b = bars([100, 100, 110, 120, 100, 100], [100, 105, 115, 110, 100, 100])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const r = runBacktest(
    b,
    Int8Array.from([1, 0, -1, 0, 0, 0]),
    rows,
    10,
    backtestConfigSchema.parse({ fees: 0, slippage: 0 }),
  )
  assert.deepEqual(
    r.trades.map((t) => [t.side, t.entryIndex, t.exitIndex, t.exit]),
    [
      [1, 1, 3, 'flip'],
      [-1, 3, 5, 'end'],
    ],
  )
  near(r.trades[0].net, 0.2)
  near(r.trades[1].net, (120 - 100) / 120)
  const flat = runBacktest(
    bars([1, 1, 1], [1, 1, 1]),
    Int8Array.from([0, 0, 0]),
    Int32Array.from([0, 1, 2]),
    2,
    backtestConfigSchema.parse({}),
  )
  assert.deepEqual([...flat.equity], [1, 1, 1])
  const m = backtestMetrics(flat)
  assert.equal(m.trades, 0)
  assert.equal(m.max_drawdown, 0)
})

test('drawdown and metrics on a known equity path', () => {
  assert.deepEqual(
    [...drawdown(Float64Array.from([1, 1.2, 0.9, 1.3]))].map((x) => +x.toFixed(10)),
    [0, 0, -0.25, 0],
  )
})

test('regime breakdown: trades grouped by the volatility tercile at their decision bar, indexed by absolute bar', () => {
  // A test range that starts at bar 1000, as in a run: indices in trades and in the volatility array are absolute.
  const n = 1100
  const open = Array.from({ length: n }, (_, i) => 100 + (i % 7))
  const close = Array.from({ length: n }, (_, i) => 100 + ((i + 3) % 7))
  const rows = Int32Array.from({ length: 90 }, (_, k) => 1000 + k)
  // A long every 10th row, held 2 bars: 9 trades, decisions at 1000, 1010, ..., 1080.
  const signals = Int8Array.from(rows, (_, k) => (k % 10 === 0 ? 1 : 0))
  const r = runBacktest(bars(open, close), signals, rows, 2, backtestConfigSchema.parse({ fees: 0, slippage: 0 }))
  assert.equal(r.trades.length, 9)
  // Volatility rises with the decision bar, so the first three trades are low, the next three mid, the last high.
  const vol = Float64Array.from({ length: n }, (_, i) => i / n)
  const g = regimeBreakdown(r, vol)
  assert.deepEqual(
    g.map((x) => [x.regime, x.trades]),
    [
      ['low_vol', 3],
      ['mid_vol', 3],
      ['high_vol', 3],
    ],
  )
  const pnl = (from: number, to: number) => r.trades.slice(from, to).reduce((s, t) => s + t.net, 0)
  near(g[0].pnl, pnl(0, 3))
  near(g[2].pnl, pnl(6, 9))
  // A trade whose decision bar has no volatility is in no regime.
  vol[1000] = Number.NaN
  assert.equal(
    regimeBreakdown(r, vol).reduce((s, x) => s + x.trades, 0),
    8,
  )
})

test('metrics of a two-year 1-minute stream (a walk-forward run on SPX): no call-stack overflow', () => {
  const n = 1_100_000
  const equity = Float64Array.from({ length: n }, (_, i) => 1 + 0.1 * Math.sin(i / 5000))
  const ts = Float64Array.from({ length: n }, (_, i) => Date.UTC(2018, 0, 1) + i * 60_000)
  const m = backtestMetrics({ trades: [], equity, ts, position: new Int8Array(n) })
  assert.ok(Math.abs(m.max_drawdown - (0.9 / 1.1 - 1)) < 1e-6, String(m.max_drawdown))
})
