import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseCombinerConfig } from '../../../src/ensemble/registry.js'
import {
  assertBeatsMembersAndVoting,
  assertGateWeightsCausal,
  assertNoWorseThanVoting,
  assertSavedGateAgrees,
  planted,
  plantedOutputs,
  plantedOutcomes,
  TEST,
  trainOnPlanted,
} from './planted.js'

// Both regimes have mean 0 (they differ in volatility only): k-means starts need their default 5 restarts.
const REGIME = { model: 'hmm', states: 2, features: ['log_return'] }
// guard: report, so that what is tested is the gate (never a member the guard fell back to).
const CONFIGS = [
  { method: 'gating', gate: 'bandit_gate', policy: 'linucb', regime: REGIME, oof: { n_folds: 3 }, guard: 'report' },
  { method: 'gating', gate: 'bandit_gate', policy: 'thompson', regime: REGIME, oof: { n_folds: 3 }, guard: 'report' },
]

test('bandit_gate: params validated with policy defaults filled in; parameters of the other policy refused', () => {
  const p = parseCombinerConfig({ method: 'gating', gate: 'bandit_gate' }).params as Record<string, unknown>
  assert.deepEqual(
    [p.policy, p.output, p.feedback, p.mix_arm, p.ridge, p.alpha, p.temperature, p.noise, p.draws],
    ['linucb', 'weight', 'full', true, 1, 1, 0.05, undefined, undefined],
  )
  const t = parseCombinerConfig({ method: 'gating', gate: 'bandit_gate', policy: 'thompson', output: 'choose' })
    .params as Record<string, unknown>
  assert.deepEqual([t.noise, t.draws, t.alpha], [1, undefined, undefined])
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ policy: 'thompson', alpha: 2 }, /ensemble\.alpha: alpha is not a parameter of policy thompson/],
    [{ policy: 'linucb', draws: 8 }, /ensemble\.draws: draws is not a parameter of policy linucb/],
    [{ output: 'choose', temperature: 0.1 }, /ensemble\.temperature: temperature shapes output weight/],
    [{ policy: 'epsilon_greedy' }, /ensemble\.policy/],
    [{ context_features: ['rsi_1m', 'rsi_1m'] }, /a context feature is listed twice/],
    [{ regime: { model: 'kalman' } }, /ensemble\.regime\.model/],
  ]
  for (const [raw, message] of refused)
    assert.throws(
      () => parseCombinerConfig({ method: 'gating', gate: 'bandit_gate', ...raw }),
      message,
      JSON.stringify(raw),
    )
})

for (const config of CONFIGS) {
  test(`bandit_gate (${config.policy}): on planted regimes it beats both members and uniform voting on the test window`, async () => {
    await assertBeatsMembersAndVoting(config)
  })
  test(`bandit_gate (${config.policy}): without regimes it does no worse than voting by more than noise`, async () => {
    await assertNoWorseThanVoting(config)
  })
}

test('bandit_gate without the mixture arm, choosing: one member per row, and still the right one by regime', async () => {
  const o = await assertBeatsMembersAndVoting({ ...CONFIGS[0], output: 'choose', mix_arm: false })
  for (let i = 0; i < o.weights.length; i += 2) assert.ok(o.weights[i] === 1 || o.weights[i + 1] === 1)
})

test('bandit_gate: it learns online only from outcomes whose label has closed', async () => {
  const data = planted(5, true)
  const o = await trainOnPlanted(data, CONFIGS[0])
  const rows = o.test.subarray(0, 400)
  const outs = plantedOutputs(data, rows)
  const extra = Float64Array.from({ length: rows.length * 2 }, (_, i) => (i % 2 === 0 ? 0.8 : 0.2))
  const outcomes = plantedOutcomes(data.y)(rows)
  const base = o.combiner.predict(outs, extra, outcomes).weights!
  // Change the label of row 200: its label closes at row 205 (outcomes close 5 rows later). Weights up to row 205
  // (where it is first known) stay bit for bit; later ones move.
  const label = Float64Array.from(outcomes.label)
  label[200] = (label[200] + 1) % 3
  const changed = o.combiner.predict(outs, extra, { ...outcomes, label }).weights!
  const firstDiff = base.findIndex((w, i) => !Object.is(w, changed[i]))
  assert.ok(firstDiff >= 0, 'a closed outcome is learned: later weights change')
  assert.equal(Math.floor(firstDiff / 2), 205, 'the first row whose weights move is the one at which the label closes')
  assert.ok(rows[0] >= TEST.start)
  // The stream must come in time order.
  const back = {
    time: Float64Array.from(outcomes.time).reverse(),
    closesAt: Float64Array.from(outcomes.closesAt).reverse(),
    label: Float64Array.from(outcomes.label).reverse(),
  }
  assert.throws(() => o.combiner.predict(outs, extra, back), /goes back/)
  assert.throws(() => o.combiner.predict(outs, extra), /learns online: it needs the rows' outcome times and labels/)
})

test('bandit_gate: saved and loaded, the same stream gives the same weights bit for bit', async () => {
  const data = planted(6, true)
  const back = await assertSavedGateAgrees(await trainOnPlanted(data, CONFIGS[1]), data)
  assert.equal(back.online, true)
})

test('bandit_gate: the generic leakage audit leaves every gate weight at or before T unchanged', async () => {
  await assertGateWeightsCausal({
    method: 'gating',
    gate: 'bandit_gate',
    policy: 'thompson',
    context_features: ['rv_1m'],
    regime: { model: 'hmm', states: 2, params: { restarts: 1 } },
    oof: { n_folds: 3 },
  })
})
