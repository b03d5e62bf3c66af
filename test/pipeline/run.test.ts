import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle, REFERENCE_FILE, scoreWithBundle } from '../../src/pipeline/bundle.js'
import type { DriftReference } from '../../src/monitor/reference.js'
import { resolveConfig } from '../../src/config/load.js'
import { openRunStore } from '../../src/tracking/store.js'
import { registry } from '../../src/models/registry.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'
import { editManifest, replaceArtifact } from '../bundle/reseal.js'

const ROWS = 30_000

test('same data, config and seed give identical bundles; the run is recorded with a report', async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  const a = await runPipeline({ config: smallConfig(), dataFile: data, outDir: out })
  const b = await runPipeline({ config: smallConfig(), dataFile: data, outDir: out })
  assert.equal(a.bundleChecksum, b.bundleChecksum)
  assert.match(a.bundleChecksum, /^[0-9a-f]{64}$/)
  assert.deepEqual(a.summary.models, b.summary.models)
  assert.notEqual(a.runId, b.runId)
  const other = await runPipeline({ config: smallConfig({ seed: 8 }), dataFile: data, outDir: out })
  assert.notEqual(other.summary.config_hash, a.summary.config_hash)

  const report = readFileSync(join(a.runDir, 'report.html'), 'utf8')
  assert.match(report, /<html/i)
  assert.ok(!/<script[^>]+src=["']https?:/i.test(report), 'report is self-contained')
  const summary = JSON.parse(readFileSync(join(a.runDir, 'summary.json'), 'utf8'))
  for (const key of ['sharpe', 'sortino', 'win_rate', 'max_drawdown', 'turnover_per_day', 'fee_share_of_gross']) {
    assert.equal(typeof summary.backtest[key], 'number', key)
  }
  assert.equal(summary.regimes.length, 3)
  const byRegime = summary.regimes.reduce((s: number, g: { trades: number }) => s + g.trades, 0)
  assert.ok(summary.backtest.trades > 0, 'the small run trades')
  assert.equal(byRegime, summary.backtest.trades, 'every trade falls in one volatility regime')
  assert.ok(summary.samples.purged + summary.samples.embargoed > 0, 'the split purged or embargoed overlapping labels')
  // What it ran on: the engines this run loaded (XGBoost, which sets the native runtime up), nothing it did not.
  assert.equal(summary.environment.node, process.version)
  assert.match(summary.environment.engines.xgboost, /^\d+\.\d+\.\d+$/)
  assert.ok(summary.environment.cores > 0)
  const store = openRunStore(join(out, 'mlf.sqlite'))
  try {
    const runs = store.list({ limit: 10 })
    assert.equal(runs.length, 3)
    assert.equal(store.get(a.runId)?.configHash, a.summary.config_hash)
    assert.deepEqual(store.get(a.runId)?.environment, summary.environment)
    // The cost-free curve of the same positions: bar for bar with the net one, never below it, above it at the end.
    const eq = store.get(a.runId)!.backtest!.equity
    assert.equal(eq.gross?.length, eq.equity.length)
    assert.ok(eq.gross!.every((g, i) => g >= eq.equity[i] - 1e-12))
    assert.ok(eq.gross!.at(-1)! > eq.equity.at(-1)!)
  } finally {
    store.close()
  }
})

test('scoring from the bundle alone reproduces the run test predictions exactly', async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  const run = await runPipeline({ config: smallConfig(), dataFile: data, outDir: out })
  assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
})

