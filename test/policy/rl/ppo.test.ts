import assert from 'node:assert/strict'
import test from 'node:test'
import { torchAvailability } from '../../../src/engines/torch/index.js'
import { turnoverPerStep } from '../../../src/policy/rl/environment.js'
import { fitRlPolicy, networkPositions } from '../../../src/policy/rl/fit.js'
import { ppoPolicySchema, rlPolicySchema } from '../../../src/policy/rl/params.js'
import { generalisedAdvantages, trainPpo } from '../../../src/policy/rl/ppo.js'
import { planted, pnlOf } from './synthetic.js'

const skip = torchAvailability().ok ? false : 'libtorch addon not built'

/** A small budget: the suite is shared. */
const FAST = ppoPolicySchema.parse({
  kind: 'rl',
  algorithm: 'ppo',
  inputs: ['p_up'],
  steps: 16_384,
  envs: 16,
  rollout: 64,
  episode: 64,
  lr: 3e-3,
})

test('ppo: GAE by hand on a two-step rollout of one environment', () => {
  const adv = new Float32Array(2)
  const ret = new Float32Array(2)
  generalisedAdvantages(
    Float64Array.from([1, 2]),
    Float64Array.from([0.5, 0.25]),
    Uint8Array.from([0, 0]),
    [1],
    1,
    0.9,
    0.8,
    adv,
    ret,
  )
  const d1 = 2 + 0.9 * 1 - 0.25
  const d0 = 1 + 0.9 * 0.25 - 0.5
  assert.ok(Math.abs(adv[1] - d1) < 1e-6)
  assert.ok(Math.abs(adv[0] - (d0 + 0.9 * 0.8 * d1)) < 1e-6)
  assert.ok(Math.abs(ret[0] - (adv[0] + 0.5)) < 1e-6)
  // An episode's end cuts the bootstrap and the trace.
  generalisedAdvantages(
    Float64Array.from([1, 2]),
    Float64Array.from([0.5, 0.25]),
    Uint8Array.from([1, 0]),
    [1],
    1,
    0.9,
    0.8,
    adv,
    ret,
  )
  assert.ok(Math.abs(adv[0] - 0.5) < 1e-6)
})

test('ppo: params are strict, and inputs the chain does not hand to policies are refused by name', () => {
  assert.equal(FAST.seeds, 3)
  assert.deepEqual(FAST.outputs, ['position_size'])
  const bad = (raw: object) => rlPolicySchema.safeParse({ kind: 'rl', algorithm: 'ppo', inputs: ['p_up'], ...raw })
  assert.match(JSON.stringify(bad({ inputs: ['q50'] }).error?.issues), /does not hand q50 to policies/)
  assert.match(JSON.stringify(bad({ inputs: ['p_upp'] }).error?.issues), /unknown input/)
  assert.match(JSON.stringify(bad({ seeds: 2 }).error?.issues), /too_small|>=3/)
  assert.equal(bad({ learning_rate: 1 }).success, false)
  assert.equal(bad({ algorithm: 'td3' }).success, false)
  // A key of another algorithm is refused, not ignored.
  assert.equal(bad({ tau: 0.1 }).success, false)
  assert.equal(bad({ algorithm: 'sac', clip: 0.1 }).success, false)
  assert.equal(rlPolicySchema.parse({ kind: 'rl', algorithm: 'sac', inputs: ['p'] }).algorithm, 'sac')
})

test('ppo: the same seed twice gives identical policy parameters, another seed other ones', { skip }, () => {
  const train = planted(2000, 0.002, 1).series
  const val = planted(500, 0.002, 2).series
  const params = { ...FAST, steps: 4096 }
  const a = trainPpo(train, val, params, 7)
  const b = trainPpo(train, val, params, 7)
  const c = trainPpo(train, val, params, 8)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a.network.layers, c.network.layers)
})

test('ppo: on a planted learnable signal the policy reaches 90% of the oracle test P&L over 3 seeds', { skip }, () => {
  const train = planted(4000, 0.002, 11)
  const val = planted(1000, 0.002, 12)
  const tst = planted(1000, 0.002, 13)
  const fit = fitRlPolicy(train.series, val.series, tst.series, FAST, 42)
  const oracle = pnlOf(tst.series, tst.sign)
  assert.ok(oracle > 1, `the oracle earns ${oracle}`)
  const positions = networkPositions(tst.series, fit.selected.network)
  const ours = pnlOf(tst.series, positions)
  assert.equal(ours, fit.selected.testPnl)
  assert.ok(ours >= 0.9 * oracle, `PPO earns ${ours} on test, the oracle ${oracle}`)
  // Every seed learned it, not only the selected one.
  for (const s of fit.seeds) assert.ok(s.testPnl >= 0.9 * oracle, `seed ${s.seed} earns ${s.testPnl}`)
  assert.equal(fit.testPnl.n, 3)
  assert.ok(fit.testPnl.lo <= fit.testPnl.mean && fit.testPnl.mean <= fit.testPnl.hi)
})

// Bounds: the validation-selected policy turns over under 0.1 of capital per step, the last update's (before
// selection) under 0.15, where the same training turns over about 0.9 per step on the planted signal. Over 21 seeds
// the largest seen were 0.045 and 0.094.
test(
  'ppo: on pure noise the policy trades little (turnover per step below 0.1 selected, 0.15 before selection)',
  { skip },
  () => {
    const train = planted(4000, 0, 21)
    const val = planted(1000, 0, 22)
    const tst = planted(1000, 0, 23)
    const fit = fitRlPolicy(train.series, val.series, tst.series, FAST, 43)
    for (const s of fit.seeds) {
      const turnover = turnoverPerStep(networkPositions(tst.series, s.network))
      assert.ok(turnover < 0.1, `seed ${s.seed}: turnover ${turnover} per step`)
      const trained = turnoverPerStep(networkPositions(tst.series, s.last))
      assert.ok(trained < 0.15, `seed ${s.seed}: turnover ${trained} per step after the last update`)
    }
  },
)
