import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { canonicalJson, sha256Hex } from '../config/hash.js'
import { BUNDLE_VERSION, canRead } from './semver.js'
import { checksumTree, listFiles, sha256File } from './checksum.js'

export interface FeatureSchemaRef {
  readonly names: readonly string[]
  readonly dtypes: readonly string[]
  readonly hash: string
  /** Whether volume features were computed from volume or as neutral constants; scoring must use the same. */
  readonly volume_mode: 'present' | 'absent_neutral'
}

export interface InferenceSignature {
  readonly inputs: { readonly kind: '1m_bars'; readonly fields: readonly string[]; readonly warmup_bars: number }
  readonly outputs: readonly string[]
  readonly version: string
}

export interface BundleManifest {
  readonly format: 'mlfactory.bundle'
  readonly bundle_version: string
  readonly producer: { readonly name: 'mlfactory'; readonly version: string }
  readonly config_hash: string
  readonly data_fingerprint: string
  readonly feature_schema: FeatureSchemaRef
  readonly models: readonly { readonly role: string; readonly name: string; readonly dir: string }[]
  readonly calibrator: Record<string, unknown> | null
  readonly metrics: Record<string, unknown>
  readonly signature: InferenceSignature
  /** Threads and other settings that can change numeric results (ARCHITECTURE principle 3). */
  readonly runtime: Record<string, unknown>
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>
}

export const MANIFEST = 'manifest.json'

/**
 * Write a bundle atomically: `fill` writes the artifacts into a temp directory beside `dir`, the manifest is computed
 * over them (SHA-256 of every file), and the directory is renamed into place. Returns the bundle checksum, the
 * SHA-256 of the manifest, which covers every file. Nothing in a bundle depends on the clock or the run id, so the same
 * data, config and seed give the same checksum.
 */
export async function writeBundle(
  dir: string,
  manifest: Omit<BundleManifest, 'files' | 'format' | 'bundle_version'>,
  fill: (tmp: string) => Promise<void>,
): Promise<string> {
  const tmp = `${dir}.tmp-${process.pid}`
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  try {
    await fill(tmp)
    const files = await checksumTree(tmp, [MANIFEST])
    const full: BundleManifest = { format: 'mlfactory.bundle', bundle_version: BUNDLE_VERSION, ...manifest, files }
    await writeFile(join(tmp, MANIFEST), `${JSON.stringify(JSON.parse(canonicalJson(full)), null, 1)}\n`)
    await mkdir(dirname(dir), { recursive: true })
    if (existsSync(dir)) await rm(dir, { recursive: true })
    await rename(tmp, dir)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
  return sha256File(join(dir, MANIFEST))
}

/**
 * Read a bundle's manifest and verify it: the format and version, every listed file present with its SHA-256, and
 * no unlisted file. Each failure names the file that is wrong.
 */
export async function readBundleManifest(dir: string): Promise<{ manifest: BundleManifest; checksum: string }> {
  const path = join(dir, MANIFEST)
  if (!existsSync(path)) throw new Error(`bundle ${dir}: ${MANIFEST} is missing`)
  let manifest: BundleManifest
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as BundleManifest
  } catch (err) {
    throw new Error(`bundle ${dir}: ${MANIFEST} is not valid JSON (${(err as Error).message})`)
  }
  if (manifest.format !== 'mlfactory.bundle')
    throw new Error(`bundle ${dir}: ${MANIFEST} is not an mlfactory bundle manifest`)
  if (!canRead(BUNDLE_VERSION, manifest.bundle_version)) {
    throw new Error(
      `bundle ${dir}: version ${manifest.bundle_version} cannot be read by this mlfactory (bundle format ${BUNDLE_VERSION})`,
    )
  }
  for (const [file, ref] of Object.entries(manifest.files)) {
    const p = join(dir, file)
    if (!existsSync(p)) throw new Error(`bundle ${dir}: artifact ${file} is missing`)
    const actual = await sha256File(p)
    if (actual !== ref.sha256)
      throw new Error(
        `bundle ${dir}: checksum mismatch for ${file} (expected ${ref.sha256.slice(0, 12)}…, found ${actual.slice(0, 12)}…): the file was changed or corrupted`,
      )
  }
  for (const f of await listFiles(dir)) {
    if (f !== MANIFEST && !(f in manifest.files))
      throw new Error(`bundle ${dir}: unexpected file ${f} is not in the manifest`)
  }
  return { manifest, checksum: sha256Hex(await readFile(path)) }
}
