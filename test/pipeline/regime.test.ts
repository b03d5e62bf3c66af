import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPipeline } from '../../src/pipeline/run.js'
import { runConfigProblems } from '../../src/pipeline/problems.js'
import { resolveConfig } from '../../src/config/load.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig, SMALL_FEATURES } from './fixture.js'

const ROWS = 30_000

test('features.regime_model: fitted on the training window, its columns feed the model, the bundle carries it', async () => {
  const data = await sampleSlice(ROWS)
  const config = smallConfig({
    features: {
      ...SMALL_FEATURES,
      regime_model: {
        model: 'hmm',
        states: 3,
        features: ['log_return', 'log_range', 'rv_15m'],
        params: { restarts: 2 },
      },
    },
  })
  const out = tempDir()
  const a = await runPipeline({ config, dataFile: data, outDir: out })
  const b = await runPipeline({ config, dataFile: data, outDir: out })
  assert.equal(a.bundleChecksum, b.bundleChecksum, 'same data, config and seed: the same bundle')
  const manifest = JSON.parse(readFileSync(join(a.bundleDir, 'manifest.json'), 'utf8'))
  assert.deepEqual(manifest.chain[0], {
    role: 'regime',
    name: 'regime',
    model: 'hmm',
    states: 3,
    features: ['log_return', 'log_range', 'rv_15m'],
  })
  assert.ok(manifest.files['regimes/regime.json'], 'the fitted regime model is a checksummed file of the bundle')
  const saved = JSON.parse(readFileSync(join(a.bundleDir, 'regimes', 'regime.json'), 'utf8'))
  assert.equal(saved.format, 'mlfactory.regime_features')
  // The model took the regime columns as its last five features (3 probabilities, duration, state) and split on them.
  const loaded = await loadBundle(a.bundleDir, a.bundleChecksum)
  assert.equal(loaded.regimes.length, 1)
  const gain = loaded.model.importance!('gain')
  assert.equal(gain.length, loaded.manifest.feature_schema.names.length + 5)
  assert.ok(
    gain.subarray(-5).some((g) => g > 0),
    `gain of the regime columns: ${Array.from(gain.subarray(-5))}`,
  )
  // Scoring the file from the bundle alone refits nothing and reproduces every test prediction.
  assert.ok((await assertBundleReproducesRun(a, data)) > 1000)
})

test('stacking with regime meta-features: features.regime_model columns by name and ensemble.regime, members see only the first', async () => {
  const data = await sampleSlice(ROWS)
  const config = smallConfig({
    features: {
      ...SMALL_FEATURES,
      regime_model: { model: 'hmm', states: 2, params: { restarts: 2 } },
    },
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3, learning_rate: 0.2 } },
      { name: 'logistic', config: { C: 0.1, max_iter: 100 } },
    ],
    ensemble: {
      method: 'stacking',
      meta_learner: 'ridge',
      oof: { n_folds: 3, purge_bars: 30 },
      guard: 'report',
      regime_features: ['regime_p1', 'regime_duration'],
      regime: { model: 'markov_switching', states: 2, params: { restarts: 2 } },
    },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const combiner = JSON.parse(readFileSync(join(run.bundleDir, 'model', 'combiner', 'combiner.json'), 'utf8'))
  assert.deepEqual(combiner.extra_features, [
    'regime_p1',
    'regime_duration',
    'ensemble_regime_p0',
    'ensemble_regime_p1',
  ])
  const ensemble = JSON.parse(readFileSync(join(run.bundleDir, 'model', 'ensemble.json'), 'utf8'))
  for (const m of ensemble.members) {
    assert.ok(Array.isArray(m.features), `${m.name} has its column slice`)
    assert.ok(
      !m.features.some((f: string) => f.startsWith('ensemble_regime')),
      `${m.name} never sees the gate's regime`,
    )
    assert.ok(
      m.features.includes('regime_p0') && m.features.includes('regime_state'),
      `${m.name} sees the feature regime`,
    )
  }
  const manifest = JSON.parse(readFileSync(join(run.bundleDir, 'manifest.json'), 'utf8'))
  assert.deepEqual(
    manifest.chain.filter((l: { role: string }) => l.role === 'regime').map((l: { name: string }) => l.name),
    ['regime', 'ensemble_regime'],
  )
  assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
})

test('regime configs the run cannot honour are refused before any work, naming the field', () => {
  const members = [{ name: 'xgboost' }, { name: 'logistic', features: ['rsi_1m', 'ensemble_regime_p0'] }]
  const config = resolveConfig({
    base_models: members,
    ensemble: { method: 'stacking', regime: { states: 2 }, regime_features: ['ensemble_regime_p1'] },
  })
  const problems = runConfigProblems(config).join('\n')
  assert.match(problems, /base_models\.1\.features: ensemble_regime_p0 belong to ensemble\.regime/)
  assert.match(problems, /ensemble\.regime_features: ensemble_regime_p1 join the combiner by ensemble\.regime itself/)
  assert.throws(
    () =>
      resolveConfig({
        base_models: [{ name: 'xgboost' }, { name: 'logistic' }],
        ensemble: { kind: 'voting', regime: {} },
      }),
    /ensemble: Unrecognized key: "regime"/,
  )
  assert.throws(
    () =>
      resolveConfig({
        features: { regime_model: { model: 'markov_switching', features: ['log_return', 'log_range'] } },
      }),
    /features\.regime_model\.features: markov_switching models one return series/,
  )
  assert.throws(
    () => resolveConfig({ features: { regime_model: { params: { covariance: 'tied' } } } }),
    /features\.regime_model\.params\.covariance/,
  )
})