test('a corrupted file, a missing artifact or a changed feature schema is refused by name', async () => {
  const data = await sampleSlice(ROWS)
  const run = await runPipeline({ config: smallConfig(), dataFile: data, outDir: tempDir() })
  const modelFiles = readdirSync(join(run.bundleDir, 'model'))
  const target = join(run.bundleDir, 'model', modelFiles[0])
  const original = readFileSync(target)

  appendFileSync(target, 'x')
  await assert.rejects(
    loadBundle(run.bundleDir),
    new RegExp(`model/${modelFiles[0]} has ${original.length + 1} bytes, the manifest says ${original.length}`),
  )
  const flipped = Buffer.from(original)
  flipped[flipped.length >> 1] ^= 1
  writeFileSync(target, flipped)
  await assert.rejects(loadBundle(run.bundleDir), new RegExp(`checksum mismatch for model/${modelFiles[0]}`))
  writeFileSync(target, original)
  await loadBundle(run.bundleDir)

  rmSync(target)
  await assert.rejects(loadBundle(run.bundleDir), new RegExp(`artifact model/${modelFiles[0]} is missing`))
  writeFileSync(target, original)

  writeFileSync(join(run.bundleDir, 'extra.bin'), 'x')
  await assert.rejects(loadBundle(run.bundleDir), /unexpected file extra.bin/)
  rmSync(join(run.bundleDir, 'extra.bin'))

  // Bars without volume cannot feed a model that learned from volume.
  const bundle = await loadBundle(run.bundleDir)
  await assert.rejects(scoreWithBundle(bundle, await sampleSlice(ROWS, false)), /trained on bars with volume/)

  // A bundle whose recorded feature schema differs from what its pipeline computes (e.g. made by another version, its
  // drift reference made on the same features).
  const referenceFile = join(run.bundleDir, REFERENCE_FILE)
  const reference = JSON.parse(readFileSync(referenceFile, 'utf8')) as DriftReference
  const renamed = [...reference.features.columns.slice(1), { ...reference.features.columns[0], name: 'rsi_2h' }]
  replaceArtifact(
    run.bundleDir,
    REFERENCE_FILE,
    JSON.stringify({ ...reference, features: { ...reference.features, columns: renamed } }),
  )
  editManifest(run.bundleDir, (manifest) => {
    manifest.feature_schema.hash = '0'.repeat(64)
    manifest.feature_schema.names = [...manifest.feature_schema.names.slice(1), 'rsi_2h']
  })
  await assert.rejects(
    scoreWithBundle(await loadBundle(run.bundleDir), data),
    /feature schema mismatch.*missing: rsi_2h/,
  )
})

test('shuffled-label control: test AUC near 0.5, while the same model on true labels beats it (a leakage canary)', async () => {
  const data = await sampleSlice(60_000)
  // One shuffle can align with real structure by chance (overlapping labels make the test sample effectively small),
  // so the canary averages four fixed shuffles; each alone must stay within 0.05.
  const aucs: number[] = []
  for (const seed of [1, 2, 3, 4]) {
    const run = await runPipeline({
      config: smallConfig({ seed, control: { shuffle_labels: true } }),
      dataFile: data,
      outDir: tempDir(),
    })
    assert.equal(run.summary.canary.shuffled_labels, true)
    aucs.push(run.summary.canary.test_auc)
  }
  const mean = aucs.reduce((s, x) => s + x, 0) / aucs.length
  assert.ok(Math.abs(mean - 0.5) <= 0.02, `mean shuffled test AUC ${mean} (${aucs.join(', ')})`)
  for (const a of aucs) assert.ok(Math.abs(a - 0.5) <= 0.05, `shuffled test AUC ${a}`)
  const real = await runPipeline({ config: smallConfig({ seed: 1 }), dataFile: data, outDir: tempDir() })
  assert.ok(
    real.summary.canary.test_auc > mean + 0.03,
    `true labels ${real.summary.canary.test_auc} vs shuffled ${mean}`,
  )
})

test('config errors: unknown ensemble members name what is missing and what exists; bad model params give the path', () => {
  assert.throws(
    () =>
      resolveConfig({
        base_models: [{ name: 'xgboost' }, { name: 'random_forest' }],
        ensemble: { kind: 'voting', members: ['xgboost', 'catboost'] },
      }),
    /ensemble\.members: ensemble members not among the base_models with outputs \[p\]: catboost \(those: xgboost, random_forest; registry: .*xgboost/,
  )
  assert.throws(
    () => resolveConfig({ base_models: [{ name: 'xgboost', config: { max_depth: -1 } }] }),
    /base_models\.0\.config\.max_depth/,
  )
  assert.throws(() => resolveConfig({ base_models: [{ name: 'nope' }] }), /base_models\.0\.name: unknown model "nope"/)
})

test('a voting ensemble of a tree model and an LSTM on windows runs end to end and scores identically from its bundle', async (t) => {
  const lstm = registry.get('lstm')
  const availability = lstm?.available()
  if (!availability?.ok)
    return t.skip(`lstm unavailable: ${availability && !availability.ok ? availability.hint : 'not registered'}`)
  const data = await sampleSlice(ROWS)
  const config = smallConfig({
    views: { window_steps: 16 },
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3 } },
      { name: 'lstm', config: { hidden: 8, epochs: 1, batchSize: 512 } },
    ],
    ensemble: { kind: 'voting', weights: 'val_accuracy' },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  assert.deepEqual(
    run.summary.models.map((m) => m.name),
    ['xgboost', 'lstm', 'voting', 'voting+temperature'],
  )
  const weights = run.summary.ensemble_weights!
  assert.ok(weights.xgboost > 0 && weights.lstm > 0)
  const resolved = readFileSync(join(run.runDir, 'config.resolved.yaml'), 'utf8')
  assert.match(resolved, /weights:\n\s+- [0-9.e-]+\n\s+- [0-9.e-]+/)
  assert.ok((await assertBundleReproducesRun(run, data)) > 0)
})
