import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle, scoreWithBundle } from '../../src/pipeline/bundle.js'
import { calibrate, checkDistributions } from '../../src/pipeline/predict.js'
import { tempDir } from '../helpers.js'
import { sampleSlice, smallConfig } from './fixture.js'
import { editManifest, replaceArtifact } from '../bundle/reseal.js'

const ROWS = 30_000

/** One small run shared by the cases below (each works on its own copy of the bundle where it edits it). */
const fixture = (async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  // A run killed earlier in the same folder left a temp run folder and a half-written bundle folder.
  const stale = join(out, `20260101T000000000-deadbeef.tmp-${2 ** 22 + 3}-77`)
  mkdirSync(join(stale, 'bundle.tmp-1-77'), { recursive: true })
  writeFileSync(join(stale, 'report.html'), '')
  const run = await runPipeline({ config: smallConfig(), dataFile: data, outDir: out })
  return { data, out, run, stale }
})()

async function bundleCopy(): Promise<string> {
  const { run } = await fixture
  const dir = join(tempDir(), 'bundle')
  const { cpSync } = await import('node:fs')
  cpSync(run.bundleDir, dir, { recursive: true })
  return dir
}

test('a run writes its folder whole: temp folders of killed runs are removed, no temp is left', async () => {
  const { out, run, stale } = await fixture
  assert.ok(!existsSync(stale), 'the killed run left its temp folder')
  assert.deepEqual(
    readdirSync(out).filter((n) => n.includes('.tmp-')),
    [],
  )
  for (const f of ['report.html', 'summary.json', 'config.resolved.yaml', join('predictions', 'test.csv')]) {
    assert.ok(readFileSync(join(run.runDir, f)).length > 0, `${f} is empty`)
  }
})

test('a calibrator with an impossible temperature is refused on load, naming the file and the field', async () => {
  for (const temperature of [0, 1e-320, -1, 'hot', null, 1e6]) {
    const dir = await bundleCopy()
    const scaler = { method: 'temperature', temperature, classes: 3 }
    replaceArtifact(dir, 'calibrator.json', JSON.stringify(scaler))
    editManifest(dir, (m) => {
      m.calibrator = scaler
    })
    await assert.rejects(loadBundle(dir), /calibrator\.json is invalid at temperature/, String(temperature))
  }
  // Another class count than the three the chain gives.
  const dir = await bundleCopy()
  const scaler = { method: 'temperature', temperature: 1.5, classes: 2 }
  replaceArtifact(dir, 'calibrator.json', JSON.stringify(scaler))
  editManifest(dir, (m) => {
    m.calibrator = scaler
  })
  await assert.rejects(loadBundle(dir), /calibrator\.json is invalid at \(the whole file\): 3 classes/)
})

test("the manifest's copy of the calibrator must be the calibrator", async () => {
  const dir = await bundleCopy()
  const scaler = JSON.parse(readFileSync(join(dir, 'calibrator.json'), 'utf8'))
  replaceArtifact(dir, 'calibrator.json', JSON.stringify({ ...scaler, temperature: scaler.temperature * 1.01 }))
  await assert.rejects(loadBundle(dir), /calibrator\.json and the manifest's copy of the calibrator differ/)
})

test('with the expected checksum, only the bundle the run made loads', async () => {
  const { run } = await fixture
  await loadBundle(run.bundleDir, run.bundleChecksum)
  await assert.rejects(
    loadBundle(run.bundleDir, 'f'.repeat(64)),
    new RegExp(`its checksum is ${run.bundleChecksum.slice(0, 12)}…, not the expected ffffffffffff…`),
  )
  // A bundle edited and resealed is consistent in itself, and still not the run's.
  const dir = await bundleCopy()
  editManifest(dir, (m) => {
    m.metrics = { xgboost: { accuracy: 0.99 } }
  })
  await loadBundle(dir)
  await assert.rejects(loadBundle(dir, run.bundleChecksum), /not the expected/)
})

test('model.json is validated', async () => {
  const dir = await bundleCopy()
  replaceArtifact(dir, 'model.json', JSON.stringify({ name: 'xgboost', family: 'gbdt', features: 'all' }))
  await assert.rejects(loadBundle(dir), /model\.json is invalid at features/)
})

test('a non-finite or invalid probability stops scoring, naming the link of the chain and the row', () => {
  const ts = Float64Array.from([0, 60_000, 120_000])
  const rows = Int32Array.from([1, 2])
  const good = Float64Array.from([0.2, 0.3, 0.5, 0.1, 0.1, 0.8])
  assert.equal(checkDistributions(good, 'model m', ts, rows), good)
  assert.throws(
    () => checkDistributions(Float64Array.from([0.2, 0.3, 0.5, NaN, 0.1, 0.8]), 'model m', ts, rows),
    /model m gave no valid probabilities for row 2 \(bar 1970-01-01T00:02:00\.000Z\): \[NaN, 0\.1, 0\.8\]/,
  )
  assert.throws(
    () => checkDistributions(Float64Array.from([0.2, 0.3, 0.6, 0.1, 0.1, 0.8]), 'model m', ts, rows),
    /row 1 /,
  )
  // A temperature the loader refuses, applied anyway: every row underflows to NaN, and the calibrator is named.
  const scaler = { method: 'temperature' as const, temperature: 1e-320, classes: 3 }
  assert.throws(
    () => calibrate(good, scaler, ts, rows),
    /calibrator temperature \(T=1e-320\) gave no valid probabilities for row 1/,
  )
})

test('a file shorter than the warm-up is an error saying how many bars the bundle needs and how many it has', async () => {
  const { data, run } = await fixture
  const bundle = await loadBundle(run.bundleDir)
  const warmup = bundle.manifest.signature.inputs.warmup_bars
  assert.ok(warmup > 10, `warm-up ${warmup}`)
  const lines = gunzipSync(readFileSync(data)).toString('utf8').trim().split('\n')
  const short = join(tempDir(), 'short.csv.gz')
  const have = warmup - 5
  writeFileSync(short, gzipSync(`${lines.slice(0, have + 1).join('\n')}\n`))
  await assert.rejects(
    scoreWithBundle(bundle, short),
    new RegExp(`no bar can be scored: it has ${have} bars, and the bundle needs at least ${warmup + 1}`),
  )
})
