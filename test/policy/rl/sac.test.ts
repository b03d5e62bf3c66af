import assert from 'node:assert/strict'
import test from 'node:test'
import { torchAvailability } from '../../../src/engines/torch/index.js'
import { turnoverPerStep } from '../../../src/policy/rl/environment.js'
import { fitRlPolicy, networkPositions } from '../../../src/policy/rl/fit.js'
import { sacPolicySchema } from '../../../src/policy/rl/params.js'
import { trainSac } from '../../../src/policy/rl/sac.js'
import { planted, pnlOf } from './synthetic.js'

const skip = torchAvailability().ok ? false : 'libtorch addon not built'

/** A small budget: the suite is shared. */
const FAST = sacPolicySchema.parse({
  kind: 'rl',
  algorithm: 'sac',
  inputs: ['p_up'],
  steps: 4096,
  envs: 16,
  episode: 64,
  lr: 3e-3,
  start_steps: 1024,
  minibatch: 128,
})

test('sac: the same seed twice gives identical policy parameters, another seed other ones', { skip }, () => {
  const train = planted(2000, 0.002, 1).series
  const val = planted(500, 0.002, 2).series
  const params = { ...FAST, steps: 2048 }
  const a = trainSac(train, val, params, 7)
  const b = trainSac(train, val, params, 7)
  const c = trainSac(train, val, params, 8)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a.last.layers, c.last.layers)
})

test('sac: on a planted learnable signal every seed reaches 90% of the oracle test P&L', { skip }, () => {
  const train = planted(4000, 0.002, 11)
  const val = planted(1000, 0.002, 12)
  const tst = planted(1000, 0.002, 13)
  const fit = fitRlPolicy(train.series, val.series, tst.series, FAST, 42)
  const oracle = pnlOf(tst.series, tst.sign)
  assert.ok(oracle > 1, `the oracle earns ${oracle}`)
  assert.equal(pnlOf(tst.series, networkPositions(tst.series, fit.selected.network)), fit.selected.testPnl)
  for (const s of fit.seeds)
    assert.ok(s.testPnl >= 0.9 * oracle, `seed ${s.seed} earns ${s.testPnl}, the oracle ${oracle}`)
  assert.equal(fit.testPnl.n, 3)
})

// The same bounds as PPO's: under 0.1 of capital per step selected, 0.15 before selection (about 0.9 on the signal).
test(
  'sac: on pure noise the policy trades little (turnover per step below 0.1 selected, 0.15 before selection)',
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
