/**
 * Calibrators in whole runs: `inference.calibrate` chains of platt, isotonic and temperature are fitted on the
 * validation window only (poisoning every label of the test window changes nothing they hold), saved in the bundle,
 * and reapplied by `mlf predict` to reproduce the run's test predictions exactly.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runPipeline } from '../../src/pipeline/run.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, poisonedFrom, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 20_000

const data = sampleSlice(ROWS)

/** One run per chain, shared by the cases below. */
const runs = new Map<string, ReturnType<typeof runPipeline>>()
function runWith(calibrate: readonly string[]): ReturnType<typeof runPipeline> {
  const key = calibrate.join(',')
  if (!runs.has(key))
    runs.set(
      key,
      data.then((file) =>
        runPipeline({ config: smallConfig({ inference: { calibrate } }), dataFile: file, outDir: tempDir() }),
      ),
    )
  return runs.get(key)!
}

const bundleFile = (run: { bundleDir: string }, name: string) => readFileSync(join(run.bundleDir, name), 'utf8')

/** Out-of-fold calibration with prediction sets after it: one run shared by the cases below. */
const oofInference = {
  calibrate: ['isotonic', { name: 'temperature' }],
  uncertainty: { method: 'aps', coverage: 0.8 },
  fit_on: 'oof',
  oof: { n_folds: 3, purge_bars: 5 },
}
let oofRun: ReturnType<typeof runPipeline> | undefined
const runOof = () =>
  (oofRun ??= data.then((file) =>
    runPipeline({ config: smallConfig({ inference: oofInference }), dataFile: file, outDir: tempDir() }),
  ))

for (const [mode, inference, clean] of [
  ['on validation', { calibrate: ['isotonic', 'temperature'] }, () => runWith(['isotonic', 'temperature'])],
  ['out of fold, with prediction sets', oofInference, runOof],
] as const) {
  test(`calibrators fitted ${mode} never see test rows: poisoning every test label leaves the fitted chain byte for byte the same`, async () => {
    const file = await data
    const config = smallConfig({ inference })
    const cleanRun = await clean()
    const firstTest = readFileSync(join(cleanRun.runDir, 'predictions', 'test.csv'), 'utf8')
      .split('\n')[1]
      .split(',')[0]
    const poisoned = await runPipeline({ config, dataFile: poisonedFrom(file, firstTest), outDir: tempDir() })

    // The poison reached the test window: its labels changed (up and down swap), the split did not move.
    assert.deepEqual(poisoned.summary.samples, cleanRun.summary.samples)
    const counts = (r: typeof cleanRun, split: string) => r.summary.labels.counts.find((c) => c.split === split)!.counts
    assert.deepEqual(counts(poisoned, 'val'), counts(cleanRun, 'val'))
    assert.notDeepEqual(counts(poisoned, 'test'), counts(cleanRun, 'test'))
    const metrics = (r: typeof cleanRun) => r.summary.models.map((m) => m.metrics)
    assert.notDeepEqual(
      metrics(poisoned).map((m) => m.test),
      metrics(cleanRun).map((m) => m.test),
    )
    // ... and nothing fitted before the test window moved: the models' validation scores and the post-processors.
    assert.deepEqual(
      metrics(poisoned).map((m) => m.val),
      metrics(cleanRun).map((m) => m.val),
    )
    const chain = bundleFile(cleanRun, 'post_processors.json')
    assert.deepEqual(
      JSON.parse(chain).map((p: { name: string }) => p.name),
      'uncertainty' in inference ? ['isotonic', 'temperature', 'aps'] : ['isotonic', 'temperature'],
    )
    assert.equal(bundleFile(poisoned, 'post_processors.json'), chain)
  })
}

test('fit_on: oof fits the chain on purged out-of-fold training rows, reports each step per class, and the sets cover about their target', async () => {
  const file = await data
  const run = await runOof()
  const valRun = await runWith(['isotonic', 'temperature'])
  const c = run.summary.calibration!
  assert.equal(c.fitOn!.source, 'oof')
  // Out of fold covers the training window, several times the validation rows the other mode fits on.
  assert.ok(c.fitOn!.rows > 2 * valRun.summary.calibration!.fitOn!.rows, `${c.fitOn!.rows} oof rows`)
  assert.ok(c.fitOn!.rows <= run.summary.samples.train)
  assert.equal(valRun.summary.calibration!.fitOn!.rows, valRun.summary.samples.val)
  // The fitted states differ from the validation-fitted chain: other rows went in.
  assert.notEqual(bundleFile(run, 'post_processors.json'), bundleFile(valRun, 'post_processors.json'))
  assert.deepEqual(
    c.steps!.map((s) => s.name),
    ['raw', 'isotonic', 'isotonic+temperature'],
  )
  for (const step of c.steps!) {
    assert.deepEqual(
      step.perClass.map((k) => k.class),
      ['down', 'flat', 'up'],
    )
    for (const k of [step.topLabel, ...step.perClass]) {
      assert.ok(Number.isFinite(k.ece) && k.ece >= 0 && k.mce >= k.ece - 1e-12)
      assert.equal(
        k.reliability.reduce((n, b) => n + b.count, 0),
        run.summary.samples.test,
      )
    }
  }
  // The last step is what the run scored: its log-loss is the calibrated model's test log-loss.
  const calibrated = run.summary.models.find((m) => m.kind === 'calibrated')!
  assert.ok(Math.abs(c.steps!.at(-1)!.logLoss - calibrated.metrics.test.log_loss) < 1e-12)
  const sets = run.summary.prediction_sets!
  assert.equal(sets.method, 'aps')
  assert.equal(sets.rows, run.summary.samples.test)
  assert.equal(
    sets.sizes.reduce((a, b) => a + b, 0),
    sets.rows,
  )
  // Calibrated on other rows of the same market, the sets cover near their 0.8 target on test (not exchangeable
  // with it, so only near).
  assert.ok(Math.abs(sets.coverage - 0.8) < 0.06, `coverage ${sets.coverage}`)
  assert.ok(sets.meanSize > 1 && sets.meanSize < 3, `mean size ${sets.meanSize}`)
  const header = readFileSync(join(run.runDir, 'predictions', 'test.csv'), 'utf8').split('\n')[0]
  assert.equal(header, 'ts_utc,p_down,p_flat,p_up,signal,set_down,set_flat,set_up')
  // mlf predict from the bundle reproduces the probabilities, signals and sets of every test row.
  assert.ok((await assertBundleReproducesRun(run, file)) > 500)
  const report = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  assert.ok(report.includes('purged out-of-fold training rows'))
  assert.ok(report.includes('<section id="sets">'))
})

for (const calibrate of [['platt'], ['isotonic', 'temperature']]) {
  test(`a run with inference.calibrate [${calibrate.join(', ')}]: mlf predict from the bundle reproduces its test predictions`, async () => {
    const file = await data
    const run = await runWith(calibrate)
    const saved = JSON.parse(bundleFile(run, 'post_processors.json')) as { name: string; state: { classes: number } }[]
    assert.deepEqual(
      saved.map((p) => p.name),
      calibrate,
    )
    assert.ok(saved.every((p) => p.state.classes === 3))
    assert.ok((await assertBundleReproducesRun(run, file)) > 500)
  })
}
