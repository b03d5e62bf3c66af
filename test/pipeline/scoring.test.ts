import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle, scoreWithBundle } from '../../src/pipeline/bundle.js'
import { checkDistributions } from '../../src/pipeline/predict.js'
import { postProcess } from '../../src/pipeline/stages/post-process.js'
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

/** The bundle's post-processors replaced by `chain`, in the file and in the manifest's chain alike. */
function replacePostProcessors(dir: string, chain: unknown[]): void {
  replaceArtifact(dir, 'post_processors.json', JSON.stringify(chain))
  editManifest(dir, (m) => {
    const links = m.chain.filter((l) => l.role !== 'post_processor' && l.role !== 'policy')
    const policy = m.chain.filter((l) => l.role === 'policy')
    m.chain = [...links, ...chain.map((c) => ({ role: 'post_processor', ...(c as object) })), ...policy] as never
  })
}

test('a post-processor with an impossible state is refused on load, naming the file, the link and the field', async () => {
  for (const temperature of [0, 1e-320, -1, 'hot', null, 1e6]) {
    const dir = await bundleCopy()
    replacePostProcessors(dir, [{ name: 'temperature', state: { method: 'temperature', temperature, classes: 3 } }])
    await assert.rejects(
      loadBundle(dir),
      /post_processors\.json \[0\]: temperature state is invalid at temperature/,
      String(temperature),
    )
  }
  // Another class count than the three the chain gives, and a post-processor this mlfactory does not have.
  const dir = await bundleCopy()
  replacePostProcessors(dir, [{ name: 'temperature', state: { method: 'temperature', temperature: 1.5, classes: 2 } }])
  await assert.rejects(loadBundle(dir), /post_processors\.json: temperature was fitted on 2 classes, not 3/)
  const other = await bundleCopy()
  replacePostProcessors(other, [{ name: 'no_such', state: {} }])
  await assert.rejects(loadBundle(other), /post_processors\.json \[0\]: unknown post-processor "no_such"/)
})

test("the manifest's chain must be the bundle's: post-processors and policy", async () => {
  const dir = await bundleCopy()
  const [pp] = JSON.parse(readFileSync(join(dir, 'post_processors.json'), 'utf8'))
  replaceArtifact(
    dir,
    'post_processors.json',
    JSON.stringify([{ ...pp, state: { ...pp.state, temperature: pp.state.temperature * 1.01 } }]),
  )
  await assert.rejects(loadBundle(dir), /post_processors\.json and the post-processors of the manifest's chain differ/)
  const other = await bundleCopy()
  editManifest(other, (m) => {
    for (const l of m.chain) if (l.role === 'policy') l.params = { ...l.params, long: 0.99 }
  })
  await assert.rejects(loadBundle(other), /the manifest's policy links and config\.json's policy differ/)
})

test('the manifest lists the chain with roles: members with view and head, post-processors, policy', async () => {
  const { run } = await fixture
  const { manifest } = await loadBundle(run.bundleDir)
  assert.deepEqual(
    manifest.chain.map((l) => [l.role, l.name]),
    [
      ['member', 'xgboost'],
      ['post_processor', 'temperature'],
      ['policy', 'threshold'],
    ],
  )
  assert.deepEqual(manifest.chain[0], {
    role: 'member',
    name: 'xgboost',
    view: 'feature_matrix',
    head: 'class_probabilities',
    features: null,
  })
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
  // A temperature the loader refuses, applied anyway: every row underflows to NaN, and the post-processor is named.
  const state = { method: 'temperature', temperature: 1e-320, classes: 3 }
  assert.throws(
    () => postProcess([{ name: 'temperature', state }], good, ts, rows),
    /post-processor temperature \(temperature=1e-320, classes=3\) gave no valid probabilities for row 1/,
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
