import assert from 'node:assert/strict'
import { test } from 'node:test'
import { closeBars } from '../helpers.js'
import { buyAndHold } from '../../src/backtest/benchmark.js'
import { withoutCosts } from '../../src/backtest/engine.js'
import { backtestConfigSchema, runBacktest } from '../../src/backtest/engine.js'

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`)

test('buy-and-hold by hand: the price ratio before costs; after costs, fee and slippage in and out', () => {
  // Bars 1..4 of five: bought at the close of bar 1 (100), marked at 110, 99, sold at 121.
  const b = closeBars([50, 100, 110, 99, 121])
  const r = buyAndHold(b, 1, 5, backtestConfigSchema.parse({ fees: 10, slippage: 5 }))
  assert.deepEqual(Array.from(r.gross), [1, 1.1, 0.99, 1.21])
  // 1 of cash buys units at 100 x 1.0005, paying 10 bp on that notional.
  const units = 1 / (100 * 1.0005 * 1.001)
  near(r.net[0], units * 100)
  near(r.net[1], units * 110)
  near(r.net[2], units * 99)
  // The last close is sold at 121 x (1 - 5 bp), less 10 bp of that.
  near(r.net[3], units * 121 * 0.9995 * 0.999)
  assert.ok(r.net[3] < r.gross[3])
  const free = buyAndHold(b, 1, 5, backtestConfigSchema.parse({ fees: 0, slippage: 0 }))
  assert.deepEqual(Array.from(free.net), Array.from(free.gross))
  assert.equal(buyAndHold(b, 2, 2, backtestConfigSchema.parse({})).net.length, 0)
})

test('without costs: every fee and slippage zero (maker fee too), the rest of the config kept', () => {
  const taker = backtestConfigSchema.parse({ fees: 7, slippage: 3, rebalance_band: 0.1 })
  assert.deepEqual(withoutCosts(taker), { ...taker, fees: 0, slippage: 0 })
  const maker = backtestConfigSchema.parse({ execution: { kind: 'maker_first', maker_fee: 2, timeout: 3 } })
  const free = withoutCosts(maker)
  assert.equal((free.execution as { maker_fee: number }).maker_fee, 0)
  assert.equal((free.execution as { timeout: number }).timeout, 3)
  // The same positions without costs: trades cost nothing, so net is gross, and equity ends no lower.
  const b = closeBars([100, 101, 103, 102, 104, 103, 105])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5, 6])
  const positions = Float64Array.from([1, 0, -1, 0, 1, 0, 0])
  const costed = runBacktest(b, positions, rows, 2, taker)
  const gross = runBacktest(b, positions, rows, 2, withoutCosts(taker))
  assert.equal(gross.trades.length, costed.trades.length)
  for (const t of gross.trades) assert.equal(t.cost, 0)
  assert.ok(gross.equity[gross.equity.length - 1] > costed.equity[costed.equity.length - 1])
})
