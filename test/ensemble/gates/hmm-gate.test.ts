import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseCombinerConfig } from '../../../src/ensemble/registry.js'
import { fitStateWeights } from '../../../src/ensemble/gates/regime-mixture.js'
import { resolveConfig } from '../../../src/config/load.js'
import { formatFinding } from '../../../src/features/audit.js'
import {
  assertBeatsMembersAndVoting,
  auditGateWeights,
  assertGateWeightsCausal,
  assertNoWorseThanVoting,
  assertSavedGateAgrees,
  planted,
  plantedOutputs,
  trainOnPlanted,
} from './planted.js'

const CONFIG = { method: 'gating', gate: 'hmm_gate', regime: { model: 'hmm', states: 2 }, oof: { n_folds: 3 } }

test('hmm_gate: the config of the issue validates with defaults; what it cannot honour is refused', () => {
  const { entry, params } = parseCombinerConfig({
    method: 'gating',
    gate: 'hmm_gate',
    regime: { model: 'hmm', states: 3, features: ['log_return', 'rv_1m'] },
  })
  assert.equal(entry.name, 'hmm_gate')
  const p = params as Record<string, unknown>
  assert.deepEqual(p.oof, { n_folds: 5, purge_bars: 0, embargo_bars: 0 })
  assert.equal(p.prior, 1)
  assert.equal((p.regime as { states: number }).states, 3)
  assert.equal(
    (parseCombinerConfig({ method: 'gating', gate: 'hmm_gate' }).params as { regime: { model: string } }).regime.model,
    'hmm',
  )
  const refused: [Record<string, unknown>, RegExp][] = [
    [
      { method: 'gating', gate: 'hmm_gate', regime: { model: 'markov_switching' } },
      /ensemble\.regime\.model: hmm_gate mixes by the filtered probabilities of a hmm model/,
    ],
    [{ method: 'gating', gate: 'hmm_gat' }, /ensemble\.gate: unknown gate "hmm_gat"; did you mean "hmm_gate"/],
    [{ method: 'hmm_gate' }, /ensemble\.method: hmm_gate is a gate: write method: gating, gate: hmm_gate/],
    [{ method: 'gating', gate: 'hmm_gate', context_features: ['rsi_1m'] }, /Unrecognized key: "context_features"/],
    [{ method: 'gating', gate: 'hmm_gate', prior: -1 }, /ensemble\.prior/],
    [{ method: 'gating', gate: 'hmm_gate', meta_learner: 'ridge' }, /Unrecognized key: "meta_learner"/],
  ]
  for (const [raw, message] of refused) assert.throws(() => parseCombinerConfig(raw), message, JSON.stringify(raw))
  // Through the whole config too, with the field's path.
  assert.throws(
    () =>
      resolveConfig({
        base_models: [{ name: 'xgboost' }, { name: 'logistic' }],
        ensemble: { method: 'gating', gate: 'bagging_gate' },
      }),
    /ensemble\.gate: unknown gate "bagging_gate"/,
  )
  const ok = resolveConfig({ base_models: [{ name: 'xgboost' }, { name: 'logistic' }], ensemble: CONFIG })
  assert.equal((ok.ensemble as { gate: string }).gate, 'hmm_gate')
})

test('hmm_gate EM: never lowers the penalised likelihood, recovers per-state weights on planted data, stays on the simplex', () => {
  const data = planted(1, true)
  const rows = 4000
  const probs = [data.a.subarray(0, rows * 3), data.b.subarray(0, rows * 3)]
  // The true regime as its own (oracle) probabilities: state 0 should trust A, state 1 B.
  const extra = Float64Array.from({ length: rows * 2 }, (_, i) => (data.regime[i >> 1] === (i & 1) ? 1 : 0))
  const base = { probs, y: data.y.subarray(0, rows), classes: 3, extra, extraNames: ['p0', 'p1'], regimeStates: 2 }
  let prev = -Infinity
  for (const maxIter of [1, 2, 5, 20]) {
    const fit = fitStateWeights(base, { prior: 1, maxIter, tol: 0 })
    assert.ok(fit.logLikelihood >= prev - 1e-9, `${maxIter}: ${fit.logLikelihood} < ${prev}`)
    prev = fit.logLikelihood
  }
  const { W } = fitStateWeights(base, { prior: 1, maxIter: 500, tol: 1e-10 })
  assert.ok(W[0] > 0.95 && W[3] > 0.95, `state 0 trusts A, state 1 trusts B: ${Array.from(W)}`)
  for (let s = 0; s < 2; s++) assert.ok(Math.abs(W[s * 2] + W[s * 2 + 1] - 1) < 1e-12)
})

test('hmm_gate: on planted regimes it beats both members and uniform voting on the test window', async () => {
  const o = await assertBeatsMembersAndVoting(CONFIG)
  // The weights move with the regime: most weight on A in calm stretches, on B in volatile ones.
  const data = planted(3, true)
  let right = 0
  o.test.forEach((r, i) => {
    const trustsA = o.weights[i * 2] > 0.5
    if (trustsA === (data.regime[r] === 0)) right++
  })
  assert.ok(right / o.test.length > 0.85, `weights follow the regime on ${right} of ${o.test.length} rows`)
})

test('hmm_gate: without regimes it does no worse than voting by more than noise', async () => {
  await assertNoWorseThanVoting(CONFIG)
})

test('hmm_gate: saved and loaded, it gives the same weights and probabilities bit for bit; features required', async () => {
  const data = planted(5, true)
  const o = await trainOnPlanted(data, CONFIG)
  const back = await assertSavedGateAgrees(o, data)
  assert.equal(back.method, 'hmm_gate')
  assert.deepEqual(back.extraFeatures, ['ensemble_regime_p0', 'ensemble_regime_p1'])
  const rows = o.test.subarray(0, 10)
  assert.throws(
    () => back.predict(plantedOutputs(data, rows)),
    /needs its features \(ensemble_regime_p0, ensemble_regime_p1\)/,
  )
})

test('hmm_gate: the generic leakage audit leaves every regime probability and gate weight at or before T unchanged', async () => {
  await assertGateWeightsCausal({ ...CONFIG, regime: { model: 'hmm', states: 2, params: { restarts: 1 } } })
})

test('hmm_gate: the same audit catches the gate when its HMM is deliberately smoothed (the positive control)', async () => {
  const result = await auditGateWeights(
    { ...CONFIG, regime: { model: 'hmm', states: 2, params: { restarts: 1 } } },
    true,
  )
  assert.equal(result.ok, false)
  const weights = result.findings.filter((f) => f.target === 'gate weights')
  assert.ok(weights.length >= 3, `gate weights caught at ${weights.length} of 6 cut/mode pairs`)
  for (const f of result.findings) assert.ok(f.row <= f.cut, formatFinding(f))
})
