/**
 * The conformal methods that refit the E_r head on resamples of the training window (cv_plus on purged folds,
 * jackknife_plus_ab and enbpi on purged block-bootstrap bags) and the online ones (aci, enbpi) through mlf run: every
 * resample's models are in the bundle, `mlf predict` reproduces the run's test intervals string for string, the
 * fitted state and resample models never see a test label, jackknife+ refits once per sample within max_refits (poisoning the test window changes none of them), and a
 * run is deterministic to the bundle checksum.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runPipeline } from '../../src/pipeline/run.js'
import { resolveConfig } from '../../src/config/load.js'
import { runConfigProblems } from '../../src/pipeline/problems.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, poisonedFrom, sampleSlice, smallConfig } from './fixture.js'

const data = sampleSlice(12_000)

const config = (uncertainty: Record<string, unknown>) =>
  smallConfig({
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 5 } },
      { name: 'ridge', outputs: ['E_r'] },
      { name: 'xgboost', config: { n_estimators: 15, max_depth: 2 }, outputs: ['E_r'] },
    ],
    inference: { calibrate: ['temperature'], uncertainty: { coverage: 0.9, ...uncertainty } },
  })

const METHODS: Record<string, { params: Record<string, unknown>; resamples: number }> = {
  cv_plus: { params: { n_folds: 4, purge_bars: 5 }, resamples: 4 },
  jackknife_plus_ab: { params: { models: 5, block: 400, embargo_bars: 10 }, resamples: 5 },
  enbpi: { params: { models: 5, block: 400 }, resamples: 5 },
  aci: { params: { gamma: 0.01 }, resamples: 0 },
}

const testCsv = (run: { runDir: string }) =>
  readFileSync(join(run.runDir, 'predictions', 'test.csv'), 'utf8')
    .trim()
    .split('\n')

for (const [method, { params, resamples }] of Object.entries(METHODS)) {
  test(`${method} through mlf run: intervals on the E_r head, resample models in the bundle, mlf predict reproduces them`, async () => {
    const file = await data
    const run = await runPipeline({ config: config({ method, ...params }), dataFile: file, outDir: tempDir() })
    const head = run.summary.heads.find((h) => h.head === 'E_r')!
    assert.deepEqual(head.postProcessors, [method])
    const cov = head.metrics.test.coverage!
    assert.ok(cov > 0.75 && cov <= 1, `${method}: test coverage ${cov}`)
    const lines = testCsv(run)
    const cols = lines[0].split(',')
    const [iE, iLo, iHi] = ['E_r', 'q_lo', 'q_hi'].map((c) => cols.indexOf(c))
    assert.ok(iLo > 0 && iHi > 0, lines[0])
    for (const line of lines.slice(1)) {
      const v = line.split(',')
      assert.ok(Number(v[iLo]) <= Number(v[iHi]), line)
      assert.ok(Number.isFinite(Number(v[iE])), line)
    }
    const manifest = JSON.parse(readFileSync(join(run.bundleDir, 'manifest.json'), 'utf8'))
    const roles = manifest.models.map((m: { role: string }) => m.role) as string[]
    // Two members of the head, refitted per resample.
    assert.equal(roles.filter((r) => r.startsWith('resample:E_r:')).length, 2 * resamples)
    if (resamples) assert.equal(readdirSync(join(run.bundleDir, 'heads', 'E_r', 'resamples')).length, resamples)
    assert.equal(await assertBundleReproducesRun(run, file), lines.length - 1)
  })
}

test('resampled and online fits never see a test label: poisoning the test window leaves them byte for byte the same', async () => {
  const file = await data
  for (const method of ['jackknife_plus_ab', 'aci']) {
    const c = config({ method, ...METHODS[method].params })
    const clean = await runPipeline({ config: c, dataFile: file, outDir: tempDir() })
    const firstTest = testCsv(clean)[1].split(',')[0]
    const poisoned = await runPipeline({ config: c, dataFile: poisonedFrom(file, firstTest), outDir: tempDir() })
    const read = (run: { bundleDir: string }, f: string) => readFileSync(join(run.bundleDir, f), 'utf8')
    assert.equal(read(poisoned, 'heads/E_r/post_processors.json'), read(clean, 'heads/E_r/post_processors.json'))
    if (method !== 'aci')
      for (const k of ['0', '4'])
        for (const m of ['0', '1'])
          assert.deepEqual(
            readdirSync(join(poisoned.bundleDir, 'heads/E_r/resamples', k, 'members', m, 'model')).map((f) =>
              read(poisoned, join('heads/E_r/resamples', k, 'members', m, 'model', f)),
            ),
            readdirSync(join(clean.bundleDir, 'heads/E_r/resamples', k, 'members', m, 'model')).map((f) =>
              read(clean, join('heads/E_r/resamples', k, 'members', m, 'model', f)),
            ),
          )
    // ... while the test window itself did change (so the comparison above could fail).
    assert.notEqual(testCsv(poisoned).join('\n'), testCsv(clean).join('\n'))
  }
})

test('a resampled run is deterministic: the same config and data give the same bundle checksum', async () => {
  const file = await data
  const c = config({ method: 'enbpi', ...METHODS.enbpi.params })
  const a = await runPipeline({ config: c, dataFile: file, outDir: tempDir() })
  const b = await runPipeline({ config: c, dataFile: file, outDir: tempDir() })
  assert.equal(a.bundleChecksum, b.bundleChecksum)
})

test('jackknife_plus refits once per training sample: a window with more than max_refits is refused before any model trains', async () => {
  const file = await data
  const t0 = Date.now()
  await assert.rejects(
    runPipeline({ config: config({ method: 'jackknife_plus' }), dataFile: file, outDir: tempDir() }),
    /jackknife_plus refits the E_r head once per training sample, and a training window here has 79\d\d \(max_refits is 1000\); use cv_plus .* or jackknife_plus_ab/,
  )
  assert.ok(Date.now() - t0 < 20_000, 'refused before the models train')
})

test('jackknife_plus on a small window: one purged leave-one-out refit per sample, reproduced by mlf predict', async () => {
  const small = await sampleSlice(1_900)
  const c = smallConfig({
    base_models: [
      { name: 'xgboost', config: { n_estimators: 10, max_depth: 2 } },
      { name: 'ridge', outputs: ['E_r'] },
    ],
    inference: { calibrate: ['temperature'], uncertainty: { method: 'jackknife_plus', purge_bars: 5 } },
  })
  const run = await runPipeline({ config: c, dataFile: small, outDir: tempDir() })
  const manifest = JSON.parse(readFileSync(join(run.bundleDir, 'manifest.json'), 'utf8'))
  const refits = manifest.models.filter((m: { role: string }) => m.role.startsWith('resample:E_r:')).length
  assert.equal(refits, run.summary.samples.train)
  const state = JSON.parse(readFileSync(join(run.bundleDir, 'heads/E_r/post_processors.json'), 'utf8'))[0].state
  // Every sample is held out by its own refit alone: one group per calibration row.
  assert.equal(state.groups.length, state.n)
  assert.ok(state.groups.every((g: { heldOutBy: number[] }) => g.heldOutBy.length === 1))
  assert.equal(await assertBundleReproducesRun(run, small), run.summary.samples.test)
})

test('resampling methods refuse a zero-shot member before any work', () => {
  const zeroShot = resolveConfig({
    base_models: [
      { name: 'xgboost' },
      {
        name: 'chronos_bolt',
        config: { path: 'test/fixtures/foundation/chronos_bolt_tiny.onnx', horizon: 8 },
        outputs: ['E_r'],
      },
    ],
    labels: { tripleBarrier: { maxHolding: 8 } },
    inference: { uncertainty: { method: 'cv_plus' } },
  })
  assert.ok(
    runConfigProblems(zeroShot).some((p) =>
      /cv_plus refits the E_r head's models on resamples .* base_models\.1 \(chronos_bolt\) is zero-shot/.test(p),
    ),
    runConfigProblems(zeroShot).join('\n'),
  )
})
