/**
 * The `rl` registry entry: its params as the run takes them, the fitted state it carries in a bundle, positions
 * from that state row by row, the backtest paying what the environment rewards, and its fit reading no test row.
 */
import assert from 'node:assert/strict'
import test from 'node:test'
import { backtestConfigSchema, runBacktest } from '../../../src/backtest/engine.js'
import { torchAvailability } from '../../../src/engines/torch/index.js'
import { decide, policyConfigSchema, policyHolds, type PolicyConfig } from '../../../src/policy/registry.js'
import { rlSeries, stepPnl } from '../../../src/policy/rl/environment.js'
import { rlEntry, rlStateSchema } from '../../../src/policy/rl/entry.js'
import { policyPosition } from '../../../src/policy/rl/mlp.js'
import type { PolicyRows } from '../../../src/policy/contract.js'
import { marketOf, randomBars, randomInputs, randomNetwork } from '../fixture.js'
import { planted } from './synthetic.js'

const skip = torchAvailability().ok ? false : 'libtorch addon not built'
const params = (over: object = {}) =>
  policyConfigSchema.parse({ kind: 'rl', algorithm: 'ppo', inputs: ['p_up', 'return_1'], ...over }) as PolicyConfig

test('rl entry: observe_position defaults to false; true is refused with its reason', () => {
  assert.equal(params().observe_position, false)
  const r = policyConfigSchema.safeParse({ kind: 'rl', algorithm: 'ppo', inputs: ['p'], observe_position: true })
  assert.ok(!r.success)
  assert.deepEqual(r.error.issues[0].path, ['observe_position'])
  assert.match(r.error.issues[0].message, /not supported by mlf run yet: .*mlf predict could not reproduce/)
  assert.equal(policyHolds(params()), 'target')
  assert.equal(policyHolds(policyConfigSchema.parse('threshold') as PolicyConfig), 'horizon')
})

test('rl entry: positions come from the fitted network, row by row, and need it', () => {
  const bars = randomBars(400, 1)
  const rows = Int32Array.from({ length: 300 }, (_, i) => 90 + i)
  const ins = randomInputs(rows.length, 2)
  const network = randomNetwork(2, 8, 3)
  const state = { network, seed: 1, update: 4 }
  const a = decide(ins, marketOf(bars, rows), params(), state)
  for (const i of [0, 17, 299]) {
    const b = rows[i]
    assert.equal(a[i], policyPosition(network, [ins.p_up![i], Math.log(bars.close[b] / bars.close[b - 1])]))
  }
  // Scoring from a later row repeats the positions there (nothing is carried from row to row).
  const later = { ...ins, n: 100, p: ins.p.slice(600), p_up: ins.p_up!.slice(200) }
  assert.deepEqual(decide(later, marketOf(bars, rows.slice(200)), params(), state), a.slice(200))
  assert.throws(
    () => decide(ins, marketOf(bars, rows), params()),
    /policy rl: it learns, and no fitted state was given/,
  )
  assert.throws(
    () => decide(ins, marketOf(bars, rows), params({ inputs: ['p', 'return_1'] }), state),
    /the network reads 2 input columns, the inputs p, return_1 give 4/,
  )
})

test('rl entry: a fitted state is checked: layers that chain, a scaler per input, finite numbers', () => {
  const network = randomNetwork(3, 4, 1)
  const good = { network, seed: 5, update: 2 }
  assert.deepEqual(rlStateSchema.parse(JSON.parse(JSON.stringify(good))), good)
  const bad = (state: unknown) => rlStateSchema.safeParse(state).error?.issues[0]
  const layers = network.layers
  assert.deepEqual(bad({ ...good, network: { ...network, center: [0, 0] } })?.path, ['network', 'center'])
  assert.deepEqual(bad({ ...good, network: { ...network, layers: [layers[0], layers[0], layers[2]] } })?.path, [
    'network',
    'layers',
    1,
  ])
  assert.match(
    bad({ ...good, network: { ...network, layers: [{ ...layers[0], weight: [1] }, ...layers.slice(1)] } })!.message,
    /weight is not \(outputs, inputs\)/,
  )
  assert.ok(bad({ ...good, network: { ...network, spread: [1, 0, 1] } }))
  assert.ok(bad({ ...good, extra: 1 }))
})

