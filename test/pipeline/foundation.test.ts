/**
 * Zero-shot foundation models in mlf run: chronos_bolt on the q05/q50/q95 head beside an xgboost p member, on the
 * small ONNX graph with Chronos-Bolt's export signature (test/fixtures/foundation). The foundation view is built in
 * the run (context windows of the bars), the model is never fitted, its forecasts are the head's, the bundle holds
 * the ONNX file with its SHA-256 and reproduces every test prediction; what cannot work is refused before any
 * training.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load.js'
import { onnxAvailability } from '../../src/engines/onnx/session.js'
import { foundationView } from '../../src/features/views/foundation.js'
import { createModel } from '../../src/models/registry.js'
import { loadBundle, scoreWithBundle } from '../../src/pipeline/bundle.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { repoRoot, tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const CHRONOS = join(repoRoot, 'test/fixtures/foundation/chronos_bolt_tiny.onnx')
const TIMESFM = join(repoRoot, 'test/fixtures/foundation/timesfm_tiny.onnx')
const XGB = {
  name: 'xgboost',
  config: { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 },
}
/** The fixture graphs forecast 8 steps: the return heads' horizon (maxHolding) is 8 here. */
const LABELS = { tripleBarrier: { maxHolding: 8, costBps: 5 } }
const BAND = ['q05', 'q50', 'q95']
const onnx = onnxAvailability()

test('foundation members are refused at load where they cannot work, naming the field', () => {
  const fails = (over: Record<string, unknown>, why: RegExp) =>
    assert.throws(() => resolveConfig({ labels: LABELS, ...over }), why)
  const member = (m: Record<string, unknown>) => ({ base_models: [XGB, { name: 'chronos_bolt', ...m }] })
  // No 3-class p from a forecaster: the p head (the default outputs) is refused.
  fails(
    member({ config: { path: CHRONOS, horizon: 8 } }),
    /base_models\.1\.outputs: model "chronos_bolt" cannot produce p/,
  )
  fails(member({ outputs: BAND }), /base_models\.1\.config\.path: /)
  fails(
    member({ config: { path: CHRONOS, horizon: 8, epochs: 5 }, outputs: BAND }),
    /base_models\.1\.config: Unrecognized key: "epochs"; "chronos_bolt" is zero-shot \(used as exported, never trained\), so it takes no training parameters/,
  )
  fails(
    member({ config: { path: CHRONOS }, outputs: ['E_r'] }),
    /base_models\.1\.config\.horizon: chronos_bolt forecasts 1 bar\(s\) ahead, but its heads \(E_r\) are the return over labels\.tripleBarrier\.maxHolding = 8 bars; set horizon: 8/,
  )
  fails(
    member({ config: { path: CHRONOS, horizon: 8 }, outputs: BAND, view: 'window_tensor' }),
    /takes foundation, not window_tensor/,
  )
  fails({ views: { foundation_context: 1 } }, /views\.foundation_context: /)
  const ok = resolveConfig({ labels: LABELS, ...member({ config: { path: CHRONOS, horizon: 8 }, outputs: BAND }) })
  assert.equal(ok.views.foundation_context, 512)
})

