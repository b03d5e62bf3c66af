import assert from 'node:assert/strict'
import test from 'node:test'
import { rlPolicySchema } from '../../../src/policy/rl/params.js'
import { generalisedAdvantages } from '../../../src/policy/rl/ppo.js'

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
  const ppo = rlPolicySchema.parse({ kind: 'rl', algorithm: 'ppo', inputs: ['p_up'] })
  assert.equal(ppo.seeds, 3)
  assert.deepEqual(ppo.outputs, ['position_size'])
  const bad = (raw: object) => rlPolicySchema.safeParse({ kind: 'rl', algorithm: 'ppo', inputs: ['p_up'], ...raw })
  assert.match(JSON.stringify(bad({ inputs: ['q50'] }).error?.issues), /does not hand q50 to policies/)
  assert.match(JSON.stringify(bad({ inputs: ['p_upp'] }).error?.issues), /unknown input/)
  assert.match(JSON.stringify(bad({ seeds: 2 }).error?.issues), /too_small|>=3/)
  assert.equal(bad({ learning_rate: 1 }).success, false)
  assert.equal(bad({ algorithm: 'bandit' }).success, false)
  assert.equal(bad({ algorithm: 'dqn', sizes: [0, 0, 1] }).success, false)
  assert.equal(bad({ algorithm: 'dqn', sizes: [-2, 1] }).success, false)
  assert.equal(bad({ algorithm: 'td3', alpha: 0.1 }).success, false)
  // A key of another algorithm is refused, not ignored.
  assert.equal(bad({ tau: 0.1 }).success, false)
  assert.equal(bad({ algorithm: 'sac', clip: 0.1 }).success, false)
  assert.equal(rlPolicySchema.parse({ kind: 'rl', algorithm: 'sac', inputs: ['p'] }).algorithm, 'sac')
})
