import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { canonicalJson, deepFreeze, sha256Hex } from '../config/hash.js'
import { resolveConfig, type ResolvedConfig } from '../config/load.js'
import { ingestFile } from '../data/ingest.js'
import type { FeatureFrame, FeatureSchema } from '../features/frame.js'
import { detectVolumeMode } from '../features/frame.js'
import type { VolumeMode } from '../features/indicators/volume.js'
import { loadEnsemble } from '../ensemble/combined.js'
import { loadPostProcessor, type FittedPostProcessor } from '../inference/post-processors.js'
import type { Model } from '../models/contract.js'
import { registry } from '../models/registry.js'
import { parsePolicyState, policyLearns, policyList } from '../policy/registry.js'
import { parseTimeframe } from '../data/timeframe.js'
import {
  readBundleManifest,
  type BundleManifest,
  type ChainLink,
  type ManifestAcceptance,
  type ManifestFields,
} from '../bundle/manifest.js'
import { parseReference, type DriftReference } from '../monitor/reference.js'
import { z } from 'zod'
import { K, predictionsCsv, viewNeeds, viewOptions, weightColumns } from './predict.js'
import { headCsvColumns, OTHER_HEADS, type OtherHead } from './stages/heads.js'
import { configTargets } from './stages/target-heads.js'
import { assertFeatureSchema, bundleFeatures, sampleRows, scoreRows, type ChainScores } from './scoring.js'
import type { Bars } from '../data/bars.js'
import { codeVersion } from './version.js'
import { fittedRegimeFromJson, fittedRegimeToJson } from '../models/regime/regime-features.js'
import { regimeSpecs, withRegimeColumns, type RegimeLink } from './stages/regime.js'

export const SIGNATURE_VERSION = '1'

type PostProcessorLink = Extract<ChainLink, { role: 'post_processor' }>
type RegimeChainLink = Extract<ChainLink, { role: 'regime' }>
type PolicyLink = Extract<ChainLink, { role: 'policy' }>

/** The fitted post-processors, in order, as [{ name, state }]; the manifest's chain carries the same. */
export const POST_PROCESSORS_FILE = 'post_processors.json'

/** The drift reference distributions (src/monitor/reference.ts); bundles of format 3.0 have none. */
export const REFERENCE_FILE = 'drift/reference.json'

/** The bundle's own copy of the resolved config (without where it was loaded from, which varies between machines). */
function bundleConfig(config: ResolvedConfig): string {
  const { source: _source, hash: _hash, ...rest } = config
  return `${JSON.stringify(JSON.parse(canonicalJson(rest)), null, 1)}\n`
}

/**
 * A head other than p as a bundle holds it, in `heads/<head>/`: its post-processors, and each member's model and
 * model.json in `members/<k>/` (in base_models order; scoring averages them as the run did).
 */
export interface BundleHead {
  readonly head: OtherHead
  readonly members: readonly {
    readonly name: string
    readonly model: Model
    readonly features: readonly string[] | null
  }[]
  readonly postProcessors: readonly FittedPostProcessor[]
  /** Per resample of the training window, the members refitted on it (cv_plus, jackknife_plus_ab, enbpi). */
  readonly resamples?: readonly BundleHead['members'][]
}

export const headDir = (head: OtherHead) => join('heads', head)
const memberDir = (head: OtherHead, k: number) => join(headDir(head), 'members', String(k))
const resampleDir = (head: OtherHead, k: number, j: number) =>
  join(headDir(head), 'resamples', String(k), 'members', String(j))
/** A multi-head target as a bundle holds it: each member's model in `targets/<column>/members/<k>/`. */
export interface BundleTarget {
  readonly column: string
  readonly members: BundleHead['members']
}
const targetMemberDir = (column: string, k: number) => join('targets', column, 'members', String(k))

/** The manifest role of resample k's models of a head. */
const resampleRole = (head: OtherHead, k: number) => `resample:${head}:${k}`

async function saveModel(dir: string, model: Model, name: string, features: readonly string[] | null): Promise<void> {
  await mkdir(join(dir, 'model'), { recursive: true })
  await model.save(join(dir, 'model'))
  await writeFile(
    join(dir, 'model.json'),
    `${JSON.stringify({ name, family: model.spec.family, features }, null, 1)}\n`,
  )
}

