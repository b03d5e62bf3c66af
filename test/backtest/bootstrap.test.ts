import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Trade } from '../../src/backtest/account.js'
import type { BacktestResult } from '../../src/backtest/engine.js'
import {
  bootstrapBacktest,
  bootstrapDaily,
  dailySeries,
  defaultBlockDays,
  metricsWithIntervals,
  MIN_BOOTSTRAP_DAYS,
  sharpeText,
  type DailySeries,
} from '../../src/backtest/bootstrap.js'
import { backtestMetrics } from '../../src/backtest/metrics.js'
import { seededRandom, standardNormal } from '../../src/core/random.js'

const DAY = 86_400_000

/** `n` days of i.i.d. normal returns (mean mu, sd sigma) and `perDay` trades a day, each a win with `winP`. */
function synthetic(seed: number, n: number, mu: number, sigma: number, perDay = 0, winP = 0.5): DailySeries {
  const rand = seededRandom(seed)
  const returns = Float64Array.from({ length: n }, () => mu + sigma * standardNormal(rand))
  const trades = new Float64Array(n).fill(perDay)
  const wins = Float64Array.from({ length: n }, () => {
    let w = 0
    for (let k = 0; k < perDay; k++) if (rand() < winP) w++
    return w
  })
  return { returns, trades, wins, periodsPerYear: 365 }
}

test('coverage: the 95% intervals hold a known Sharpe ratio and hit rate about 95% of the time', () => {
  // Daily mean 0.1%, sd 1%: an annualized Sharpe ratio of 0.1 * sqrt(365).
  const mu = 0.001
  const sigma = 0.01
  const trueSharpe = (mu / sigma) * Math.sqrt(365)
  const reps = 200
  let sharpeHits = 0
  let hitRateHits = 0
  for (let k = 0; k < reps; k++) {
    const r = bootstrapDaily(synthetic(1000 + k, 250, mu, sigma, 4, 0.55), {
      resamples: 400,
      confidence: 0.95,
      seed: k,
    })
    assert.ok(!('reason' in r))
    if (r.sharpe.lo <= trueSharpe && trueSharpe <= r.sharpe.hi) sharpeHits++
    if (r.hitRate!.lo <= 0.55 && 0.55 <= r.hitRate!.hi) hitRateHits++
  }
  // A binomial count of 200 at p = 0.95 lies in [181, 197] with probability above 99%.
  assert.ok(sharpeHits >= 181 && sharpeHits <= 197, `Sharpe covered in ${sharpeHits} of ${reps}`)
  assert.ok(hitRateHits >= 181 && hitRateHits <= 197, `hit rate covered in ${hitRateHits} of ${reps}`)
})

test('determinism: the same seed gives the same intervals, another seed others', () => {
  const series = synthetic(5, 60, 0.0005, 0.02, 2, 0.5)
  const opts = { resamples: 500, confidence: 0.95, seed: 42 }
  const a = bootstrapDaily(series, opts)
  assert.deepEqual(bootstrapDaily(series, opts), a)
  const b = bootstrapDaily(series, { ...opts, seed: 43 })
  assert.ok(!('reason' in a) && !('reason' in b))
  assert.notEqual(a.sharpe.lo, b.sharpe.lo)
  // The statistics on the period itself do not depend on the seed.
  assert.equal(a.sharpe.value, b.sharpe.value)
  assert.equal(a.totalReturn.value, b.totalReturn.value)
})

