import { mkdir, readFile, rename, rm, writeFile, lstat, realpath } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { canonicalJson, sha256Hex } from '../config/hash.js'
import { removeStaleTempsOf, tempPathFor } from '../core/files.js'
import { BUNDLE_VERSION, canRead } from './semver.js'
import { checksumTree, sha256File } from './checksum.js'
import { bundleFiles, confinedFile } from './paths.js'

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex')

const featureSchemaRefSchema = z
  .object({
    names: z.array(z.string()),
    dtypes: z.array(z.string()),
    hash: z.string(),
    /** Whether volume features were computed from volume or as neutral constants; scoring must use the same. */
    volume_mode: z.enum(['present', 'absent_neutral']),
  })
  .strict()
  .refine((s) => s.names.length === s.dtypes.length, 'names and dtypes differ in length')

const signatureSchema = z
  .object({
    inputs: z
      .object({
        kind: z.literal('bars'),
        /** The bars' interval (data.interval): scoring refuses bars of another interval. */
        interval: z.string(),
        fields: z.array(z.string()),
        warmup_bars: z.number().int().nonnegative(),
      })
      .strict(),
    outputs: z.array(z.string()),
    version: z.string(),
  })
  .strict()

/**
 * The chain the bundle holds, link by link with its role, in the order scoring runs it: the regime models (fitted on
 * the training window, their columns appended to the features), the members (base models, with the view they take,
 * their output head and feature slice), the combiner, the post-processors (with their fitted state) and the policy
 * (with its params, and a learning policy's fitted state). Scoring rebuilds each link through its registry.
 */
