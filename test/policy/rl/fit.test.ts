import assert from 'node:assert/strict'
import test from 'node:test'
import { torchAvailability } from '../../../src/engines/torch/index.js'
import { meanInterval, networkPositions, trainRl } from '../../../src/policy/rl/fit.js'
import { rlPolicySchema, type RlPolicy } from '../../../src/policy/rl/params.js'
import { noiseTurnovers, planted, plantedFit, pnlOf } from './synthetic.js'

const skip = torchAvailability().ok ? false : 'libtorch addon not built'

/** The off-policy algorithms' small budget. */
const OFF_POLICY = {
  inputs: ['p_up'],
  observe_position: true,
  steps: 4096,
  envs: 16,
  episode: 64,
  lr: 3e-3,
  start_steps: 1024,
  minibatch: 128,
}

/** Small budgets per algorithm: the suite is shared. The planted series observe the held position. */
const FAST: readonly RlPolicy[] = [
  rlPolicySchema.parse({
    kind: 'rl',
    algorithm: 'ppo',
    inputs: ['p_up'],
    observe_position: true,
    steps: 16_384,
    envs: 16,
    rollout: 64,
    episode: 64,
    lr: 3e-3,
  }),
  rlPolicySchema.parse({ kind: 'rl', algorithm: 'sac', ...OFF_POLICY }),
  rlPolicySchema.parse({ kind: 'rl', algorithm: 'td3', ...OFF_POLICY }),
  rlPolicySchema.parse({ kind: 'rl', algorithm: 'dqn', ...OFF_POLICY }),
]

test('rl fit: the mean interval of seeds uses the t quantile of their count', () => {
  const r = meanInterval([1, 2, 3])
  // t(0.975, 2) = 4.303, sd 1.
  assert.equal(r.mean, 2)
  assert.ok(Math.abs(r.hi - (2 + 4.303 / Math.sqrt(3))) < 1e-12)
  assert.ok(Math.abs(r.lo - (2 - 4.303 / Math.sqrt(3))) < 1e-12)
  assert.throws(() => meanInterval([1]), /2 to 32/)
})

for (const params of FAST) {
  const name = params.algorithm

  test(`${name}: the same seed twice gives identical policy parameters, another seed other ones`, { skip }, () => {
    const train = planted(2000, 0.002, 1).series
    const val = planted(500, 0.002, 2).series
    // Long enough for SAC to update past its random start steps.
    const short = { ...params, steps: params.steps / 2 }
    const a = trainRl(train, val, short, 7)
    const b = trainRl(train, val, short, 7)
    const c = trainRl(train, val, short, 8)
    assert.deepEqual(a, b)
    assert.notDeepEqual(a.last.layers, c.last.layers)
  })

  test(`${name}: on a planted learnable signal every seed reaches 90% of the oracle test P&L`, { skip }, () => {
    const { fit, oracle, test: tst } = plantedFit(params, 42)
    assert.ok(oracle > 1, `the oracle earns ${oracle}`)
    assert.equal(pnlOf(tst, networkPositions(tst, fit.selected.network)), fit.selected.testPnl)
    for (const s of fit.seeds)
      assert.ok(s.testPnl >= 0.9 * oracle, `seed ${s.seed} earns ${s.testPnl}, the oracle ${oracle}`)
    assert.equal(fit.testPnl.n, 3)
    assert.ok(fit.testPnl.lo <= fit.testPnl.mean && fit.testPnl.mean <= fit.testPnl.hi)
  })

  // Bounds: the validation-selected policy turns over under 0.1 of capital per step, where the same training turns
  // over about 0.9 per step on the planted signal. PPO's and SAC's last update (before selection) stays under 0.15
  // (over 21 PPO seeds the largest seen were 0.045 selected, 0.094 last). TD3's deterministic policy can chase the
  // noise before selection (0.84 per step seen on one seed), and so can DQN's greedy one (0.33 seen; its selected
  // policy reached 0.087 on another seed), so for them only the selected policy is held to a bound.
  const lastBound = name === 'td3' || name === 'dqn' ? Infinity : 0.15
  test(`${name}: on pure noise the selected policy trades little (turnover per step below 0.1)`, { skip }, () => {
    for (const s of noiseTurnovers(params, 43)) {
      assert.ok(s.selected < 0.1, `seed ${s.seed}: turnover ${s.selected} per step`)
      assert.ok(s.last < lastBound, `seed ${s.seed}: turnover ${s.last} per step after the last update`)
    }
  })
}

test('rl fit: a series built without the held position is refused where the params observe it', () => {
  const { bars } = { bars: planted(100, 0.002, 5).series }
  const noHeld = { ...bars, observesPosition: false }
  assert.throws(
    () => trainRl(noHeld, bars, FAST[0], 1),
    /observe_position is true, but a series was built the other way/,
  )
})
