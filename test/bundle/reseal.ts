import { readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { manifestChecksum, type BundleManifest } from '../../src/bundle/manifest.js'

/**
 * Edit a bundle's manifest as someone who knows the format would: the edit, then the checksum recomputed so that it
 * matches again. What such an edit reaches is then up to the loader's other checks.
 */
export function editManifest(bundleDir: string, edit: (m: BundleManifest) => void): void {
  const path = join(bundleDir, 'manifest.json')
  const m = JSON.parse(readFileSync(path, 'utf8')) as BundleManifest
  edit(m)
  const { checksum: _old, ...content } = m
  writeFileSync(path, JSON.stringify({ ...content, checksum: manifestChecksum(content) }))
}

/** Replace an artifact and re-hash it in the manifest (then reseal), so that every checksum passes. */
export function replaceArtifact(bundleDir: string, file: string, data: string): void {
  writeFileSync(join(bundleDir, file), data)
  editManifest(bundleDir, (m) => {
    m.files[file] = { sha256: createHash('sha256').update(data).digest('hex'), bytes: Buffer.byteLength(data) }
  })
}