test('a block as long as the series only rotates it: every resample has the same Sharpe ratio and return', () => {
  const series = synthetic(9, 20, 0.001, 0.01)
  const r = bootstrapDaily(series, { resamples: 200, blockDays: 20, confidence: 0.9, seed: 1 })
  assert.ok(!('reason' in r))
  assert.equal(r.blockDays, 20)
  const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`)
  near(r.sharpe.lo, r.sharpe.value)
  near(r.sharpe.hi, r.sharpe.value)
  near(r.totalReturn.lo, r.totalReturn.value)
  near(r.totalReturn.hi, r.totalReturn.value)
  assert.equal(r.hitRate, null, 'no trades, no hit rate')
})

test('too few test days give no interval, and say why', () => {
  const r = bootstrapDaily(synthetic(1, MIN_BOOTSTRAP_DAYS - 1, 0, 0.01), { resamples: 100, confidence: 0.95, seed: 1 })
  assert.deepEqual(r, { reason: `the test period has ${MIN_BOOTSTRAP_DAYS - 1} days; an interval needs 5` })
  assert.equal(defaultBlockDays(18), 3)
  assert.equal(defaultBlockDays(1), 1)
  assert.equal(defaultBlockDays(250), 6)
})

function trade(exitIndex: number, net: number): Trade {
  return {
    side: 1,
    size: 1,
    decisionIndex: exitIndex - 2,
    entryIndex: exitIndex - 1,
    exitIndex,
    entryPrice: 1,
    exitPrice: 1,
    gross: net,
    cost: 0,
    net,
    exit: 'horizon',
  }
}

test('the daily series: the last mark of each UTC day, trades counted on the day they closed', () => {
  // Bars 12 hours apart over six days, starting at bar 10 of the data (the trades' indices are absolute).
  const start = 10
  const barTs = Float64Array.from({ length: start + 12 }, (_, i) => Date.UTC(2024, 0, 1) + (i - start) * 12 * 3_600_000)
  const ts = barTs.slice(start)
  const equity = Float64Array.from([1, 1.01, 1.01, 1.0, 1.02, 1.02, 1.03, 1.01, 1.01, 1.02, 1.04, 1.05])
  const r: BacktestResult = {
    trades: [trade(start + 1, 0.01), trade(start + 3, -0.01), trade(start + 11, 0.02)],
    equity,
    ts,
    position: new Float64Array(12),
    returns: new Float64Array(12),
    makerShare: 0,
  }
  const s = dailySeries(r, barTs)
  assert.deepEqual(Array.from(s.trades), [1, 1, 0, 0, 0, 1])
  assert.deepEqual(Array.from(s.wins), [1, 0, 0, 0, 0, 1])
  assert.equal(s.returns.length, 6)
  assert.ok(Math.abs(s.returns[0] - 0.01) < 1e-15)
  const m = backtestMetrics(r)
  const b = bootstrapBacktest(r, barTs, { resamples: 300, confidence: 0.95, seed: 3 })
  assert.ok(!('reason' in b))
  // The statistics on the period itself are the backtest's own.
  assert.ok(Math.abs(b.sharpe.value - m.sharpe) < 1e-12)
  assert.ok(Math.abs(b.totalReturn.value - m.total_return) < 1e-12)
  assert.equal(b.hitRate!.value, m.win_rate)
  assert.ok(b.sharpe.lo <= b.sharpe.value && b.sharpe.value <= b.sharpe.hi)
  const withBounds = metricsWithIntervals(m, b)
  assert.equal(withBounds.sharpe_lo, b.sharpe.lo)
  assert.equal(withBounds.win_rate_hi, b.hitRate!.hi)
  assert.equal(
    sharpeText(withBounds),
    `${m.sharpe.toFixed(2)} [${b.sharpe.lo.toFixed(2)}, ${b.sharpe.hi.toFixed(2)}] (3 trades)`,
  )
  assert.equal(sharpeText({ sharpe: 7.123, trades: 1 }), '7.12 [no interval] (1 trade)')
  // A trade closed outside the tested days is a bug, named.
  assert.throws(
    () =>
      dailySeries(
        { ...r, trades: [trade(start + 40, 0)] },
        Float64Array.from({ length: 60 }, (_, i) => i * DAY),
      ),
    /trade closed at bar 50, outside the tested days/,
  )
})
