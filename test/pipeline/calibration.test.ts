/**
 * Calibrators in whole runs: `inference.calibrate` chains of platt, isotonic and temperature are fitted on the
 * validation window only (poisoning every label of the test window changes nothing they hold), saved in the bundle,
 * and reapplied by `mlf predict` to reproduce the run's test predictions exactly.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { gunzipSync, gzipSync } from 'node:zlib'
import { runPipeline } from '../../src/pipeline/run.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

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

/**
 * The slice with every bar from `fromTs` on mirrored about the close before it (open, close, high and low reflected,
 * high and low swapped): the path after `fromTs` runs the other way, so the test window's up and down labels trade
 * places, while every bar before it (all that train and validation labels may reach: the split purges validation
 * labels that meet the test window) is byte for byte the same.
 */
function poisonedFrom(file: string, fromTs: string): string {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n')
  const cut = lines.findIndex((l, i) => i > 0 && l.split(',')[0] >= fromTs)
  assert.ok(cut > 1, 'the test window starts inside the slice')
  const pivot = 2 * Number(lines[cut - 1].split(',')[4])
  for (let i = cut; i < lines.length; i++) {
    const [ts, open, high, low, close, volume] = lines[i].split(',')
    const m = (v: string) => String(pivot - Number(v))
    lines[i] = [ts, m(open), m(low), m(high), m(close), volume].join(',')
  }
  const path = join(tempDir(), 'poisoned.csv.gz')
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`))
  return path
}

const bundleFile = (run: { bundleDir: string }, name: string) => readFileSync(join(run.bundleDir, name), 'utf8')

test('calibrators never see test rows: poisoning every test label leaves the fitted chain byte for byte the same', async () => {
  const file = await data
  const config = smallConfig({ inference: { calibrate: ['isotonic', 'temperature'] } })
  const clean = await runWith(['isotonic', 'temperature'])
  const firstTest = readFileSync(join(clean.runDir, 'predictions', 'test.csv'), 'utf8')
    .split('\n')[1]
    .split(',')[0]
  const poisoned = await runPipeline({ config, dataFile: poisonedFrom(file, firstTest), outDir: tempDir() })

  // The poison reached the test window: its labels changed (up and down swap), the split did not move.
  assert.deepEqual(poisoned.summary.samples, clean.summary.samples)
  const counts = (r: typeof clean, split: string) => r.summary.labels.counts.find((c) => c.split === split)!.counts
  assert.deepEqual(counts(poisoned, 'val'), counts(clean, 'val'))
  assert.notDeepEqual(counts(poisoned, 'test'), counts(clean, 'test'))
  const metrics = (r: typeof clean) => r.summary.models.map((m) => m.metrics)
  assert.notDeepEqual(
    metrics(poisoned).map((m) => m.test),
    metrics(clean).map((m) => m.test),
  )
  // ... and nothing fitted on validation moved: the models' validation scores and the post-processors' state.
  assert.deepEqual(
    metrics(poisoned).map((m) => m.val),
    metrics(clean).map((m) => m.val),
  )
  const chain = bundleFile(clean, 'post_processors.json')
  assert.deepEqual(
    JSON.parse(chain).map((p: { name: string }) => p.name),
    ['isotonic', 'temperature'],
  )
  assert.equal(bundleFile(poisoned, 'post_processors.json'), chain)
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
