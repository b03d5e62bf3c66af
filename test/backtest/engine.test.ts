import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Bars } from '../../src/data/bars.js'
import { runBacktest, backtestConfigSchema, withoutCosts } from '../../src/backtest/engine.js'
import { backtestMetrics, drawdown, regimeBreakdown } from '../../src/backtest/metrics.js'

function bars(
  open: number[],
  close: number[],
  extra: { high?: number[]; low?: number[]; volume?: number[] } = {},
): Bars {
  const n = open.length
  return {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open: Float64Array.from(open),
    high: Float64Array.from(open, (o, i) => extra.high?.[i] ?? Math.max(o, close[i])),
    low: Float64Array.from(open, (o, i) => extra.low?.[i] ?? Math.min(o, close[i])),
    close: Float64Array.from(close),
    volume: Float64Array.from(open, (_, i) => extra.volume?.[i] ?? 1),
  }
}

const sizes = (...x: number[]) => Float64Array.from(x)

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`)

test('a long fills at the next open and exits at the close of decision + horizon, net of fees and slippage', () => {
  const b = bars([100, 100, 101, 102, 103, 104], [100, 101, 102, 103, 104, 105])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const signals = sizes(1, 0, 0, 0, 0, 0)
  const r = runBacktest(b, signals, rows, 2, backtestConfigSchema.parse({ fees: 10, slippage: 5 }))
  assert.equal(r.trades.length, 1)
  const t = r.trades[0]
  assert.equal(t.entryIndex, 1)
  assert.equal(t.exitIndex, 2)
  assert.equal(t.exit, 'horizon')
  assert.equal(t.entryPrice, 100)
  assert.equal(t.exitPrice, 102)
  // Fees are paid on each fill's notional: 10 bp of the entry, 10 bp of the exit (units x exit fill).
  const entry = 100 * 1.0005
  const exit = 102 * 0.9995
  near(t.net, (exit * 0.999) / entry - 1 - 0.001)
  near(t.cost, 0.001 + (100 * 0.0005) / entry + (exit * 0.001 + 102 * 0.0005) / entry)
  near(t.gross, t.net + t.cost)
  // Before costs: the units bought with the capital (1 / entry fill) times the price move.
  near(t.gross, 2 / entry)
  near(r.equity[r.equity.length - 1], 1 + t.net)
  assert.deepEqual([...r.position], [0, 1, 0, 0, 0, 0])
})

test('an opposite signal exits at the next open and reverses; costless flat data gives flat equity', () => {
  const b = bars([100, 100, 110, 120, 100, 100], [100, 105, 115, 110, 100, 100])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const r = runBacktest(b, sizes(1, 0, -1, 0, 0, 0), rows, 10, backtestConfigSchema.parse({ fees: 0, slippage: 0 }))
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
    sizes(0, 0, 0),
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
  const signals = Float64Array.from(rows, (_, k) => (k % 10 === 0 ? 1 : 0))
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
  const m = backtestMetrics({
    trades: [],
    equity,
    ts,
    position: new Float64Array(n),
    returns: new Float64Array(n),
    makerShare: 0,
  })
  assert.ok(Math.abs(m.max_drawdown - (0.9 / 1.1 - 1)) < 1e-6, String(m.max_drawdown))
})

const taker = (fees: number, slippage: number) => backtestConfigSchema.parse({ fees, slippage })
const maker = (params: Record<string, unknown>, fees = 10, slippage = 5) =>
  backtestConfigSchema.parse({ fees, slippage, execution: { kind: 'maker_first', ...params } })

test('a fractional position: half the capital, costs on what is traded, P&L half of the full position', () => {
  const b = bars([100, 100, 101, 102, 103, 104], [100, 101, 102, 103, 104, 105])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const r = runBacktest(b, sizes(0.5, 0, 0, 0, 0, 0), rows, 2, taker(10, 5))
  assert.equal(r.trades.length, 1)
  const t = r.trades[0]
  const entry = 100 * 1.0005
  const exit = 102 * 0.9995
  const units = 0.5 / entry
  // Cash after the entry: 1 - 0.5 of capital - 10 bp of 0.5; marked at the close of bar 1 (101).
  near(r.equity[1], 1 - 0.5 - 0.0005 + units * 101)
  const end = 1 - 0.5 - 0.0005 + units * exit * (1 - 0.001)
  near(t.net, end - 1)
  near(t.net, 0.5 * ((exit * 0.999) / entry - 1 - 0.001))
  near(r.equity[r.equity.length - 1], end)
  assert.equal(t.size, 0.5)
  assert.deepEqual([...r.position], [0, 0.5, 0, 0, 0, 0])
  // Per-bar returns compound to the equity.
  near(
    r.returns.reduce((e, x) => e * (1 + x), 1),
    end,
  )
  near(r.returns[1], r.equity[1] - 1)
})

test('resizing a held position pays costs on the change only, and keeps its exit due', () => {
  const flat = bars([100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const r = runBacktest(flat, sizes(0.5, 1, 0, 0, 0, 0), rows, 3, taker(10, 0))
  assert.equal(r.trades.length, 1)
  // Bar 1: buy 0.5 of capital (fee 0.0005). Bar 2: equity 0.9995, buy up to all of it: 0.4995 more (fee 0.0004995).
  // Bar 3 (decision 0 + horizon 3): sell everything, the 0.9995 of capital bought (fee 0.0009995).
  const afterResize = 1 - 0.0005 - 0.0004995
  near(r.equity[2], afterResize)
  near(r.equity[3], afterResize - 0.001 * 0.9995)
  assert.equal(r.trades[0].exitIndex, 3)
  assert.equal(r.trades[0].exit, 'horizon')
  assert.equal(r.trades[0].size, 1)
  assert.deepEqual([...r.position], [0, 0.5, 1, 0, 0, 0])
  // On flat prices the costs are the whole loss: gross 0.
  near(r.trades[0].gross, 0)
  near(r.trades[0].cost, 1 - r.equity[3])
})

test('rebalance_band: a same-side resize smaller than the band is not traded; opening and reversing always are', () => {
  const flat = bars([100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5, 6])
  const targets = sizes(0.5, 0.55, 0.7, 0.05, -0.05, 0, 0)
  const cfg = backtestConfigSchema.parse({ fees: 0, slippage: 0, rebalance_band: 0.1 })
  // 0.55 is within 0.1 of 0.5 (skipped); 0.7 is not (traded); 0.05 is a resize of 0.65 (traded); -0.05 reverses.
  assert.deepEqual([...runBacktest(flat, targets, rows, 10, cfg).position], [0, 0.5, 0.5, 0.7, 0.05, -0.05, -0.05])
  const everyChange = runBacktest(flat, targets, rows, 10, taker(0, 0))
  assert.deepEqual([...everyChange.position], [0, 0.5, 0.55, 0.7, 0.05, -0.05, -0.05])
})

test('a decision of 0 holds the position to its horizon; a reversal closes and reopens at the next open', () => {
  const b = bars([100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5, 6])
  const held = runBacktest(b, sizes(0.25, 0, 0, 0, 0, 0, 0), rows, 4, taker(0, 0))
  assert.deepEqual([...held.position], [0, 0.25, 0.25, 0.25, 0, 0, 0])
  const flipped = runBacktest(b, sizes(0.25, 0, -0.75, 0, 0, 0, 0), rows, 10, taker(0, 0))
  assert.deepEqual([...flipped.position], [0, 0.25, 0.25, -0.75, -0.75, -0.75, -0.75])
  assert.deepEqual(
    flipped.trades.map((t) => [t.side, t.size, t.decisionIndex, t.entryIndex, t.exitIndex, t.exit]),
    [
      [1, 0.25, 0, 1, 3, 'flip'],
      [-1, 0.75, 2, 3, 6, 'end'],
    ],
  )
})

test('a position outside [-1, 1] or NaN is refused naming its bar', () => {
  const b = bars([100, 100, 100], [100, 100, 100])
  assert.throws(
    () => runBacktest(b, sizes(0, 1.5, 0), Int32Array.from([0, 1, 2]), 2, taker(0, 0)),
    /the position for the row at bar 1 is 1.5, not in \[-1, 1\]/,
  )
  assert.throws(() => runBacktest(b, sizes(NaN, 0, 0), Int32Array.from([0, 1, 2]), 2, taker(0, 0)), /bar 0 is NaN/)
})

test('maker_first: a limit fills only in a later bar whose range gets through it, at the limit, never better', () => {
  // Decision at the close of bar 0 (100): a buy limit 10 bp below, 99.9. Bar 0 itself trades far below: not a fill.
  // Bar 1 stays above (low 99.95); bar 2 touches 99.9 exactly; bar 3 gaps down to 99.5 and trades through.
  const open = [100, 100, 99.98, 99.5, 99.6, 99.7]
  const close = [100, 99.97, 99.95, 99.6, 99.7, 99.8]
  const low = [98, 99.95, 99.9, 99.4, 99.6, 99.7]
  const b = bars(open, close, { low })
  const all = Int32Array.from([0, 1, 2, 3, 4, 5])
  const r = runBacktest(b, sizes(1, 0, 0, 0, 0, 0), all, 4, maker({ offset: 10, timeout: 5, maker_fee: 2 }))
  assert.equal(r.trades.length, 1)
  const t = r.trades[0]
  assert.equal(t.entryIndex, 3)
  near(t.entryPrice, 99.9)
  assert.deepEqual([...r.position.slice(0, 4)], [0, 0, 0, 1])
  // Bought 1 / 99.9 units at 99.9 (not at the 99.5 open), 2 bp maker fee: marked at the close of bar 3 (99.6).
  near(r.equity[3], 1 - 0.0002 + (99.6 - 99.9) / 99.9)
  // A touch is enough with fill: touch.
  const touch = runBacktest(b, sizes(1, 0, 0, 0, 0, 0), all, 4, maker({ offset: 10, timeout: 5, fill: 'touch' }))
  assert.equal(touch.trades[0].entryIndex, 2)
  near(touch.trades[0].entryPrice, 99.9)
  // The entry, then the horizon exit posted at the close of bar 4 (99.7 + 10 bp), reached by bar 5's high (99.8).
  assert.deepEqual(r.orders, { limit: 2, filled: 2, crossed: 0, cancelled: 0, replaced: 0 })
  assert.deepEqual([t.exitIndex, t.exit], [5, 'horizon'])
  near(t.exitPrice, 99.7 * 1.001)
})

test('maker_first: a sell limit above the close; the horizon exit rests as a limit too', () => {
  // Short at the close of bar 0 (100): sell limit 100.1. Bar 1 high 100.2 trades through. Horizon 2: exit due at the
  // close of bar 2 (100): buy limit 99.9, filled in bar 4 (low 99.8); bar 3 (low 99.95) does not reach it.
  const open = [100, 100, 100.1, 100, 99.9, 99.9]
  const close = [100, 100.1, 100, 100, 99.9, 99.9]
  const high = [100, 100.2, 100.1, 100, 100, 99.9]
  const low = [100, 100, 100, 99.95, 99.8, 99.9]
  const b = bars(open, close, { high, low })
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const r = runBacktest(b, sizes(-1, 0, 0, 0, 0, 0), rows, 2, maker({ offset: 10, timeout: 3, maker_fee: 0 }))
  assert.equal(r.trades.length, 1)
  const t = r.trades[0]
  assert.deepEqual([t.side, t.entryIndex, t.exitIndex, t.exit], [-1, 1, 4, 'horizon'])
  near(t.entryPrice, 100.1)
  near(t.exitPrice, 99.9)
  near(t.net, (100.1 - 99.9) / 100.1)
  near(t.cost, 0)
  assert.equal(r.makerShare, 1)
})

test('maker_first timeout: cross as a taker at the next open, or cancel an entry (a shrinking order still crosses)', () => {
  // The buy limit 99.9 is never reached; timeout 2 bars (bars 1 and 2).
  const open = [100, 100, 100, 100.5, 101, 101]
  const close = [100, 100, 100, 101, 101, 101]
  const b = bars(open, close)
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5])
  const crossed = runBacktest(b, sizes(1, 0, 0, 0, 0, 0), rows, 10, maker({ offset: 10, timeout: 2 }, 10, 5))
  assert.equal(crossed.trades.length, 1)
  const t = crossed.trades[0]
  // Crossed at the open of bar 3 with slippage and the taker fee; closed at the end.
  assert.equal(t.entryIndex, 3)
  assert.equal(t.entryPrice, 100.5)
  near(crossed.equity[3], 1 - 0.001 + (101 - 100.5 * 1.0005) / (100.5 * 1.0005))
  assert.deepEqual(crossed.orders, { limit: 1, filled: 0, crossed: 1, cancelled: 0, replaced: 0 })
  assert.equal(crossed.makerShare, 0)
  const cancelled = runBacktest(
    b,
    sizes(1, 0, 0, 0, 0, 0),
    rows,
    10,
    maker({ offset: 10, timeout: 2, on_timeout: 'cancel' }),
  )
  assert.equal(cancelled.trades.length, 0)
  assert.deepEqual([...cancelled.equity], [1, 1, 1, 1, 1, 1])
  assert.equal(cancelled.orders!.cancelled, 1)
  // A long entered by a touch, whose horizon exit (sell limit above the close) is never reached: with cancel it
  // still crosses at the open after its timeout.
  const b2 = bars([100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100], {
    low: [100, 99.8, 100, 100, 100, 100],
  })
  const exit = runBacktest(
    b2,
    sizes(1, 0, 0, 0, 0, 0),
    rows,
    1,
    maker({ offset: 10, timeout: 2, on_timeout: 'cancel' }),
  )
  // Entry in bar 1 at 99.9; horizon at the close of bar 1; the sell limit at 100.1 works over bars 2-3, then crosses
  // at the open of bar 4.
  assert.deepEqual(
    exit.trades.map((x) => [x.entryIndex, x.exitIndex, x.exitPrice, x.exit]),
    [[1, 4, 100, 'horizon']],
  )
  near(exit.trades[0].entryPrice, 99.9)
})

test('maker_first partial fills: at most the volume share of each bar that reaches the limit', () => {
  // Capital 10,000 quote: the whole capital at 99.9 is 100.1 base units. 10% of 500 = 50 fill in bar 1, the
  // remaining 50.1 in bar 2 (10% of 1000 = 100 available); bar 3 has no volume figure and nothing left to fill.
  const open = [100, 100, 100, 100, 100]
  const close = [100, 100, 100, 100, 100]
  const low = [100, 99.8, 99.8, 99.8, 100]
  const volume = [1, 500, 1000, NaN, 1]
  const b = bars(open, close, { low, volume })
  const rows = Int32Array.from([0, 1, 2, 3, 4])
  const cfg = maker({ offset: 10, timeout: 3, maker_fee: 0, partial_fills: { volume_share: 0.1, capital: 10_000 } })
  const r = runBacktest(b, sizes(1, 0, 0, 0, 0), rows, 10, cfg)
  // After bar 1: 50 base units = 0.005 of capital's units, worth 50 * 100 / 10,000 of equity at the close.
  const units1 = 50 / 10_000
  const equity1 = 1 - units1 * 99.9 + units1 * 100
  near(r.equity[1], equity1)
  near(r.position[1], (units1 * 99.9) / (1 - units1 * 99.9 + units1 * 99.9))
  assert.equal(r.position[2], 1)
  assert.equal(r.trades.length, 1)
  assert.equal(r.trades[0].entryIndex, 1)
  assert.deepEqual(r.orders, { limit: 1, filled: 1, crossed: 0, cancelled: 0, replaced: 0 })
  // Without a volume figure a bar fills whole.
  const noVolume = bars(open, close, { low, volume: [1, NaN, NaN, NaN, 1] })
  assert.equal(runBacktest(noVolume, sizes(1, 0, 0, 0, 0), rows, 10, cfg).position[1], 1)
})

test('execution config: unknown models and keys are refused naming them', () => {
  const bad = backtestConfigSchema.safeParse({ execution: { kind: 'maker_frist' } })
  assert.ok(!bad.success)
  assert.match(bad.error.issues[0].message, /unknown execution model "maker_frist"; did you mean "maker_first"\?/)
  const key = backtestConfigSchema.safeParse({ execution: { kind: 'taker', offset: 1 } })
  assert.ok(!key.success)
  assert.deepEqual(key.error.issues[0].path, ['execution'])
  const cap = backtestConfigSchema.safeParse({
    execution: { kind: 'maker_first', partial_fills: { volume_share: 0.1 } },
  })
  assert.ok(!cap.success)
  assert.deepEqual(cap.error.issues[0].path, ['execution', 'partial_fills', 'capital'])
  assert.equal(backtestConfigSchema.parse({}).execution, undefined)
  assert.deepEqual(backtestConfigSchema.parse({ execution: 'taker' }).execution, { kind: 'taker' })
})

test('withoutCosts: fees, slippage and the maker fee at zero, the rest kept; its equity is the costly one plus costs', () => {
  const taker = backtestConfigSchema.parse({ fees: 10, slippage: 5, rebalance_band: 0.1 })
  assert.deepEqual(withoutCosts(taker), { ...taker, fees: 0, slippage: 0 })
  const maker = backtestConfigSchema.parse({ fees: 10, execution: { kind: 'maker_first', maker_fee: 3 } })
  const free = withoutCosts(maker)
  assert.equal(free.execution?.kind === 'maker_first' && free.execution.maker_fee, 0)
  const b = bars([100, 100, 101, 102, 103, 104, 103, 102], [100, 101, 102, 103, 104, 103, 102, 101])
  const rows = Int32Array.from(b.close.keys())
  const signals = sizes(1, 0, 0, -1, 0, 0, 0, 0)
  const net = runBacktest(b, signals, rows, 2, taker)
  const gross = runBacktest(b, signals, rows, 2, withoutCosts(taker))
  assert.deepEqual(
    gross.trades.map((t) => [t.entryIndex, t.exitIndex]),
    net.trades.map((t) => [t.entryIndex, t.exitIndex]),
    'the same trades',
  )
  assert.ok(
    gross.equity.every((e, i) => e >= net.equity[i]),
    'costs only take away',
  )
  assert.ok(gross.equity.at(-1)! > net.equity.at(-1)!)
})