const writePostProcessors = (dir: string, chain: readonly FittedPostProcessor[]) =>
  writeFile(join(dir, POST_PROCESSORS_FILE), `${JSON.stringify(chain, null, 1)}\n`)

/** Where a regime model of the chain is saved: `regimes/<prefix>.json`. */
export const regimeFile = (prefix: string) => join('regimes', `${prefix}.json`)

export async function saveBundleArtifacts(
  dir: string,
  config: ResolvedConfig,
  model: Model,
  name: string,
  postProcessors: readonly FittedPostProcessor[],
  features: readonly string[] | null,
  heads: readonly BundleHead[] = [],
  targets: readonly BundleTarget[] = [],
  reference: DriftReference | null = null,
  regimes: readonly RegimeLink[] = [],
): Promise<void> {
  await writeFile(join(dir, 'config.json'), bundleConfig(config))
  if (reference) {
    await mkdir(join(dir, REFERENCE_FILE, '..'), { recursive: true })
    // One line: a few hundred numbers per column, which an indented file would spread over as many lines.
    await writeFile(join(dir, REFERENCE_FILE), `${JSON.stringify(reference)}\n`)
  }
  if (regimes.length > 0) await mkdir(join(dir, 'regimes'), { recursive: true })
  for (const r of regimes)
    await writeFile(join(dir, regimeFile(r.prefix)), `${JSON.stringify(fittedRegimeToJson(r.fitted))}\n`)
  await saveModel(dir, model, name, features)
  await writePostProcessors(dir, postProcessors)
  for (const h of heads) {
    for (const [k, m] of h.members.entries())
      await saveModel(join(dir, memberDir(h.head, k)), m.model, m.name, m.features)
    for (const [k, members] of (h.resamples ?? []).entries())
      for (const [j, m] of members.entries())
        await saveModel(join(dir, resampleDir(h.head, k, j)), m.model, m.name, m.features)
    await writePostProcessors(join(dir, headDir(h.head)), h.postProcessors)
  }
  for (const t of targets)
    for (const [k, m] of t.members.entries())
      await saveModel(join(dir, targetMemberDir(t.column, k)), m.model, m.name, m.features)
}

export function bundleManifestFields(
  config: ResolvedConfig,
  fingerprint: string,
  schema: FeatureSchema,
  volumeMode: VolumeMode,
  warmupBars: number,
  name: string,
  chain: readonly ChainLink[],
  metrics: Record<string, unknown>,
  heads: readonly {
    readonly head: OtherHead
    readonly members: readonly { readonly name: string }[]
    readonly resamples?: readonly (readonly { readonly name: string }[])[]
  }[] = [],
  targets: readonly { readonly column: string; readonly members: readonly { readonly name: string }[] }[] = [],
  gateMembers: readonly string[] = [],
  acceptance?: ManifestAcceptance,
): ManifestFields {
  return {
    ...(acceptance ? { acceptance } : {}),
    producer: { name: 'mlfactory', version: codeVersion().split('+')[0] },
    config_hash: config.hash,
    data_fingerprint: fingerprint,
    feature_schema: {
      names: [...schema.names],
      dtypes: [...schema.dtypes],
      hash: schema.hash,
      volume_mode: volumeMode,
    },
    models: [
      { role: 'final', name, dir: 'model' },
      ...heads.flatMap((h) =>
        h.members.map((m, k) => ({ role: `head:${h.head}`, name: m.name, dir: join(memberDir(h.head, k), 'model') })),
      ),
      ...heads.flatMap((h) =>
        (h.resamples ?? []).flatMap((members, k) =>
          members.map((m, j) => ({
            role: resampleRole(h.head, k),
            name: m.name,
            dir: join(resampleDir(h.head, k, j), 'model'),
          })),
        ),
      ),
      ...targets.flatMap((t) =>
        t.members.map((m, k) => ({
          role: `target:${t.column}`,
          name: m.name,
          dir: join(targetMemberDir(t.column, k), 'model'),
        })),
      ),
    ],
    chain: [...chain],
    metrics,
    signature: {
      inputs: {
        kind: 'bars',
        interval: config.data.interval,
        fields: ['ts', 'open', 'high', 'low', 'close', 'volume'],
        warmup_bars: warmupBars,
      },
      outputs: [
        'p_down',
        'p_flat',
        'p_up',
        'signal',
        ...heads.flatMap((h) => headCsvColumns(h.head, config.inference)),
        ...targets.map((t) => t.column),
        ...weightColumns(gateMembers),
      ],
      version: SIGNATURE_VERSION,
    },
    runtime: { seed: config.seed, threads: config.threads },
  }
}

