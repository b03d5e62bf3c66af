/**
 * Every post-processor of the registry in a whole run: fitted in the run, saved in the bundle as a link of the chain,
 * and scoring through the bundle (what mlf predict does) reproduces the run's test predictions string for string,
 * prediction sets included. Post-processors of heads mlf run does not train are refused at load, never skipped.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resolveConfig } from '../../src/config/load.js'
import { postProcessorRegistry } from '../../src/inference/post-processors.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 30_000

for (const [name, entry] of postProcessorRegistry) {
  const inference =
    entry.role === 'calibration' ? { calibrate: [name] } : { calibrate: [], uncertainty: { method: name } }
  if (entry.actsOn !== 'class_probabilities') {
    test(`post-processor ${name} acts on ${entry.actsOn}, which mlf run does not train: refused at load`, () => {
      assert.throws(
        () => resolveConfig({ inference }),
        new RegExp(`${name} gives intervals for a regression or quantile head`),
      )
    })
    continue
  }
  test(`post-processor ${name} (${entry.role}): fitted in the run, saved in the bundle, and scoring through the bundle reproduces the run's test predictions exactly`, async () => {
    const data = await sampleSlice(ROWS)
    const run = await runPipeline({ config: smallConfig({ inference }), dataFile: data, outDir: tempDir() })
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
    assert.equal(bundle.postProcessors[0].state.classes, 3)
    assert.equal(run.summary.calibration === null, entry.role !== 'calibration')
    assert.equal(run.summary.prediction_sets === null, entry.role !== 'uncertainty')
    assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
  })
}
