import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  acceptanceConfigSchema,
  acceptanceGates,
  deflatedSharpeOfTrials,
  type AcceptanceInputs,
} from '../../src/backtest/acceptance.js'
import { runBacktest } from '../../src/backtest/engine.js'
import { backtestConfigSchema } from '../../src/backtest/engine.js'
import { backtestMetrics } from '../../src/backtest/metrics.js'
import { seededRandom, standardNormal } from '../../src/core/random.js'
import type { Bars } from '../../src/data/bars.js'
import { probabilisticSharpe, returnMoments } from '../../src/validation/deflated-sharpe.js'

const DEFAULTS = acceptanceConfigSchema.parse({})

const noisyReturns = (seed: number, n: number, mu: number) => {
  const rand = seededRandom(seed)
  return Float64Array.from({ length: n }, () => mu + 0.001 * standardNormal(rand))
}

const passing: AcceptanceInputs = {
  ece: 0.03,
  metrics: { sharpe: 2.5, max_drawdown: -0.05, fee_share_of_gross: 0.04, gross_return: 0.2, trades: 120 },
  returns: noisyReturns(1, 500, 0.0002),
}

test('the defaults are the design brief: ECE <= 0.09, Sharpe >= 2, drawdown <= 12%, fees <= 5% of gross, 30 trades', () => {
  assert.equal(DEFAULTS.max_ece, 0.09)
  assert.equal(DEFAULTS.min_sharpe, 2)
  assert.equal(DEFAULTS.max_drawdown, 0.12)
  assert.equal(DEFAULTS.max_fee_share, 0.05)
  assert.equal(DEFAULTS.min_trades, 30)
  assert.equal(DEFAULTS.trials, undefined)
  assert.deepEqual(DEFAULTS.bootstrap, { resamples: 1000, confidence: 0.95 })
  assert.throws(() => acceptanceConfigSchema.parse({ min_sharp: 2 }), /min_sharp/)
  assert.throws(() => acceptanceConfigSchema.parse({ bootstrap: { block: 3 } }), /block/)
})

test('each gate with its value, threshold and result; the deflated Sharpe gate only with a number of trials', () => {
  const gates = acceptanceGates(passing, DEFAULTS)
  assert.deepEqual(
    gates.map((g) => [g.gate, g.value, g.threshold, g.op, g.pass]),
    [
      ['ece', 0.03, 0.09, '<=', true],
      ['sharpe', 2.5, 2, '>=', true],
      ['max_drawdown', 0.05, 0.12, '<=', true],
      ['fee_share', 0.04, 0.05, '<=', true],
      ['trades', 120, 30, '>=', true],
    ],
  )
  const failing = acceptanceGates(
    {
      ...passing,
      ece: 0.0901,
      metrics: { sharpe: 1.99, max_drawdown: -0.1201, fee_share_of_gross: 0.06, gross_return: 0.2, trades: 29 },
    },
    DEFAULTS,
  )
  assert.deepEqual(
    failing.map((g) => g.pass),
    [false, false, false, false, false],
  )
})

test('a strategy without gross profit fails the fee gate, saying so', () => {
  const [fee] = acceptanceGates(
    { ...passing, metrics: { ...passing.metrics, gross_return: -0.01, fee_share_of_gross: 0.01 } },
    DEFAULTS,
  ).filter((g) => g.gate === 'fee_share')
  assert.equal(fee.pass, false)
  assert.equal(fee.value, null)
  assert.match(fee.note!, /no gross profit/)
})

test('a single trade fails the minimum-trades gate', () => {
  // Ten hourly bars; one long decision at bar 1 held 3 bars.
  const n = 10
  const bars = {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000),
    open: Float64Array.from({ length: n }, (_, i) => 100 + i),
    high: Float64Array.from({ length: n }, (_, i) => 101 + i),
    low: Float64Array.from({ length: n }, (_, i) => 99 + i),
    close: Float64Array.from({ length: n }, (_, i) => 100.5 + i),
    volume: new Float64Array(n).fill(1),
  } satisfies Bars
  const rows = Int32Array.from({ length: n }, (_, i) => i)
  const targets = new Float64Array(n)
  targets[1] = 1
  const bt = runBacktest(bars, targets, rows, 3, backtestConfigSchema.parse({}))
  const m = backtestMetrics(bt)
  assert.equal(m.trades, 1)
  const trades = acceptanceGates({ ece: 0, metrics: m, returns: bt.returns }, DEFAULTS).find(
    (g) => g.gate === 'trades',
  )!
  assert.deepEqual([trades.value, trades.pass], [1, false])
})

test('deflated Sharpe: one trial is the probabilistic Sharpe ratio against 0; more trials deflate it further', () => {
  const r = noisyReturns(3, 2000, 0.0001)
  const m = returnMoments(r)
  const one = deflatedSharpeOfTrials(r, 1)
  assert.equal(one.dsr, probabilisticSharpe(m.sharpe, 0, m.n, m.skew, m.kurtosis))
  const ten = deflatedSharpeOfTrials(r, 10)
  const hundred = deflatedSharpeOfTrials(r, 100)
  assert.ok(ten.benchmark > 0 && hundred.benchmark > ten.benchmark)
  assert.ok(one.dsr > ten.dsr && ten.dsr > hundred.dsr, `${one.dsr} ${ten.dsr} ${hundred.dsr}`)
  const gates = acceptanceGates({ ...passing, returns: r }, { ...DEFAULTS, trials: 10 })
  const dsr = gates.find((g) => g.gate === 'deflated_sharpe')!
  assert.equal(dsr.value, ten.dsr)
  assert.equal(dsr.pass, ten.dsr >= 0.95)
  assert.match(dsr.note!, /^10 trials/)
  // Returns that never vary have no Sharpe ratio: the gate fails and says why.
  const flat = acceptanceGates({ ...passing, returns: new Float64Array(50) }, { ...DEFAULTS, trials: 3 })
  const undefinedGate = flat.find((g) => g.gate === 'deflated_sharpe')!
  assert.deepEqual([undefinedGate.value, undefinedGate.pass], [null, false])
  assert.match(undefinedGate.note!, /zero variance/)
})
