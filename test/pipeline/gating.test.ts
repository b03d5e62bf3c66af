import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPipeline } from '../../src/pipeline/run.js'
import { torchUnavailableReason } from '../../src/engines/torch/index.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 30_000

/** Two small members gated by `gate` on 3 purged folds. */
export function gatingConfig(ensemble: Record<string, unknown>, over: Record<string, unknown> = {}) {
  return smallConfig({
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3, learning_rate: 0.2 } },
      { name: 'logistic', config: { C: 0.1, max_iter: 100 } },
    ],
    ensemble: { method: 'gating', oof: { n_folds: 3, purge_bars: 30 }, guard: 'report', ...ensemble },
    ...over,
  })
}

test('hmm_gate runs end to end: deterministic bundle, the regime in its chain, scored identically from the bundle', async () => {
  const data = await sampleSlice(ROWS)
  const config = gatingConfig({ gate: 'hmm_gate', regime: { model: 'hmm', states: 3, params: { restarts: 2 } } })
  const out = tempDir()
  const a = await runPipeline({ config, dataFile: data, outDir: out })
  const b = await runPipeline({ config, dataFile: data, outDir: out })
  assert.equal(a.bundleChecksum, b.bundleChecksum)
  assert.deepEqual(
    a.summary.models.map((m) => [m.name, m.kind]),
    [
      ['xgboost', 'base'],
      ['logistic', 'base'],
      ['hmm_gate', 'ensemble'],
      ['hmm_gate+temperature', 'calibrated'],
    ],
  )
  assert.ok(a.summary.ensemble_guard, 'the guard compared the gate with its members')
  const combiner = JSON.parse(readFileSync(join(a.bundleDir, 'model', 'combiner', 'combiner.json'), 'utf8'))
  assert.equal(combiner.method, 'hmm_gate')
  assert.deepEqual(combiner.extra_features, ['ensemble_regime_p0', 'ensemble_regime_p1', 'ensemble_regime_p2'])
  assert.equal(combiner.state.weights.length, 3)
  const manifest = JSON.parse(readFileSync(join(a.bundleDir, 'manifest.json'), 'utf8'))
  assert.deepEqual(manifest.chain.map((l: { role: string; name: string }) => `${l.role}:${l.name}`).slice(0, 4), [
    'regime:ensemble_regime',
    'member:xgboost',
    'member:logistic',
    'combiner:hmm_gate',
  ])
  // The gate's weights: a column per member in the predictions (the bundle's signature says so), reproduced by
  // scoring; their mean and the regret against the best member in the summary; a plot in the report.
  const header = readFileSync(join(a.runDir, 'predictions', 'test.csv'), 'utf8').split('\n')[0]
  assert.match(header, /,w_xgboost,w_logistic$/)
  assert.deepEqual(manifest.signature.outputs.slice(-2), ['w_xgboost', 'w_logistic'])
  const gate = a.summary.gate!
  assert.equal(gate.name, 'hmm_gate')
  assert.equal(gate.rows, a.summary.samples.test)
  assert.ok(Math.abs(gate.mean_weights[0] + gate.mean_weights[1] - 1) < 1e-9)
  assert.ok(['xgboost', 'logistic'].includes(gate.regret.best_member))
  assert.ok(Number.isFinite(gate.regret.total))
  assert.ok(readFileSync(join(a.runDir, 'report.html'), 'utf8').includes('<div class="chart" id="chart-gate"'))
  assert.ok((await assertBundleReproducesRun(a, data)) > 1000)
})

test('markov_switching_gate under walk-forward: a regime and a gate per window, the last window scored from the bundle', async () => {
  const data = await sampleSlice(9 * 1440)
  const config = gatingConfig(
    { gate: 'markov_switching_gate', regime: { model: 'markov_switching', states: 2, params: { restarts: 2 } } },
    {
      splits: { method: 'walk_forward' },
      evaluation: { walk_forward: { train: '3d', test: '1d', step: '2d', val: 0.2 } },
    },
  )
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const windows = run.summary.evaluation.windows
  assert.ok(windows.length >= 2, `${windows.length} windows`)
  assert.equal(run.summary.gate!.rows, run.summary.samples.test)
  // The bundle is the last window's chain (its regime model and gate): it reproduces that window's test rows.
  assert.ok((await assertBundleReproducesRun(run, data, Date.parse(windows.at(-1)!.testStart))) > 1000)
})

test('bandit_gate learns online in mlf run as labels close, and scoring the file from the bundle meets the same outcomes', async () => {
  const data = await sampleSlice(ROWS)
  const config = gatingConfig({ gate: 'bandit_gate', policy: 'thompson', context_features: ['rv_1m', 'vol_regime_1m'] })
  const out = tempDir()
  const a = await runPipeline({ config, dataFile: data, outDir: out })
  const b = await runPipeline({ config, dataFile: data, outDir: out })
  assert.equal(a.bundleChecksum, b.bundleChecksum)
  const combiner = JSON.parse(readFileSync(join(a.bundleDir, 'model', 'combiner', 'combiner.json'), 'utf8'))
  assert.equal(combiner.method, 'bandit_gate')
  assert.deepEqual(combiner.extra_features, ['rv_1m', 'vol_regime_1m'])
  assert.ok(combiner.state.trained > 5000, `${combiner.state.trained} out-of-fold outcomes learned in training`)
  assert.ok(a.summary.gate && Number.isFinite(a.summary.gate.regret.total))
  // Every test prediction and weight, reproduced: the bundle replays the stream after the training window.
  assert.ok((await assertBundleReproducesRun(a, data)) > 1000)
})

test('softmax_gate runs end to end: a small libtorch network trained on OOF loss, read out, scored from the bundle', async (t) => {
  const reason = torchUnavailableReason()
  if (reason) return void t.skip(reason)
  const data = await sampleSlice(ROWS)
  const config = gatingConfig({
    gate: 'softmax_gate',
    regime: { model: 'markov_switching', states: 2 },
    context_features: ['rv_1m'],
    epochs: 30,
  })
  const out = tempDir()
  const a = await runPipeline({ config, dataFile: data, outDir: out })
  const b = await runPipeline({ config, dataFile: data, outDir: out })
  assert.equal(a.bundleChecksum, b.bundleChecksum)
  const combiner = JSON.parse(readFileSync(join(a.bundleDir, 'model', 'combiner', 'combiner.json'), 'utf8'))
  assert.equal(combiner.method, 'softmax_gate')
  assert.deepEqual(combiner.extra_features, ['rv_1m', 'ensemble_regime_p0', 'ensemble_regime_p1'])
  assert.deepEqual(
    combiner.state.layers.map((l: { bias: number[] }) => l.bias.length),
    [16, 2],
  )
  assert.ok((await assertBundleReproducesRun(a, data)) > 1000)
})