const chainLinkSchema = z.discriminatedUnion('role', [
  /** A regime model fitted on the training window; its columns (prefix_p0.., _duration, _state) join the features. */
  z
    .object({
      role: z.literal('regime'),
      name: z.string().regex(/^[a-z_]+$/, 'a column prefix'),
      model: z.string(),
      states: z.int().min(2),
      features: z.array(z.string()).min(1),
    })
    .strict(),
  z
    .object({
      role: z.literal('member'),
      name: z.string(),
      view: z.string(),
      head: z.string(),
      features: z.array(z.string()).nullable(),
    })
    .strict(),
  z.object({ role: z.literal('combiner'), name: z.string() }).strict(),
  z
    .object({
      role: z.literal('post_processor'),
      name: z.string(),
      /** The head it acts on when not p (E_r, quantiles). */
      head: z.string().optional(),
      state: z.record(z.string(), z.unknown()),
    })
    .strict(),
  z
    .object({
      role: z.literal('policy'),
      name: z.string(),
      params: z.record(z.string(), z.unknown()),
      /** A learning policy's fitted state (the rl policy's trained network). */
      state: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
])

/**
 * The run's acceptance verdict on its test period (format 3.2; absent in older bundles): each gate with its value
 * (null: not computable), threshold and result (src/backtest/acceptance.ts).
 */
const acceptanceSchema = z
  .object({
    verdict: z.enum(['PASS', 'FAIL']),
    test_period: z.object({ start: z.string(), end: z.string() }).strict(),
    gates: z.array(
      z
        .object({
          gate: z.string(),
          value: z.number().nullable(),
          threshold: z.number(),
          op: z.enum(['<=', '>=']),
          pass: z.boolean(),
        })
        .strict(),
    ),
  })
  .strict()

/** The manifest's content, everything but its own checksum. */
const manifestContentSchema = z
  .object({
    format: z.literal('mlfactory.bundle'),
    bundle_version: z.string(),
    producer: z.object({ name: z.literal('mlfactory'), version: z.string() }).strict(),
    config_hash: z.string(),
    data_fingerprint: z.string(),
    feature_schema: featureSchemaRefSchema,
    models: z.array(z.object({ role: z.string(), name: z.string(), dir: z.string() }).strict()).min(1),
    chain: z.array(chainLinkSchema).min(2),
    metrics: z.record(z.string(), z.unknown()),
    signature: signatureSchema,
    /** Threads and other settings that can change numeric results (ARCHITECTURE principle 3). */
    runtime: z.record(z.string(), z.unknown()),
    acceptance: acceptanceSchema.optional(),
    files: z.record(z.string(), z.object({ sha256: sha256Schema, bytes: z.number().int().nonnegative() }).strict()),
  })
  .strict()

const manifestSchema = manifestContentSchema.extend({ checksum: sha256Schema }).strict()

export type ChainLink = z.infer<typeof chainLinkSchema>
export type ManifestAcceptance = z.infer<typeof acceptanceSchema>
export type FeatureSchemaRef = z.infer<typeof featureSchemaRefSchema>
export type InferenceSignature = z.infer<typeof signatureSchema>
export type BundleManifest = z.infer<typeof manifestSchema>
/** What a run supplies; the format, version, file list and checksum are the writer's. */
export type ManifestFields = Omit<BundleManifest, 'files' | 'format' | 'bundle_version' | 'checksum'>

export const MANIFEST = 'manifest.json'

/**
 * The bundle checksum: the SHA-256 of the manifest's canonical content without its checksum field. The manifest
 * lists the SHA-256 of every other file, so this one value covers the whole bundle, and any edit of the manifest
 * itself (metrics, the chain's post-processor state, a file's hash) no longer matches the checksum it carries.
 */
export function manifestChecksum(content: Omit<BundleManifest, 'checksum'>): string {
  return sha256Hex(canonicalJson(content))
}

/**
 * Write a bundle atomically: `fill` writes the artifacts into a temp directory beside `dir`, the manifest is computed
 * over them (SHA-256 of every file), and the directory is renamed into place. Temp directories that killed writers
 * left beside `dir` are removed first. Returns the bundle checksum. Nothing in a bundle depends on the clock or the
 * run id, so the same data, config and seed give the same checksum.
 */
export async function writeBundle(
  dir: string,
  fields: ManifestFields,
  fill: (tmp: string) => Promise<void>,
): Promise<string> {
  await removeStaleTempsOf(dir)
  const tmp = tempPathFor(dir)
  await rm(tmp, { recursive: true, force: true })
  await mkdir(tmp, { recursive: true })
  let checksum: string
  try {
    await fill(tmp)
    const files = await checksumTree(tmp, [MANIFEST])
    const content = { format: 'mlfactory.bundle' as const, bundle_version: BUNDLE_VERSION, ...fields, files }
    checksum = manifestChecksum(content)
    const full: BundleManifest = { ...content, checksum }
    await writeFile(join(tmp, MANIFEST), `${JSON.stringify(JSON.parse(canonicalJson(full)), null, 1)}\n`)
    await mkdir(dirname(dir), { recursive: true })
    if (existsSync(dir)) await rm(dir, { recursive: true })
    await rename(tmp, dir)
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
  return checksum
}

function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
    .join('; ')
}

/**
 * Read a bundle's manifest and verify it: a plain file of the expected shape and version, its content matching its
 * checksum, every listed path confined to the bundle (relative, no `..`, no links) and present with its SHA-256,
 * and no unlisted file or link anywhere. Each failure names what is wrong. Returns the bundle checksum and the real
 * path of the folder that was verified, which is where the caller must read the artifacts from (not `dir`, whose
 * link may be re-pointed meanwhile).
 */
export async function readBundleManifest(
  dir: string,
): Promise<{ manifest: BundleManifest; checksum: string; root: string }> {
  const what = `bundle ${dir}`
  let root: string
  try {
    root = await realpath(dir)
  } catch {
    throw new Error(`${what}: no such folder`)
  }
  const path = join(root, MANIFEST)
  const st = await lstat(path).catch(() => null)
  if (!st) throw new Error(`${what}: ${MANIFEST} is missing`)
  if (!st.isFile()) throw new Error(`${what}: ${MANIFEST} is not a regular file (a link or a folder)`)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new Error(`${what}: ${MANIFEST} is not valid JSON (${(err as Error).message})`)
  }
  const head = z.object({ format: z.unknown(), bundle_version: z.unknown() }).safeParse(raw)
  if (!head.success || head.data.format !== 'mlfactory.bundle')
    throw new Error(`${what}: ${MANIFEST} is not an mlfactory bundle manifest`)
  const version = String(head.data.bundle_version)
  if (!/^\d+\.\d+\.\d+$/.test(version) || !canRead(BUNDLE_VERSION, version)) {
    throw new Error(`${what}: version ${version} cannot be read by this mlfactory (bundle format ${BUNDLE_VERSION})`)
  }
  const parsed = manifestSchema.safeParse(raw)
  if (!parsed.success) throw new Error(`${what}: ${MANIFEST} is malformed: ${issuesText(parsed.error)}`)
  const manifest = parsed.data
  const { checksum, ...content } = manifest
  const actual = manifestChecksum(content)
  if (actual !== checksum) {
    throw new Error(
      `${what}: ${MANIFEST} was edited after the bundle was written: its content hashes to ${actual.slice(0, 12)}…, its checksum says ${checksum.slice(0, 12)}…`,
    )
  }
  // Paths first, for every entry, so that nothing outside the bundle is opened or hashed.
  const files = Object.entries(manifest.files)
  const located = []
  for (const [file, ref] of files) located.push({ file, ref, at: await confinedFile(root, file, what) })
  for (const f of await bundleFiles(root, what)) {
    if (f !== MANIFEST && !Object.hasOwn(manifest.files, f))
      throw new Error(`${what}: unexpected file ${f} is not in the manifest`)
  }
  for (const { file, ref, at } of located) {
    const size = (await lstat(at)).size
    if (size !== ref.bytes)
      throw new Error(
        `${what}: ${file} has ${size} bytes, the manifest says ${ref.bytes}: the file was changed or corrupted`,
      )
    const found = await sha256File(at)
    if (found !== ref.sha256)
      throw new Error(
        `${what}: checksum mismatch for ${file} (expected ${ref.sha256.slice(0, 12)}…, found ${found.slice(0, 12)}…): the file was changed or corrupted`,
      )
  }
  return { manifest, checksum, root }
}
