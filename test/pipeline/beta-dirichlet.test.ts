import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 30_000

for (const name of ['beta', 'dirichlet']) {
  test(`inference.calibrate: [${name}]: fitted in the run, saved in the bundle, and scoring through the bundle reproduces the run's test predictions exactly`, async () => {
    const data = await sampleSlice(ROWS)
    const config = smallConfig({ inference: { calibrate: [name] } })
    const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
    const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
    assert.deepEqual(
      bundle.manifest.chain.map((l) => [l.role, l.name]),
      [
        ['member', 'xgboost'],
        ['post_processor', name],
        ['policy', 'threshold'],
      ],
    )
    assert.equal(bundle.postProcessors.length, 1)
    assert.equal(bundle.postProcessors[0].state.method, name)
    assert.equal(bundle.postProcessors[0].state.classes, 3)
    assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
  })
}