test('rl entry: the backtest of its positions (held to target) pays what the environment rewards', () => {
  // Consecutive bars, moves of about 0.2% a bar: positions change at most rows, go flat before the end.
  const bars = randomBars(40, 9)
  const rows = Int32Array.from({ length: 40 }, (_, i) => i)
  const positions = Float64Array.from({ length: 40 }, (_, i) =>
    i >= 38 ? 0 : [1, 1, -0.5, 0, 0.25, -1, 0.5, 0.5][i % 8],
  )
  const costs = { fees: 4, slippage: 1 }
  // Every row but the last is a step (the last has no next bar to pay).
  const series = rlSeries(randomInputs(39, 1), marketOf(bars, rows.slice(0, 39)), ['p_up'], costs, false)
  let held = 0
  let rewards = 0
  for (let i = 0; i < 39; i++) {
    rewards += stepPnl(series, i, held, positions[i])
    held = positions[i]
  }
  const bt = runBacktest(bars, positions, rows, 5, backtestConfigSchema.parse(costs), 'target')
  const total = bt.equity[bt.equity.length - 1] - 1
  assert.ok(Math.abs(rewards) > 2e-3, `the series moves the P&L (${rewards})`)
  // Rewards add returns on starting capital where the engine compounds and holds units between fills: the two
  // differ by second-order terms only (products of per-bar returns: 5e-5 on a total of -0.012 here).
  assert.ok(Math.abs(total - rewards) < 1e-4, `backtest ${total}, rewards ${rewards}`)
  // Held to the horizon instead (reading a 0 as "no new position"), the same positions earn something else.
  const horizon = runBacktest(bars, positions, rows, 5, backtestConfigSchema.parse(costs))
  assert.ok(Math.abs(horizon.equity[horizon.equity.length - 1] - 1 - rewards) > 1e-3)
})

/** Planted rows as a policy's fit reads them: inputs and the market over their own bars. */
function plantedRows(n: number, seed: number, poison = false): PolicyRows {
  const { series } = planted(n, 0.002, seed)
  const p_up = Float64Array.from({ length: n }, (_, i) => series.features[i])
  const bars = randomBars(n + 1, seed)
  if (poison) for (const a of [bars.open, bars.close]) a.reverse()
  const p = new Float64Array(3 * n)
  for (let i = 0; i < n; i++) p.set([(1 - p_up[i]) / 2, (1 - p_up[i]) / 2, p_up[i]], 3 * i)
  const inputs = { n, p, p_up: poison ? p_up.map((x) => 1 - x) : p_up }
  return {
    inputs,
    market: marketOf(
      bars,
      Int32Array.from({ length: n }, (_, i) => i),
    ),
  }
}

test(
  'rl entry: the fit trains on train, selects on select, and never reads test (poisoned test: same network)',
  { skip },
  () => {
    const p = params({ inputs: ['p_up'], steps: 2048, envs: 8, rollout: 32, episode: 32, hidden: 8, lr: 3e-3 })
    const data = (poison: boolean) => ({
      train: plantedRows(600, 1),
      select: plantedRows(300, 2),
      test: plantedRows(300, 3, poison),
      backtest: backtestConfigSchema.parse({}),
      seed: 11,
    })
    const clean = rlEntry.fit!(data(false), p as never)
    const again = rlEntry.fit!(data(false), p as never)
    const poisoned = rlEntry.fit!(data(true), p as never)
    assert.deepEqual(again, clean)
    assert.equal(clean.seeds.length, 3)
    assert.deepEqual(poisoned.state, clean.state)
    assert.deepEqual(
      poisoned.seeds.map((s) => s.selectPnl),
      clean.seeds.map((s) => s.selectPnl),
    )
    assert.notDeepEqual(
      poisoned.seeds.map((s) => s.testPnl),
      clean.seeds.map((s) => s.testPnl),
      'the poison reached the test evaluation',
    )
    assert.deepEqual(rlStateSchema.parse(JSON.parse(JSON.stringify(clean.state))), clean.state)
  },
)
