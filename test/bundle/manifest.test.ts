import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { editManifest } from './reseal.js'
import { tempPathFor } from '../../src/core/files.js'
import { readBundleManifest, writeBundle } from '../../src/bundle/manifest.js'
import { BUNDLE_VERSION, canRead } from '../../src/bundle/semver.js'
import { tempDir } from '../helpers.js'

const fields = {
  producer: { name: 'mlfactory' as const, version: '0.0.0' },
  config_hash: 'c',
  data_fingerprint: 'd',
  feature_schema: { names: ['x'], dtypes: ['float64'], hash: 'h', volume_mode: 'present' as const },
  models: [{ role: 'final', name: 'm', dir: 'model' }],
  chain: [
    { role: 'member' as const, name: 'm', view: 'feature_matrix', head: 'class_probabilities', features: null },
    { role: 'policy' as const, name: 'threshold', params: { kind: 'threshold', long: 0.6, short: 0.6 } },
  ],
  metrics: {},
  signature: {
    inputs: { kind: 'bars' as const, interval: '1m', fields: ['ts'], warmup_bars: 0 },
    outputs: ['p_up'],
    version: '1',
  },
  runtime: {},
}

test('writeBundle is atomic and deterministic; the checksum covers every file', async () => {
  const dir = join(tempDir(), 'bundle')
  const fill = async (tmp: string) => writeFile(join(tmp, 'a.txt'), 'alpha')
  const c1 = await writeBundle(dir, fields, fill)
  const c2 = await writeBundle(dir, fields, fill)
  assert.equal(c1, c2)
  assert.ok(!existsSync(tempPathFor(dir)))
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
  // The previous major version (its calibrator.json is now the chain's post-processors) and a future one.
  for (const version of ['2.0.0', '4.0.0']) {
    writeFileSync(path, JSON.stringify({ ...m, bundle_version: version }))
    await assert.rejects(
      readBundleManifest(dir),
      new RegExp(`version ${version.replaceAll('.', '\\.')} cannot be read`),
    )
  }
  writeFileSync(path, '{not json')
  await assert.rejects(readBundleManifest(dir), /manifest.json is not valid JSON/)
  assert.ok(canRead('1.2.0', '1.1.5'))
  assert.ok(!canRead('1.2.0', '1.3.0'))
  assert.ok(!canRead('1.2.0', '2.0.0'))
})