/** Longest feature warm-up in base bars: how much history live scoring needs before the first usable row. */
export function warmupBars(specs: readonly { timeframe: string; warmup: number }[], baseMs = 60_000): number {
  let max = 0
  for (const s of specs) max = Math.max(max, s.warmup * (parseTimeframe(s.timeframe).ms / baseMs))
  return max
}

export interface LoadedBundle {
  dir: string
  manifest: BundleManifest
  checksum: string
  config: ResolvedConfig
  model: Model
  /** Feature columns the final model takes (null: all). */
  features: readonly string[] | null
  postProcessors: FittedPostProcessor[]
  /** Heads other than p, each with its model and post-processors. */
  heads: BundleHead[]
  /** The multi-head targets, in the order the run trained them. */
  targets: BundleTarget[]
  /** Reference distributions of every feature and output for drift monitoring; null in bundles written before them. */
  reference: DriftReference | null
  /** The regime models whose columns scoring appends to the features, in chain order. */
  regimes: RegimeLink[]
  /** Each policy's fitted state, checked (undefined for a policy that does not learn), in the config's order. */
  policyStates: readonly unknown[]
}

const modelMetaSchema = z
  .object({ name: z.string(), family: z.string(), features: z.array(z.string()).min(1).nullable() })
  .strict()

/** A JSON artifact of the bundle, parsed and validated against its schema; errors name the file and the field. */
async function readArtifact<T>(dir: string, file: string, schema: z.ZodType<T>, shown = dir): Promise<T> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(join(dir, file), 'utf8'))
  } catch (err) {
    throw new Error(`bundle ${shown}: ${file} is not valid JSON (${(err as Error).message})`)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue.path.join('.') || '(the whole file)'
    throw new Error(`bundle ${shown}: ${file} is invalid at ${field}: ${issue.message}`)
  }
  return parsed.data
}

/**
 * Load a bundle after verifying every checksum and validating every JSON artifact; the model is restored through
 * the registry, never by path.
 */
export async function loadBundle(dir: string, expectedChecksum?: string): Promise<LoadedBundle> {
  const { manifest, checksum, root } = await readBundleManifest(dir)
  if (expectedChecksum !== undefined && checksum !== expectedChecksum.toLowerCase()) {
    throw new Error(
      `bundle ${dir}: its checksum is ${checksum.slice(0, 12)}…, not the expected ${expectedChecksum.slice(0, 12)}… (another bundle, or one rebuilt or edited since)`,
    )
  }
  // Everything below reads from the folder that was verified, not through `dir` (a link that may be re-pointed).
  const configRaw = await readArtifact(root, 'config.json', z.record(z.string(), z.unknown()), dir)
  const config = bundleConfigOf(configRaw, join(dir, 'config.json'), manifest.config_hash)
  const meta = await readArtifact(root, 'model.json', modelMetaSchema, dir)
  const saved = await readArtifact(root, POST_PROCESSORS_FILE, z.array(z.unknown()), dir)
  const postProcessors = saved.map((pp, i) => loadPostProcessor(pp, `bundle ${dir}: ${POST_PROCESSORS_FILE} [${i}]`))
  for (const pp of postProcessors) {
    const classes = pp.state.classes
    if (classes !== undefined && classes !== K)
      throw new Error(`bundle ${dir}: ${POST_PROCESSORS_FILE}: ${pp.name} was fitted on ${classes} classes, not ${K}`)
  }
  const inChain = manifest.chain
    .filter((l): l is PostProcessorLink => l.role === 'post_processor' && !l.head)
    .map((l) => ({ name: l.name, state: l.state }))
  if (canonicalJson(postProcessors) !== canonicalJson(inChain))
    throw new Error(`bundle ${dir}: ${POST_PROCESSORS_FILE} and the post-processors of the manifest's chain differ`)
  const policyLinks = manifest.chain.filter((l): l is PolicyLink => l.role === 'policy')
  const policies = policyList(config.policy)
  if (canonicalJson(policyLinks.map((l) => l.params)) !== canonicalJson(policies))
    throw new Error(`bundle ${dir}: the manifest's policy links and config.json's policy differ`)
  const policyStates = policies.map((policy, j) => {
    const { state } = policyLinks[j]
    const where = `bundle ${dir}: the manifest's policy link ${policy.kind}`
    if (state === undefined) {
      if (policyLearns(policy)) throw new Error(`${where} has no fitted state (a learning policy needs its own)`)
      return undefined
    }
    return parsePolicyState(policy, state, where)
  })
  const model =
    meta.family === 'ensemble'
      ? await loadEnsemble(join(root, 'model'))
      : await loadRegistryModel(root, '.', meta.name, dir)
  const heads = await loadHeads(root, dir, manifest)
  const targets = await loadTargets(root, dir, manifest, config)
  const reference = Object.hasOwn(manifest.files, REFERENCE_FILE) ? await loadReference(root, dir, manifest) : null
  const regimes = await loadRegimes(root, dir, manifest, config)
  return {
    dir,
    manifest,
    checksum,
    config,
    model,
    features: meta.features,
    postProcessors,
    heads,
    targets,
    reference,
    regimes,
    policyStates,
  }
}

