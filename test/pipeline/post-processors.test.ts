/**
 * Every post-processor of the registry in a whole run: fitted in the run, saved in the bundle as a link of the chain,
 * and scoring through the bundle (what mlf predict does) reproduces the run's test predictions string for string,
 * prediction sets and the other heads' intervals included; one acting on a head no base model outputs is refused at
 * load.
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

/** A member for each head a post-processor may act on, beside the run's p member. */
const HEAD_MEMBER: Record<string, Record<string, unknown> | null> = {
  class_probabilities: null,
  regression: { name: 'ridge', outputs: ['E_r'] },
  quantiles: { name: 'quantile_rnn', config: { hidden: 16, epochs: 2, lr: 1e-2 }, outputs: ['q05', 'q50', 'q95'] },
}

for (const [name, entry] of postProcessorRegistry) {
  const inference =
    entry.role === 'calibration' ? { calibrate: [name] } : { calibrate: [], uncertainty: { method: name } }
  const other = HEAD_MEMBER[entry.actsOn]
  if (other) {
    test(`post-processor ${name} acts on ${entry.actsOn}: refused at load when no base model outputs that head`, () => {
      assert.throws(
        () => resolveConfig({ inference }),
        new RegExp(`${name} acts on the .* head, which no base model outputs`),
      )
    })
  }
  test(`post-processor ${name} (${entry.role}, ${entry.actsOn}): fitted in the run, saved in the bundle, and scoring through the bundle reproduces the run's test predictions exactly`, async () => {
    const data = await sampleSlice(ROWS)
    const xgboost = smallConfig().base_models[0]
    const config = smallConfig({ inference, ...(other ? { base_models: [xgboost, other] } : {}) })
    if (name === 'jackknife_plus') {
      // One refit per training sample: this slice's window is refused before any model trains (the run form on a
      // small window is in conformal-resamples.test.ts).
      await assert.rejects(
        runPipeline({ config, dataFile: data, outDir: tempDir() }),
        /jackknife_plus refits the E_r head once per training sample, and a training window here has \d+ \(max_refits is 1000\)/,
      )
      return
    }
    const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
    const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
    const links = bundle.manifest.chain.map((l) => [l.role, l.name])
    assert.deepEqual(
      links.slice(0, 3),
      other
        ? [
            ['member', 'xgboost'],
            ['policy', 'threshold'],
            ['member', other.name],
          ]
        : [
            ['member', 'xgboost'],
            ['post_processor', name],
            ['policy', 'threshold'],
          ],
    )
    if (other) {
      assert.deepEqual(links.slice(3), [['post_processor', name]])
      assert.deepEqual(
        bundle.heads.map((h) => h.postProcessors.map((p) => p.name)),
        [[name]],
      )
    } else {
      assert.equal(bundle.postProcessors.length, 1)
      assert.equal(bundle.postProcessors[0].state.classes, 3)
    }
    assert.equal(run.summary.calibration === null, entry.role !== 'calibration')
    assert.equal(run.summary.prediction_sets === null, entry.role !== 'uncertainty' || other !== null)
    assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
  })
}