/** A bundle of two plain files, a.txt and model/m.bin. */
async function smallBundle(): Promise<string> {
  const dir = join(tempDir(), 'bundle')
  await writeBundle(dir, fields, async (tmp) => {
    await writeFile(join(tmp, 'a.txt'), 'alpha')
    mkdirSync(join(tmp, 'model'))
    await writeFile(join(tmp, 'model', 'm.bin'), 'weights')
  })
  return dir
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

test('any edit of the manifest itself is refused, the checksum it carries no longer matching', async () => {
  const dir = await smallBundle()
  const { checksum } = await readBundleManifest(dir)
  const path = join(dir, 'manifest.json')
  const original = readFileSync(path, 'utf8')
  const m = JSON.parse(original)
  assert.equal(m.checksum, checksum)
  for (const edit of [
    { ...m, metrics: { accuracy: 0.99 } },
    { ...m, chain: [...m.chain, { role: 'post_processor', name: 'temperature', state: { temperature: 1 } }] },
    { ...m, runtime: { threads: 64 } },
    { ...m, files: { ...m.files, 'a.txt': { ...m.files['a.txt'], bytes: 6 } } },
  ]) {
    writeFileSync(path, JSON.stringify(edit))
    await assert.rejects(readBundleManifest(dir), /manifest\.json was edited after the bundle was written/)
  }
  writeFileSync(path, JSON.stringify({ ...m, checksum: undefined }))
  await assert.rejects(readBundleManifest(dir), /manifest\.json is malformed: checksum/)
  writeFileSync(path, original)
  assert.equal((await readBundleManifest(dir)).checksum, checksum)
})

test('manifest paths are confined to the bundle: outside files are never read, their hashes never printed', async () => {
  const outside = join(tempDir(), 'secret.txt')
  writeFileSync(outside, 'the secret')
  const dir = await smallBundle()
  const rel = relative(dir, outside)
  assert.ok(rel.startsWith('../'), rel)
  const cases: [string, string, RegExp][] = [
    // The correct hash: a loader that followed the path would accept it.
    [rel, sha('the secret'), /"\.\.\/.*secret\.txt", which is refused: it contains \.\./],
    // A wrong hash: a loader that followed the path would print the start of the real hash.
    [rel, '0'.repeat(64), /which is refused: it contains \.\./],
    [outside, sha('the secret'), /which is refused: it is absolute/],
    ['model/../a.txt', sha('alpha'), /it contains \.\./],
    ['./a.txt', sha('alpha'), /not normalised/],
    ['model\\m.bin', sha('weights'), /backslash/],
  ]
  for (const [path, hash, expected] of cases) {
    const copy = join(tempDir(), 'bundle')
    cpSync(dir, copy, { recursive: true })
    editManifest(copy, (m) => {
      m.files[path] = { sha256: hash, bytes: 10 }
    })
    const err = await readBundleManifest(copy).then(
      () => assert.fail(`${path} was accepted`),
      (e: Error) => e,
    )
    assert.match(err.message, expected)
    assert.ok(!err.message.includes(sha('the secret').slice(0, 8)), `a hash of the outside file: ${err.message}`)
  }
})

test('links inside a bundle are refused, to files and to folders, listed or not', async () => {
  const outsideDir = tempDir()
  writeFileSync(join(outsideDir, 'm.bin'), 'weights')
  // A listed file replaced by a link to an identical file outside: every hash still matches.
  let dir = await smallBundle()
  rmSync(join(dir, 'model', 'm.bin'))
  symlinkSync(join(outsideDir, 'm.bin'), join(dir, 'model', 'm.bin'))
  await assert.rejects(readBundleManifest(dir), /model\/m\.bin is a symbolic link/)
  // A listed folder replaced by a link to a folder outside holding the same file.
  dir = await smallBundle()
  rmSync(join(dir, 'model'), { recursive: true })
  symlinkSync(outsideDir, join(dir, 'model'))
  await assert.rejects(readBundleManifest(dir), /bundle .*: model is a symbolic link/)
  // An unlisted link beside the files.
  dir = await smallBundle()
  symlinkSync('/etc', join(dir, 'etc'))
  await assert.rejects(readBundleManifest(dir), /etc is a symbolic link/)
  // The manifest itself as a link.
  dir = await smallBundle()
  const real = join(outsideDir, 'manifest.json')
  renameSync(join(dir, 'manifest.json'), real)
  symlinkSync(real, join(dir, 'manifest.json'))
  await assert.rejects(readBundleManifest(dir), /manifest\.json is not a regular file/)
})

test('a killed writer leaves a temp folder that the next write removes, and only when its process is gone', async () => {
  const dir = join(tempDir(), 'bundle')
  // A pid that is not running: the largest pid the kernel can hand out is below 2^22.
  const dead = `${dir}.tmp-${2 ** 22 + 7}-0a1b`
  const live = `${dir}.tmp-${process.ppid}-0a1b`
  mkdirSync(dead, { recursive: true })
  mkdirSync(live, { recursive: true })
  writeFileSync(join(dead, 'half.bin'), 'x')
  await writeBundle(dir, fields, async (tmp) => writeFile(join(tmp, 'a.txt'), 'alpha'))
  assert.ok(!existsSync(dead), 'the dead writer left its temp folder')
  assert.ok(existsSync(live), "a live writer's temp folder was removed")
})

test('a hard link is refused, listed or not: its other name may be a file outside the bundle', async () => {
  const outside = join(tempDir(), 'secret.txt')
  writeFileSync(outside, 'weights')
  let dir = await smallBundle()
  // The listed file replaced by a hard link to an outside file of the same bytes: every hash matches.
  rmSync(join(dir, 'model', 'm.bin'))
  linkSync(outside, join(dir, 'model', 'm.bin'))
  await assert.rejects(readBundleManifest(dir), /model\/m\.bin is a hard link/)
  dir = await smallBundle()
  linkSync(outside, join(dir, 'constructor'))
  await assert.rejects(readBundleManifest(dir), /constructor is a hard link/)
})

test('an unlisted file is refused whatever its name, object property names included', async () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const dir = await smallBundle()
    writeFileSync(join(dir, name), 'x')
    await assert.rejects(readBundleManifest(dir), new RegExp(`unexpected file ${name} is not in the manifest`), name)
  }
})