/**
 * A bundle's config.json resolved, under the hash its writer gave it. config.json is the resolved config as written,
 * so its canonical form hashes to the manifest's config_hash whatever this code's schema has added since; resolving it
 * again fills in the keys added after the bundle was written (their defaults keep what the bundle did), which would
 * change a hash taken now. A config.json that does not hash to the manifest's is refused.
 */
function bundleConfigOf(raw: Record<string, unknown>, source: string, manifestHash: string): ResolvedConfig {
  const written = sha256Hex(canonicalJson(raw))
  if (written !== manifestHash)
    throw new Error(
      `bundle ${dirname(source)}: config.json hashes to ${written.slice(0, 12)}…, the manifest says ${manifestHash.slice(0, 12)}…`,
    )
  return deepFreeze({ ...resolveConfig(raw, source), hash: written })
}

/** The drift reference, validated, and checked against the bundle's feature schema and outputs. */
async function loadReference(root: string, dir: string, manifest: BundleManifest): Promise<DriftReference> {
  const what = `bundle ${dir}: ${REFERENCE_FILE}`
  const reference = parseReference(await readArtifact(root, REFERENCE_FILE, z.unknown(), dir), what)
  // The first place where two name lists part, or null when they are the same.
  const differ = (a: readonly string[], b: readonly string[]) => {
    const k = a.findIndex((x, i) => x !== b[i])
    if (k >= 0) return `column ${k}: ${a[k]} against ${b[k] ?? 'nothing'}`
    return a.length === b.length ? null : `${a.length} names against ${b.length}`
  }
  const features = differ(
    reference.features.columns.map((c) => c.name),
    manifest.feature_schema.names,
  )
  if (features) throw new Error(`${what}: its features are not the bundle's feature schema (${features})`)
  const outputs = reference.outputs.columns.map((c) => c.name)
  const expected = manifest.signature.outputs.filter((o) => o !== 'signal')
  if (differ(outputs, expected))
    throw new Error(`${what}: its outputs (${outputs.join(', ')}) are not the bundle's (${expected.join(', ')})`)
  if (reference.interval !== manifest.signature.inputs.interval)
    throw new Error(
      `${what}: made on ${reference.interval} bars, the bundle scores ${manifest.signature.inputs.interval} bars`,
    )
  return reference
}

/** The regime models of the manifest's chain, each checked against its link and the config that asked for it. */
async function loadRegimes(
  root: string,
  dir: string,
  manifest: BundleManifest,
  config: ResolvedConfig,
): Promise<RegimeLink[]> {
  const links = manifest.chain.filter((l): l is RegimeChainLink => l.role === 'regime')
  const asked = regimeSpecs(config).map((r) => r.prefix)
  if (links.map((l) => l.name).join() !== asked.join())
    throw new Error(
      `bundle ${dir}: the chain's regime models [${links.map((l) => l.name).join(', ')}] are not the config's [${asked.join(', ')}]`,
    )
  const out: RegimeLink[] = []
  for (const link of links) {
    const file = regimeFile(link.name)
    const raw = await readArtifact(root, file, z.unknown(), dir)
    const fitted = fittedRegimeFromJson(raw, `bundle ${dir}: ${file}`)
    if (
      fitted.model !== link.model ||
      fitted.states !== link.states ||
      fitted.features.join('\n') !== link.features.join('\n')
    )
      throw new Error(`bundle ${dir}: ${file} and the manifest's ${link.name} regime link differ`)
    out.push({ prefix: link.name, fitted })
  }
  return out
}

