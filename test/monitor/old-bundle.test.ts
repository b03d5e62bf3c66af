/**
 * Bundles written before drift monitoring (format 3.0.0, test/fixtures/bundle-3.0, made by mlf run at commit 8776d0a)
 * still load and score exactly as they did, and `mlf drift` says plainly that they have no reference distributions.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { loadBundle, scoreWithBundle, scoredPredictionsCsv } from '../../src/pipeline/bundle.js'
import { referenceOf } from '../../src/pipeline/drift.js'
import { resolveConfig } from '../../src/config/load.js'
import { repoRoot, tempDir } from '../helpers.js'
import { sampleSlice } from '../pipeline/fixture.js'
import { editManifest, replaceArtifact } from '../bundle/reseal.js'

const FIXTURE = join(repoRoot, 'test/fixtures/bundle-3.0')
const BUNDLE = join(FIXTURE, 'bundle')
const CHECKSUM = 'fddcb7de7db73aea273f63905e4e7cff5ad8bc9da62e5210173b42e51c7d414b'
const expected = () => gunzipSync(readFileSync(join(FIXTURE, 'predictions.csv.gz'))).toString('utf8')
const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 120_000 })

test('a 3.0 bundle loads (its config hashed as it was written) and scores the same predictions as before', async () => {
  const bundle = await loadBundle(BUNDLE, CHECKSUM)
  assert.equal(bundle.manifest.bundle_version, '3.0.0')
  assert.equal(bundle.reference, null)
  assert.equal(bundle.config.hash, bundle.manifest.config_hash)
  // Its config gets today's monitor defaults, though they are not part of its hash.
  assert.deepEqual(bundle.config.monitor, resolveConfig({}).monitor)
  const scored = await scoreWithBundle(bundle, await sampleSlice(6000))
  assert.equal(scoredPredictionsCsv(scored), expected())
})

test('mlf predict scores a 3.0 bundle; mlf drift says it has no reference distributions, without a stack trace', async () => {
  const data = await sampleSlice(6000)
  const out = join(tempDir(), 'p.csv')
  const p = mlf('predict', '--bundle', BUNDLE, '--data', data, '--out', out, '--checksum', CHECKSUM)
  assert.equal(p.status, 0, p.stderr)
  assert.equal(readFileSync(out, 'utf8'), expected())
  const d = mlf('drift', '--bundle', BUNDLE, '--data', data, '--html', join(tempDir(), 'x.html'))
  assert.equal(d.status, 1)
  assert.equal(
    d.stderr,
    `mlf: bundle ${BUNDLE} has no reference distributions: it was written in bundle format 3.0.0 (mlfactory 0.1.0), ` +
      'before bundles carried them, so its drift cannot be measured; run mlf run again to pack a bundle with them\n',
  )
  const bundle = await loadBundle(BUNDLE)
  assert.throws(() => referenceOf(bundle), /has no reference distributions/)
})

test('config.json is checked against the config hash as written, whatever the version claims', async () => {
  // A 3.0 bundle relabelled 3.1 still loads: its config.json hashes as its writer hashed it.
  const relabelled = join(tempDir(), 'relabelled')
  cpSync(BUNDLE, relabelled, { recursive: true })
  editManifest(relabelled, (m) => (m.bundle_version = '3.1.0'))
  assert.equal(
    (await loadBundle(relabelled)).config.hash,
    JSON.parse(readFileSync(join(BUNDLE, 'manifest.json'), 'utf8')).config_hash,
  )
  // A config.json changed (and its file checksum resealed) no longer hashes to the manifest's config hash.
  const edited = join(tempDir(), 'edited')
  cpSync(BUNDLE, edited, { recursive: true })
  const config = JSON.parse(readFileSync(join(edited, 'config.json'), 'utf8')) as { seed: number }
  replaceArtifact(edited, 'config.json', `${JSON.stringify({ ...config, seed: config.seed + 1 }, null, 1)}\n`)
  await assert.rejects(loadBundle(edited), /config\.json hashes to [0-9a-f]{12}…, the manifest says [0-9a-f]{12}…/)
})
