import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPipeline } from '../../src/pipeline/run.js'
import { resolveConfig } from '../../src/config/load.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 30_000

/** Two small members stacked by ridge on 3 purged, embargoed folds. */
function stackingConfig(over: Record<string, unknown> = {}) {
  return smallConfig({
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3, learning_rate: 0.2 } },
      { name: 'logistic', config: { C: 0.1, max_iter: 100 } },
    ],
    ensemble: {
      method: 'stacking',
      meta_learner: 'ridge',
      oof: { n_folds: 3, purge_bars: 30, embargo_bars: 240 },
      guard: 'report',
    },
    ...over,
  })
}

test('stacking runs end to end: deterministic bundle, guard reported, scored identically from the bundle alone', async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  const a = await runPipeline({ config: stackingConfig(), dataFile: data, outDir: out })
  const b = await runPipeline({ config: stackingConfig(), dataFile: data, outDir: out })
  assert.equal(a.bundleChecksum, b.bundleChecksum)
  assert.deepEqual(
    a.summary.models.map((m) => [m.name, m.kind]),
    [
      ['xgboost', 'base'],
      ['logistic', 'base'],
      ['stacking', 'ensemble'],
      ['stacking+temperature', 'calibrated'],
    ],
  )
  const guard = a.summary.ensemble_guard
  assert.ok(guard, 'the guard compared the stacker with its members')
  assert.equal(guard.rows, a.summary.samples.val)
  assert.deepEqual(
    guard.members.map((m) => m.name),
    ['xgboost', 'logistic'],
  )
  assert.equal(guard.kept, 'combiner') // mode report: reported, never swapped
  // The resolved config carries the combiner's params with their defaults.
  const resolved = readFileSync(join(a.runDir, 'config.resolved.yaml'), 'utf8')
  assert.match(resolved, /method: stacking/)
  assert.match(resolved, /embargo_bars: 240/)

  assert.ok((await assertBundleReproducesRun(a, data)) > 1000)
})

test('stacking with shuffled labels: the leakage canary stays near 0.5', async () => {
  const data = await sampleSlice(ROWS)
  const run = await runPipeline({
    config: stackingConfig({ seed: 3, control: { shuffle_labels: true } }),
    dataFile: data,
    outDir: tempDir(),
  })
  assert.ok(Math.abs(run.summary.canary.test_auc - 0.5) <= 0.05, `shuffled test AUC ${run.summary.canary.test_auc}`)
})

test('an ensemble section the run cannot do is refused at load, naming the field', () => {
  const base = [{ name: 'xgboost' }, { name: 'logistic' }]
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ method: 'stacking', meta_learner: 'knn' }, /ensemble\.meta_learner: meta_learner must be one of/],
    [{ method: 'stacking', meta_learner: 'ridge', meta_params: { alpha: 0.01 } }, /ensemble\.meta_params\.alpha/],
    [{ method: 'stacking', oof: { n_folds: 1 } }, /ensemble\.oof\.n_folds/],
    [
      { method: 'stacking', regime_features: ['vol_z_1m', 'vol_z_1m'] },
      /ensemble\.regime_features: a regime feature appears twice/,
    ],
    [{ method: 'bagging' }, /ensemble\.method: unknown combiner "bagging"/],
  ]
  for (const [ensemble, message] of refused) {
    assert.throws(() => resolveConfig({ base_models: base, ensemble }), message, JSON.stringify(ensemble))
  }
  assert.throws(
    () => resolveConfig({ base_models: [{ name: 'xgboost' }], ensemble: { method: 'blending' } }),
    /blending needs at least 2 base_models/,
  )
  assert.throws(
    () => resolveConfig({ base_models: [{ name: 'xgboost' }, { name: 'xgboost' }], ensemble: { method: 'stacking' } }),
    /stacking names its members by model: xgboost appears more than once/,
  )
})

test('blending runs end to end the same way, on a holdout at the end of the training window', async () => {
  const data = await sampleSlice(ROWS)
  const config = stackingConfig({
    ensemble: { method: 'blending', meta_learner: 'logistic', holdout: { fraction: 0.25, purge_bars: 30 } },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  assert.deepEqual(
    run.summary.models.map((m) => m.name),
    ['xgboost', 'logistic', 'blending', 'blending+temperature'],
  )
  assert.ok(run.summary.ensemble_guard, 'guard: fallback (the default) compared on validation')
  assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
})

test('regime features join the meta-learner through mlf run, and scoring reads them back from the bundle', async () => {
  const data = await sampleSlice(ROWS)
  const regime = ['vol_regime_1m', 'vol_z_1m']
  const run = await runPipeline({
    config: stackingConfig({
      ensemble: {
        method: 'stacking',
        meta_learner: 'ridge',
        oof: { n_folds: 3 },
        guard: 'report',
        regime_features: regime,
      },
    }),
    dataFile: data,
    outDir: tempDir(),
  })
  const saved = JSON.parse(readFileSync(join(run.bundleDir, 'model', 'combiner', 'combiner.json'), 'utf8'))
  assert.deepEqual(saved.extra_features, regime)
  assert.match(readFileSync(join(run.runDir, 'config.resolved.yaml'), 'utf8'), /regime_features:\n\s+- vol_regime_1m/)
  // The bundle's combined model takes the regime columns from the feature matrix it is given.
  assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
  await assert.rejects(
    runPipeline({
      config: stackingConfig({ ensemble: { method: 'stacking', regime_features: ['vol_regime_5h'] } }),
      dataFile: data,
      outDir: tempDir(),
    }),
    /ensemble\.regime_features: vol_regime_5h is not a feature of this run \(similar: .*vol_regime_1m/,
  )
})
