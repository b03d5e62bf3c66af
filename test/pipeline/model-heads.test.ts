/**
 * The model contract through mlf run: every registry model that can take part in a run (`mlf models --run-ready`),
 * on every head it can output, trained from a small YAML-shaped config on a slice of the sample, with every output
 * finite and the bundle reproducing the run's test predictions string for string. Foundation models run zero-shot
 * on the tiny ONNX fixtures of test/fixtures/foundation (8-bar horizon, so their runs use maxHolding 8). Imported
 * models are left out: they are pre-trained on other feature sets, so no run's features fit them (their parity tests
 * cover them).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { runReadiness } from '../../src/cli/models.js'
import { isTargetHead } from '../../src/config/targets.js'
import { registry } from '../../src/models/registry.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { repoRoot, tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 8_000

/** Small settings so each model trains in seconds; neural models get one epoch of small layers. */
const LIGHT: Record<string, Record<string, unknown>> = {
  xgboost: { n_estimators: 20, max_depth: 3 },
  xgboost_leafwise: { n_estimators: 20 },
  random_forest: { n_estimators: 20, max_depth: 4 },
  knn: { k: 15 },
  patchtst: { patchLen: 4, stride: 2, dModel: 16, heads: 2, layers: 1, ff: 32, headDim: 4 },
  nhits: { poolKernels: [4, 2, 1], downsample: [4, 2, 1], horizon: 4, units: 32 },
  nbeats: { horizon: 4, units: 32 },
  tsmixer: { blocks: 2, ff: 16 },
  quantile_rnn: { hidden: 16 },
  deepar: { hidden: 16, layers: 1 },
  inception_time: { filters: 8, kernels: [9, 5, 3], bottleneck: 8, depth: 3 },
  resnet1d: { channels: [16, 16], kernels: [5, 3, 3] },
  itransformer: { dModel: 16, heads: 2, layers: 1, ff: 32 },
  tft: { hidden: 16, heads: 2 },
  lstm: { hidden: 16 },
  gru: { hidden: 16 },
  tcn: { channels: 16 },
  mlp: { hidden: [32] },
}
const FOUNDATION: Record<string, string> = {
  chronos_bolt: join(repoRoot, 'test/fixtures/foundation/chronos_bolt_tiny.onnx'),
  timesfm: join(repoRoot, 'test/fixtures/foundation/timesfm_tiny.onnx'),
}
const OUTPUTS: Record<string, string[]> = {
  p: ['p'],
  p_up: ['p_up'],
  E_r: ['E_r'],
  'q05/q50/q95': ['q05', 'q50', 'q95'],
  tradeable: ['tradeable'],
  direction: ['direction'],
  strength: ['strength'],
  reach: ['reach'],
}

const data = sampleSlice(ROWS)

for (const [name, entry] of registry) {
  if (entry.spec.family === 'imported') continue
  const run = runReadiness(entry)
  if (!('heads' in run)) continue
  // The multi-head targets share one run per model (each target is its own fit; the model sees binary and
  // regression tasks on the heads above too).
  const targets = run.heads.filter((h) => isTargetHead(h))
  const groups = [...run.heads.filter((h) => !isTargetHead(h)).map((h) => [h]), ...(targets.length ? [targets] : [])]
  for (const heads of groups) {
    const head = heads.join(', ')
    test(`mlf run trains ${name} on the ${head} head${heads.length > 1 ? 's' : ''} from a config, and its bundle reproduces the test predictions`, async () => {
      const neural = entry.spec.inputView === 'window_tensor'
      const foundation = FOUNDATION[name]
      const params = foundation
        ? { path: foundation, horizon: 8 }
        : { ...(LIGHT[name] ?? {}), ...(neural ? { epochs: 1, batchSize: 128 } : {}) }
      const member = { name, config: params, outputs: heads.flatMap((h) => OUTPUTS[h]) }
      const xgboost = { name: 'xgboost', config: LIGHT.xgboost }
      const config = smallConfig({
        ...(foundation ? { labels: { tripleBarrier: { maxHolding: 8, costBps: 5 } } } : {}),
        ...(heads === targets
          ? {
              labels: {
                tripleBarrier: { maxHolding: 30, costBps: 5 },
                targets: { horizons: [30], reachThresholds: [0.002] },
              },
            }
          : {}),
        views: { window_steps: 16, foundation_context: 64 },
        base_models: head === 'p' ? [member] : [xgboost, member],
        inference: { calibrate: ['temperature'] },
      })
      const result = await runPipeline({ config, dataFile: await data, outDir: tempDir() })
      const s = result.summary
      if (head === 'p') {
        const m = s.models.find((x) => x.name === name)!
        for (const v of Object.values(m.metrics.test)) assert.ok(Number.isFinite(v), `${name}: ${JSON.stringify(m)}`)
      } else {
        // One record per head, or per target: tradeable, direction and strength at h30, reach up/down/either at 20bp.
        const expected = heads === targets ? heads.reduce((c, h) => c + (h === 'reach' ? 3 : 1), 0) : 1
        assert.equal(s.heads.length, expected, JSON.stringify(s.heads.map((h) => h.head)))
        for (const h of s.heads) {
          assert.equal(h.model, name)
          for (const [k, v] of Object.entries(h.metrics.test))
            assert.ok(Number.isFinite(v), `${name} ${h.head} ${k}: ${v}`)
        }
      }
      assert.ok((await assertBundleReproducesRun(result, await data)) > 500)
    })
  }
}
