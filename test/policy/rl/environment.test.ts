import assert from 'node:assert/strict'
import test from 'node:test'
import { seededRandom } from '../../../src/core/random.js'
import {
  BarEnvironment,
  differentialSharpe,
  fitScaler,
  rlNeeds,
  rlSeries,
  rollout,
  stepPnl,
  turnoverPerStep,
  type RlInput,
} from '../../../src/policy/rl/environment.js'
import { marketOf, perturbed, randomBars, randomInputs } from '../fixture.js'

const TAKER = { fees: 4, slippage: 1 }
const ALL: RlInput[] = ['p', 'p_up', 'E_r', 'q_lo', 'q_hi', 'return_1']

test('rl environment: one step pays the held position over the gap, the target over the next bar, less taker costs', () => {
  const bars = randomBars(20, 1)
  const rows = Int32Array.from([15, 16, 17, 18, 19])
  const series = rlSeries(randomInputs(5, 2), marketOf(bars, rows), ['p_up'], TAKER)
  const fee = 4e-4
  const slip = 1e-4
  // Buying costs the slippage and the fee on the slipped price; selling likewise below the raw price.
  assert.ok(Math.abs(series.costBuy - (slip + fee * (1 + slip))) < 1e-16)
  assert.ok(Math.abs(series.costSell - (slip + fee * (1 - slip))) < 1e-16)
  const gap = bars.open[17] / bars.close[16] - 1
  const hold = bars.close[17] / bars.open[17] - 1
  assert.equal(series.gap[1], gap)
  assert.equal(series.hold[1], hold)
  assert.equal(stepPnl(series, 1, 0.5, -1), 0.5 * gap - hold - 1.5 * series.costSell)
  assert.equal(stepPnl(series, 1, -0.25, 0.75), -0.25 * gap + 0.75 * hold - 1 * series.costBuy)
  assert.equal(stepPnl(series, 1, 0.3, 0.3), 0.3 * gap + 0.3 * hold)
  // The last row has no bar after it: nothing to earn.
  assert.equal(series.gap[4], 0)
  assert.equal(series.hold[4], 0)
})

test('rl environment: observations read the named inputs in order, then the held position', () => {
  const bars = randomBars(40, 3)
  const rows = Int32Array.from({ length: 30 }, (_, i) => 10 + i)
  const ins = randomInputs(30, 4)
  const series = rlSeries(ins, marketOf(bars, rows), ['E_r', 'p', 'return_1'], TAKER)
  assert.equal(series.width, 5)
  const i = 7
  assert.deepEqual(
    [...series.features.subarray(i * 5, i * 5 + 5)],
    [ins.E_r![i], ins.p[3 * i], ins.p[3 * i + 1], ins.p[3 * i + 2], Math.log(bars.close[17] / bars.close[16])],
  )
  const unit = { center: new Float64Array(5), spread: new Float64Array(5).fill(1) }
  const out = rollout(series, () => 0.4, unit)
  assert.equal(out.observations[i * 6 + 5], 0.4)
  assert.equal(out.observations[5], 0)
  assert.deepEqual(rlNeeds(ALL).sort(), ['E_r', 'p', 'p_up', 'q_lo/q_hi'])
})

test('rl environment: bad input is refused with the input and the bar named', () => {
  const bars = randomBars(20, 5)
  const rows = Int32Array.from({ length: 20 }, (_, i) => i)
  const ins = randomInputs(20, 6)
  const broken = Float64Array.from(ins.E_r!)
  broken[12] = NaN
  assert.throws(
    () => rlSeries({ ...ins, E_r: broken }, marketOf(bars, rows), ['E_r'], TAKER),
    /input E_r is NaN at the row of bar 12/,
  )
  assert.throws(
    () => rlSeries({ n: 20, p: ins.p }, marketOf(bars, rows), ['p_up'], TAKER),
    /input p_up, but the chain gave no p_up output/,
  )
  const maker = { ...TAKER, execution: { kind: 'maker_first' } } as unknown as typeof TAKER
  assert.throws(() => rlSeries(ins, marketOf(bars, rows), ['p'], maker), /maker_first is not supported/)
})

test('rl environment: the differential Sharpe ratio matches its definition by hand', () => {
  const m = { a: 0.01, b: 0.0005 }
  const eta = 0.1
  const r = 0.02
  const expected = (0.0005 * (r - 0.01) - 0.5 * 0.01 * (r * r - 0.0005)) / (0.0005 - 0.0001) ** 1.5
  assert.ok(Math.abs(differentialSharpe(m, r, eta) - expected) < 1e-12)
  assert.ok(Math.abs(m.a - (0.01 + 0.1 * 0.01)) < 1e-15)
  assert.ok(Math.abs(m.b - (0.0005 + 0.1 * (0.0004 - 0.0005))) < 1e-15)
  // No variance yet: no signal, never NaN.
  assert.equal(differentialSharpe({ a: 0, b: 0 }, 0.01, eta), 0)
})

