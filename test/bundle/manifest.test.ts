import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readBundleManifest, writeBundle } from '../../src/bundle/manifest.js'
import { BUNDLE_VERSION, canRead } from '../../src/bundle/semver.js'
import { tempDir } from '../helpers.js'

const fields = {
  producer: { name: 'mlfactory' as const, version: '0.0.0' },
  config_hash: 'c',
  data_fingerprint: 'd',
  feature_schema: { names: ['x'], dtypes: ['float64'], hash: 'h', volume_mode: 'present' as const },
  models: [{ role: 'final', name: 'm', dir: 'model' }],
  calibrator: null,
  metrics: {},
  signature: { inputs: { kind: '1m_bars' as const, fields: ['ts'], warmup_bars: 0 }, outputs: ['p_up'], version: '1' },
  runtime: {},
}

test('writeBundle is atomic and deterministic; the checksum covers every file', async () => {
  const dir = join(tempDir(), 'bundle')
  const fill = async (tmp: string) => writeFile(join(tmp, 'a.txt'), 'alpha')
  const c1 = await writeBundle(dir, fields, fill)
  const c2 = await writeBundle(dir, fields, fill)
  assert.equal(c1, c2)
  assert.ok(!existsSync(`${dir}.tmp-${process.pid}`))
  const c3 = await writeBundle(dir, fields, async (tmp) => writeFile(join(tmp, 'a.txt'), 'beta'))
  assert.notEqual(c1, c3)
  const { manifest } = await readBundleManifest(dir)
  assert.equal(manifest.bundle_version, BUNDLE_VERSION)
  assert.deepEqual(Object.keys(manifest.files), ['a.txt'])
  await assert.rejects(
    writeBundle(join(tempDir(), 'b'), fields, async () => {
      throw new Error('disk full')
    }),
    /disk full/,
  )
})

test('a bundle from an incompatible version or with a broken manifest is refused by name', async () => {
  const dir = join(tempDir(), 'bundle')
  await writeBundle(dir, fields, async (tmp) => writeFile(join(tmp, 'a.txt'), 'alpha'))
  const path = join(dir, 'manifest.json')
  const m = JSON.parse(readFileSync(path, 'utf8'))
  writeFileSync(path, JSON.stringify({ ...m, bundle_version: '2.0.0' }))
  await assert.rejects(readBundleManifest(dir), /version 2\.0\.0 cannot be read/)
  writeFileSync(path, '{not json')
  await assert.rejects(readBundleManifest(dir), /manifest.json is not valid JSON/)
  assert.ok(canRead('1.2.0', '1.1.5'))
  assert.ok(!canRead('1.2.0', '1.3.0'))
  assert.ok(!canRead('1.2.0', '2.0.0'))
})