async function loadRegistryModel(root: string, sub: string, name: string, dir: string): Promise<Model> {
  const entry = registry.get(name)
  if (!entry) throw new Error(`bundle ${dir}: model "${name}" is not in this mlfactory's registry`)
  const availability = entry.available()
  if (!availability.ok) throw new Error(`bundle ${dir}: model "${name}" is unavailable: ${availability.hint}`)
  return entry.load(join(root, sub, 'model'))
}

/** The heads the manifest lists (`head:<name>` models, in member order), each checked against its chain links. */
async function loadHeads(root: string, dir: string, manifest: BundleManifest): Promise<BundleHead[]> {
  const heads: BundleHead[] = []
  const listed = manifest.models.filter((x) => x.role.startsWith('head:'))
  for (const head of OTHER_HEADS) {
    const entries = listed.filter((x) => x.role === `head:${head}`)
    if (entries.length === 0) continue
    const members = []
    for (const [k, m] of entries.entries()) {
      const sub = memberDir(head, k)
      if (m.dir !== join(sub, 'model'))
        throw new Error(`bundle ${dir}: ${head} member ${k} is at ${m.dir}, not ${sub}/model`)
      const meta = await readArtifact(root, join(sub, 'model.json'), modelMetaSchema, dir)
      members.push({
        name: meta.name,
        model: await loadRegistryModel(root, sub, meta.name, dir),
        features: meta.features,
      })
    }
    const resamples = await loadResamples(root, dir, manifest, head)
    const sub = headDir(head)
    const saved = await readArtifact(root, join(sub, POST_PROCESSORS_FILE), z.array(z.unknown()), dir)
    const postProcessors = saved.map((pp, i) =>
      loadPostProcessor(pp, `bundle ${dir}: ${sub}/${POST_PROCESSORS_FILE} [${i}]`),
    )
    const inChain = manifest.chain
      .filter((l): l is PostProcessorLink => l.role === 'post_processor' && l.head === head)
      .map((l) => ({ name: l.name, state: l.state }))
    if (canonicalJson(postProcessors) !== canonicalJson(inChain))
      throw new Error(
        `bundle ${dir}: ${sub}/${POST_PROCESSORS_FILE} and the ${head} post-processors of the manifest's chain differ`,
      )
    heads.push({ head, members, postProcessors, ...(resamples.length ? { resamples } : {}) })
  }
  const unknown = listed.filter((x) => !OTHER_HEADS.some((h) => x.role === `head:${h}`))
  if (unknown.length) throw new Error(`bundle ${dir}: manifest model role "${unknown[0].role}" is not a head`)
  const stray = manifest.models.find(
    (x) => x.role.startsWith('resample:') && !heads.some((h) => x.role.startsWith(`resample:${h.head}:`)),
  )
  if (stray) throw new Error(`bundle ${dir}: manifest model role "${stray.role}" is a resample of no head`)
  return heads
}

/** The config's multi-head targets, each with its `target:<column>` models in member order. */
async function loadTargets(
  root: string,
  dir: string,
  manifest: BundleManifest,
  config: ResolvedConfig,
): Promise<BundleTarget[]> {
  const targets: BundleTarget[] = []
  const columns = configTargets(config).map((t) => t.column)
  for (const column of columns) {
    const entries = manifest.models.filter((x) => x.role === `target:${column}`)
    if (entries.length === 0)
      throw new Error(`bundle ${dir}: the config trains ${column}, the manifest has no model for it`)
    const members = []
    for (const [k, m] of entries.entries()) {
      const sub = targetMemberDir(column, k)
      if (m.dir !== join(sub, 'model'))
        throw new Error(`bundle ${dir}: ${column} member ${k} is at ${m.dir}, not ${sub}/model`)
      const meta = await readArtifact(root, join(sub, 'model.json'), modelMetaSchema, dir)
      members.push({
        name: meta.name,
        model: await loadRegistryModel(root, sub, meta.name, dir),
        features: meta.features,
      })
    }
    targets.push({ column, members })
  }
  const stray = manifest.models.find((x) => x.role.startsWith('target:') && !columns.includes(x.role.slice(7)))
  if (stray) throw new Error(`bundle ${dir}: manifest model role "${stray.role}" is not a target of its config`)
  return targets
}