test('rl environment: perturbing every bar and output after t changes no observation or action at or before t', () => {
  const bars = randomBars(400, 7)
  const rows = Int32Array.from({ length: 360 }, (_, i) => 30 + i)
  const ins = randomInputs(360, 8)
  const width = 9
  // A fixed policy that reads every observation column, the held position included.
  const weights = Float64Array.from({ length: width }, (_, j) => Math.sin(j + 1))
  const act = (obs: Float64Array) => Math.tanh(obs.reduce((s, v, j) => s + v * weights[j], 0))
  const base = rlSeries(ins, marketOf(bars, rows), ALL, TAKER)
  const scaler = fitScaler(base)
  const before = rollout(base, act, scaler)
  for (const t of [0, 57, 200, 358]) {
    const moved = perturbed(ins, bars, rows, t + 1, 100 + t)
    const after = rollout(rlSeries(moved.inputs, marketOf(moved.bars, rows), ALL, TAKER), act, scaler)
    assert.deepEqual(after.observations.subarray(0, (t + 1) * width), before.observations.subarray(0, (t + 1) * width))
    assert.deepEqual(after.positions.subarray(0, t + 1), before.positions.subarray(0, t + 1))
    // The perturbation reached the series: the next row's observation moved.
    assert.notDeepEqual(
      after.observations.subarray((t + 1) * width, (t + 2) * width),
      before.observations.subarray((t + 1) * width, (t + 2) * width),
    )
  }
})

test('rl environment: the batched step equals each episode stepped alone, and a seed fixes the episodes', () => {
  const bars = randomBars(300, 9)
  const rows = Int32Array.from({ length: 300 }, (_, i) => i)
  const series = rlSeries(randomInputs(300, 10), marketOf(bars, rows), ['p', 'E_r'], TAKER)
  const scaler = fitScaler(series)
  const options = { envs: 16, episode: 20, reward: 'pnl' as const, eta: 0.01, scale: 100, seed: 11, ...scaler }
  const env = new BarEnvironment(series, options)
  const twin = new BarEnvironment(series, options)
  const rand = seededRandom(12)
  let dones = 0
  for (let s = 0; s < 45; s++) {
    const actions = Float64Array.from({ length: 16 }, () => 3 * (rand() - 0.5))
    const rowsBefore = Int32Array.from(env.row)
    const heldBefore = Float64Array.from(env.held)
    env.step(actions)
    twin.step(actions)
    assert.deepEqual(twin.obs, env.obs)
    assert.deepEqual(twin.rewards, env.rewards)
    for (let e = 0; e < 16; e++) {
      const target = Math.max(-1, Math.min(1, actions[e]))
      assert.equal(env.rewards[e], 100 * stepPnl(series, rowsBefore[e], heldBefore[e], target))
      if (!env.dones[e]) {
        assert.equal(env.row[e], rowsBefore[e] + 1)
        assert.equal(env.obs[e * 5 + 4], Math.fround(target))
      }
      dones += env.dones[e]
    }
  }
  // Episodes of 20 steps over 45 steps: every environment finished twice.
  assert.equal(dones, 32)
  assert.notDeepEqual(new BarEnvironment(series, { ...options, seed: 13 }).obs, new BarEnvironment(series, options).obs)
})

test('rl environment: turnover counts every change of position, a reversal twice', () => {
  assert.equal(turnoverPerStep(Float64Array.from([1, 1, -1, -1])), (1 + 0 + 2 + 0) / 4)
  assert.equal(turnoverPerStep(new Float64Array(0)), 0)
})

test('rl environment: without the held position in the observation, a rollout from a later row repeats the full one', () => {
  const bars = randomBars(200, 14)
  const rows = Int32Array.from({ length: 190 }, (_, i) => 10 + i)
  const ins = randomInputs(190, 15)
  const market = marketOf(bars, rows)
  const full = rlSeries(ins, market, ['p', 'E_r'], TAKER, false)
  assert.equal(full.observesPosition, false)
  const scaler = fitScaler(full)
  const act = (obs: Float64Array) => Math.tanh(3 * obs[0] - 2 * obs[3])
  const all = rollout(full, act, scaler)
  assert.equal(all.observations.length, 190 * 4)
  const from = 57
  const later = { ...ins, n: 190 - from, p: ins.p.slice(3 * from), E_r: ins.E_r!.slice(from) }
  const tail = rollout(rlSeries(later, { ...market, rows: rows.slice(from) }, ['p', 'E_r'], TAKER, false), act, scaler)
  assert.deepEqual(tail.positions, all.positions.slice(from))
  // With the held position observed, the same policy shape depends on the path.
  const withHeld = rlSeries(ins, market, ['p', 'E_r'], TAKER)
  const pathAct = (obs: Float64Array) => Math.tanh(3 * obs[0] - 2 * obs[3] + 2 * obs[4])
  const pathAll = rollout(withHeld, pathAct, scaler)
  const pathTail = rollout(rlSeries(later, { ...market, rows: rows.slice(from) }, ['p', 'E_r'], TAKER), pathAct, scaler)
  assert.notEqual(pathTail.positions[0], pathAll.positions[from])
})