test('a run refuses, before any training, a missing ONNX file, a wrong graph, a horizon beyond the export and a context longer than the data', async (t) => {
  if (!onnx.ok) return t.skip(onnx.hint)
  const data = await sampleSlice(3_000)
  const run = (member: Record<string, unknown>, views: Record<string, unknown> = { foundation_context: 64 }) => {
    const lines: string[] = []
    const config = smallConfig({
      labels: LABELS,
      views,
      base_models: [XGB, { name: 'chronos_bolt', outputs: BAND, ...member }],
    })
    return { lines, done: runPipeline({ config, dataFile: data, outDir: tempDir(), log: (l) => lines.push(l) }) }
  }
  const refused = async (member: Record<string, unknown>, why: RegExp, views?: Record<string, unknown>) => {
    const r = run(member, views)
    await assert.rejects(r.done, why)
    // Nothing was fitted: no stage finished.
    assert.ok(!r.lines.some((l) => /fit xgboost/.test(l)), r.lines.join('\n'))
  }
  await refused(
    { config: { path: join(tempDir(), 'absent.onnx'), horizon: 8 } },
    /base_models\.1\.config\.path: chronos_bolt reads .*absent\.onnx, which is not a file .*docs\/foundation-models\.md/,
  )
  await refused(
    { config: { path: TIMESFM, horizon: 8 } },
    /base_models\.1\.config: chronos_bolt failed its check on one synthetic context of 64 bars \(views\.foundation_context\), before any work: .*has no input "context"/,
  )
  const far = { labels: { tripleBarrier: { maxHolding: 30, costBps: 5 } } }
  await assert.rejects(
    runPipeline({
      config: smallConfig({
        ...far,
        views: { foundation_context: 64 },
        base_models: [XGB, { name: 'chronos_bolt', outputs: BAND, config: { path: CHRONOS, horizon: 30 } }],
      }),
      dataFile: data,
      outDir: tempDir(),
    }),
    /base_models\.1\.config: .*horizon 30 is beyond the model's prediction_length 8/,
  )
  await refused(
    { config: { path: CHRONOS, horizon: 8 } },
    /views\.foundation_context is 4000 bars, longer than the data \(3000 bars\)/,
    { foundation_context: 4000 },
  )
})

test('chronos_bolt zero-shot on the q05/q50/q95 head beside xgboost on p: not fitted, its forecasts are the head, the bundle holds the ONNX file and reproduces the run', async (t) => {
  if (!onnx.ok) return t.skip(onnx.hint)
  const data = await sampleSlice(20_000)
  const context = 64
  const config = smallConfig({
    labels: LABELS,
    views: { foundation_context: context },
    base_models: [XGB, { name: 'chronos_bolt', config: { path: CHRONOS, horizon: 8 }, outputs: BAND }],
  })
  const lines: string[] = []
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir(), log: (l) => lines.push(l) })
  assert.ok(
    lines.some((l) => /chronos_bolt \(q05\/q50\/q95 head\): zero-shot, used as exported and not fitted/.test(l)),
    lines.join('\n'),
  )
  assert.ok(!lines.some((l) => /fit chronos_bolt/.test(l)))
  const [band] = run.summary.heads
  assert.equal(band.head, 'q05/q50/q95')
  assert.equal(band.model, 'chronos_bolt')
  assert.equal(band.metrics.test.rows, run.summary.samples.test)
  assert.ok(band.metrics.test.width > 0 && band.metrics.test.coverage > 0 && band.metrics.test.coverage < 1)

  const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
  assert.deepEqual(
    bundle.manifest.models.map((m) => [m.role, m.name, m.dir]),
    [
      ['final', 'xgboost', 'model'],
      ['head:quantiles', 'chronos_bolt', 'heads/quantiles/members/0/model'],
    ],
  )
  const member = bundle.manifest.chain.find((l) => l.role === 'member' && l.name === 'chronos_bolt')
  assert.equal(member && 'view' in member ? member.view : null, 'foundation')
  // The bundle holds a copy of the export and its SHA-256; it never reads the configured path again.
  const dir = join(run.bundleDir, 'heads/quantiles/members/0/model')
  const sha = createHash('sha256').update(readFileSync(CHRONOS)).digest('hex')
  assert.equal(
    createHash('sha256')
      .update(readFileSync(join(dir, 'model.onnx')))
      .digest('hex'),
    sha,
  )
  assert.equal(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).onnxSha256, sha)
  assert.equal(bundle.manifest.files['heads/quantiles/members/0/model/model.onnx'].sha256, sha)

  assert.ok((await assertBundleReproducesRun(run, data)) > 500)
  // The head's outputs are the exported model's forecasts on each row's context, nothing learned in between.
  const { bars, rows, heads } = await scoreWithBundle(bundle, data)
  assert.ok(rows[0] >= context - 1)
  const direct = createModel(
    'chronos_bolt',
    { path: CHRONOS, horizon: 8 },
    {
      kind: 'quantile',
      quantiles: [0.05, 0.5, 0.95],
    },
  ).predict(foundationView(bars, { context, rows }))
  for (const q of ['q05', 'q50', 'q95'] as const) assert.deepEqual(heads![q], direct[q])
})