/** A head's resamples (`resample:<head>:<k>` models, k = 0, 1, ... in order), each member at its own folder. */
async function loadResamples(
  root: string,
  dir: string,
  manifest: BundleManifest,
  head: OtherHead,
): Promise<BundleHead['members'][]> {
  const resamples: BundleHead['members'][] = []
  const listed = manifest.models.filter((x) => x.role.startsWith(`resample:${head}:`))
  for (let k = 0; listed.some((x) => x.role === resampleRole(head, k)); k++) {
    const members = []
    for (const [j, m] of listed.filter((x) => x.role === resampleRole(head, k)).entries()) {
      const sub = resampleDir(head, k, j)
      if (m.dir !== join(sub, 'model'))
        throw new Error(`bundle ${dir}: ${head} resample ${k} member ${j} is at ${m.dir}, not ${sub}/model`)
      const meta = await readArtifact(root, join(sub, 'model.json'), modelMetaSchema, dir)
      members.push({
        name: meta.name,
        model: await loadRegistryModel(root, sub, meta.name, dir),
        features: meta.features,
      })
    }
    resamples.push(members)
  }
  const counted = resamples.reduce((c, r) => c + r.length, 0)
  if (counted !== listed.length)
    throw new Error(`bundle ${dir}: the ${head} resamples in the manifest are not numbered 0, 1, ... in order`)
  return resamples
}

export interface Scored extends ChainScores {
  bars: Bars
  /** The features the chain was given (one row per bar). */
  frame: FeatureFrame
  rows: Int32Array
}

/**
 * Score a bars file with a bundle alone: features are recomputed through the bundle's own config, and the feature
 * schema must match the one the model was trained on (names, dtypes and every parameter, by hash).
 */
export async function scoreWithBundle(bundle: LoadedBundle, dataFile: string): Promise<Scored> {
  const { bars } = await ingestFile(dataFile, bundle.config.data)
  const expected = bundle.manifest.feature_schema
  // The volume mode is part of what the model learned; it is never re-detected from the scored data.
  if (expected.volume_mode === 'present' && detectVolumeMode(bars) === 'absent_neutral') {
    throw new Error(
      `bundle ${bundle.dir}: the model was trained on bars with volume, but ${dataFile} has no positive volume; ` +
        'score it with a bundle trained without volume (features.volume.mode: absent_neutral)',
    )
  }
  const features = bundleFeatures(bundle, bars)
  assertFeatureSchema(bundle, features.schema.hash, features.names)
  const rows = sampleRows(bundle, features, bars)
  // The regime models' columns, filtered over every bar of the file from the first (as the run did over its data).
  const frame = withRegimeColumns(features, bars, bundle.regimes)
  if (rows.length === 0) {
    const vopts = viewOptions(bundle.config, bars)
    const needs = viewNeeds(bundle.config)
    const needed = Math.max(
      bundle.manifest.signature.inputs.warmup_bars + (needs.window ? vopts.windowSteps : 0),
      needs.foundation ? vopts.foundationContext - 1 : 0,
    )
    throw new Error(
      `${dataFile}: no bar can be scored: it has ${bars.length} bars, and the bundle needs at least ${needed + 1} ` +
        `(${needed} bars of warm-up before its first prediction)`,
    )
  }
  // Every policy of the list decides once, with the bars, inside the chain's scoring.
  return { bars, frame, rows, ...scoreRows(bundle, frame, rows, bars) }
}

/** The predictions CSV of a scored file, as `mlf predict` writes it. */
export function scoredPredictionsCsv(s: Scored): string {
  return predictionsCsv(s.bars, s.rows, s.p, s.signals, s.sets, s.heads, s.otherPolicies, s.weights)
}
