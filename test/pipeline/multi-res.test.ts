/**
 * The multi_res view in mlf run: TSMixer (which, like PatchTST, takes multi_res as well as window_tensor) picked to
 * take it with base_models[].view, built from views.multi_res; sample rows need every part's window past warm-up;
 * the bundle restores the model on that view and reproduces the run; what cannot work is refused before training.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load.js'
import { registry } from '../../src/models/registry.js'
import { loadBundle, scoreWithBundle } from '../../src/pipeline/bundle.js'
import { baseInterval, originMs } from '../../src/config/schema.js'
import { computeFeatures } from '../../src/features/frame.js'
import { multiResView } from '../../src/features/views/multi-res.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const TINY = { ff: 8, blocks: 1, epochs: 1, batchSize: 512 }
const VIEWS = {
  multi_res: {
    parts: [
      { timeframe: '1m', steps: 8 },
      { timeframe: '15m', steps: 3 },
    ],
    features: ['rsi', 'atr'],
  },
}

test('base_models[].view: multi_res is refused where it cannot work, naming the field', () => {
  const fails = (over: Record<string, unknown>, why: RegExp) => assert.throws(() => resolveConfig(over), why)
  fails(
    { base_models: [{ name: 'lstm', view: 'multi_res' }] },
    /base_models\.0\.view: model "lstm" takes window_tensor, not multi_res/,
  )
  fails(
    { base_models: [{ name: 'xgboost', view: 'multi_res' }] },
    /model "xgboost" takes feature_matrix, not multi_res/,
  )
  // The default parts include 1h, which this ladder lacks.
  fails(
    { timeframes: ['1m', '5m', '15m'], base_models: [{ name: 'tsmixer', view: 'multi_res' }] },
    /views\.multi_res\.parts\.3\.timeframe: 1h is not on the ladder \(timeframes: 1m, 5m, 15m\)/,
  )
  fails(
    {
      views: {
        multi_res: {
          parts: [
            { timeframe: '1m', steps: 4 },
            { timeframe: '1m', steps: 2 },
          ],
        },
      },
      base_models: [{ name: 'patchtst', view: 'multi_res' }],
    },
    /views\.multi_res\.parts\.1\.timeframe: 1m is listed twice/,
  )
  for (const name of ['patchtst', 'tsmixer'])
    assert.deepEqual(registry.get(name)!.spec.alsoTakes, ['multi_res'], `${name} takes multi_res`)
  assert.equal(
    resolveConfig({ base_models: [{ name: 'tsmixer', view: 'multi_res' }] }).base_models[0].view,
    'multi_res',
  )
})

test('tsmixer on the multi_res view in a run: rows past every part warm-up, bundle restores the view and reproduces the run; a feature missing on a part is refused before training', async (t) => {
  const entry = registry.get('tsmixer')!
  const ok = entry.available()
  if (!ok.ok) return t.skip(ok.hint)
  const data = await sampleSlice(12_000)
  const config = smallConfig({ views: VIEWS, base_models: [{ name: 'tsmixer', view: 'multi_res', config: TINY }] })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
  assert.equal(bundle.model.spec.inputView, 'multi_res')
  const member = bundle.manifest.chain.find((l) => l.role === 'member')
  assert.equal(member && 'view' in member ? member.view : null, 'multi_res')
  assert.ok((await assertBundleReproducesRun(run, data)) > 500)
  // Every scored row has each part's window past its features' warm-up (the view builder's own sample rows).
  const { bars, rows } = await scoreWithBundle(bundle, data)
  const c = bundle.config
  const frame = computeFeatures(bars, c.features, undefined, originMs(c), baseInterval(c))
  const warm = new Set(multiResView(frame, VIEWS.multi_res).rows)
  assert.ok(rows.length > 0 && rows.every((r) => warm.has(r)))
  assert.ok(!warm.has(rows[0] - 1) || !frame.usable[rows[0] - 1])

  const lines: string[] = []
  const bad = smallConfig({
    views: { multi_res: { ...VIEWS.multi_res, features: ['rsi', 'no_such'] } },
    base_models: [{ name: 'xgboost' }, { name: 'tsmixer', view: 'multi_res', config: TINY, outputs: ['E_r'] }],
  })
  await assert.rejects(
    runPipeline({ config: bad, dataFile: data, outDir: tempDir(), log: (l) => lines.push(l) }),
    /multi_res: feature no_such_1m is not computed on 1m/,
  )
  assert.ok(!lines.some((l) => /fit /.test(l)), lines.join('\n'))
})
