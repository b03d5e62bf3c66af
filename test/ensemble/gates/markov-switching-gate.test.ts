import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseCombinerConfig } from '../../../src/ensemble/registry.js'
import {
  assertBeatsMembersAndVoting,
  assertGateWeightsCausal,
  assertNoWorseThanVoting,
  assertSavedGateAgrees,
  planted,
} from './planted.js'

const CONFIG = {
  method: 'gating',
  gate: 'markov_switching_gate',
  regime: { model: 'markov_switching', states: 2, params: { restarts: 2 } },
  oof: { n_folds: 3 },
}

test('markov_switching_gate: defaults to a Markov switching regime of log returns; another model is refused', () => {
  const { entry, params } = parseCombinerConfig({ method: 'gating', gate: 'markov_switching_gate' })
  assert.equal(entry.name, 'markov_switching_gate')
  const regime = (params as { regime: { model: string; features: string[] } }).regime
  assert.deepEqual([regime.model, regime.features], ['markov_switching', ['log_return']])
  assert.throws(
    () => parseCombinerConfig({ method: 'gating', gate: 'markov_switching_gate', regime: { model: 'hmm' } }),
    /ensemble\.regime\.model: markov_switching_gate mixes by the filtered probabilities of a markov_switching model/,
  )
  assert.throws(
    () =>
      parseCombinerConfig({
        method: 'gating',
        gate: 'markov_switching_gate',
        regime: { model: 'markov_switching', features: ['log_return', 'log_range'] },
      }),
    /ensemble\.regime\.features: markov_switching models one return series/,
  )
})

test('markov_switching_gate: on planted regimes it beats both members and uniform voting on the test window', async () => {
  const o = await assertBeatsMembersAndVoting(CONFIG)
  const back = await assertSavedGateAgrees(o, planted(3, true))
  assert.equal(back.method, 'markov_switching_gate')
})

test('markov_switching_gate: without regimes it does no worse than voting by more than noise', async () => {
  await assertNoWorseThanVoting(CONFIG)
})

test('markov_switching_gate: the generic leakage audit leaves every regime probability and gate weight at or before T unchanged', async () => {
  await assertGateWeightsCausal({
    ...CONFIG,
    regime: { model: 'markov_switching', states: 2, params: { restarts: 1, max_iter: 200 } },
  })
})
