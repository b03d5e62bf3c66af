import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { canonicalJson } from '../config/hash.js'
import { resolveConfig, type ResolvedConfig } from '../config/load.js'
import { baseInterval, originMs } from '../config/schema.js'
import { ingestFile } from '../data/ingest.js'
import type { FeatureSchema } from '../features/frame.js'
import { computeFeatures, detectVolumeMode } from '../features/frame.js'
import type { VolumeMode } from '../features/indicators/volume.js'
import { loadEnsemble, onlineCombiner, type CombinedModel } from '../ensemble/combined.js'
import { applyPostProcessors, loadPostProcessor, type FittedPostProcessor } from '../inference/post-processors.js'
import type { Model, Outputs } from '../models/contract.js'
import { registry } from '../models/registry.js'
import { decide } from '../policy/registry.js'
import { parseTimeframe } from '../data/timeframe.js'
import { readBundleManifest, type BundleManifest, type ChainLink, type ManifestFields } from '../bundle/manifest.js'
import { z } from 'zod'
import { K, modelOutputs, sampleMask, viewNeeds, viewOptions, weightColumns, type GateWeights } from './predict.js'
import { labelsOf, rowOutcomes } from './dataset.js'
import { postProcess } from './stages/post-process.js'
import { headCsvColumns, OTHER_HEADS, predictMembers, type OtherHead } from './stages/heads.js'
import type { Bars } from '../data/bars.js'
import { codeVersion } from './version.js'
import { fittedRegimeFromJson, fittedRegimeToJson } from '../models/regime/regime-features.js'
import { regimeSpecs, withRegimeColumns, type RegimeLink } from './stages/regime.js'

export const SIGNATURE_VERSION = '1'

type PostProcessorLink = Extract<ChainLink, { role: 'post_processor' }>
type RegimeChainLink = Extract<ChainLink, { role: 'regime' }>

/** The fitted post-processors, in order, as [{ name, state }]; the manifest's chain carries the same. */
export const POST_PROCESSORS_FILE = 'post_processors.json'

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
}

export const headDir = (head: OtherHead) => join('heads', head)
const memberDir = (head: OtherHead, k: number) => join(headDir(head), 'members', String(k))

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
  regimes: readonly RegimeLink[] = [],
): Promise<void> {
  await writeFile(join(dir, 'config.json'), bundleConfig(config))
  if (regimes.length > 0) await mkdir(join(dir, 'regimes'), { recursive: true })
  for (const r of regimes)
    await writeFile(join(dir, regimeFile(r.prefix)), `${JSON.stringify(fittedRegimeToJson(r.fitted))}\n`)
  await saveModel(dir, model, name, features)
  await writePostProcessors(dir, postProcessors)
  for (const h of heads) {
    for (const [k, m] of h.members.entries())
      await saveModel(join(dir, memberDir(h.head, k)), m.model, m.name, m.features)
    await writePostProcessors(join(dir, headDir(h.head)), h.postProcessors)
  }
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
  heads: readonly { readonly head: OtherHead; readonly members: readonly { readonly name: string }[] }[] = [],
  gateMembers: readonly string[] = [],
): ManifestFields {
  return {
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
  /** The regime models whose columns scoring appends to the features, in chain order. */
  regimes: RegimeLink[]
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
  const config = resolveConfig(configRaw, join(dir, 'config.json'))
  if (config.hash !== manifest.config_hash) {
    throw new Error(
      `bundle ${dir}: config.json hashes to ${config.hash.slice(0, 12)}…, the manifest says ${manifest.config_hash.slice(0, 12)}…`,
    )
  }
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
  const policy = manifest.chain.find((l) => l.role === 'policy')
  if (!policy || canonicalJson(policy.params) !== canonicalJson(config.policy))
    throw new Error(`bundle ${dir}: the manifest's policy link and config.json's policy differ`)
  const model =
    meta.family === 'ensemble'
      ? await loadEnsemble(join(root, 'model'))
      : await loadRegistryModel(root, '.', meta.name, dir)
  const heads = await loadHeads(root, dir, manifest)
  const regimes = await loadRegimes(root, dir, manifest, config)
  return { dir, manifest, checksum, config, model, features: meta.features, postProcessors, heads, regimes }
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
    heads.push({ head, members, postProcessors })
  }
  const unknown = listed.filter((x) => !OTHER_HEADS.some((h) => x.role === `head:${h}`))
  if (unknown.length) throw new Error(`bundle ${dir}: manifest model role "${unknown[0].role}" is not a head`)
  return heads
}

export interface Scored {
  bars: Bars
  rows: Int32Array
  p: Float64Array
  /** Conformal prediction sets, row-major (n, 3), when the bundle's chain has an uncertainty method. */
  sets?: Uint8Array
  /** The other heads' outputs (E_r, q_lo, q_hi, q05, q50, q95), when the bundle has such heads. */
  heads?: Outputs
  /** A gate's member weights at each scored row, when the bundle's combiner is a gate. */
  weights?: GateWeights
  signals: Int8Array
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
  let frame = computeFeatures(
    bars,
    bundle.config.features,
    expected.volume_mode,
    originMs(bundle.config),
    baseInterval(bundle.config),
  )
  if (frame.schema.hash !== expected.hash) {
    const missing = expected.names.filter((n) => !frame.names.includes(n))
    const extra = frame.names.filter((n) => !expected.names.includes(n))
    const detail =
      missing.length || extra.length
        ? ` (missing: ${missing.slice(0, 5).join(', ') || '-'}; unexpected: ${extra.slice(0, 5).join(', ') || '-'})`
        : ' (same names, different parameters or volume mode)'
    throw new Error(
      `bundle ${bundle.dir}: feature schema mismatch: data gives ${frame.schema.hash.slice(0, 12)}…, the model was trained on ${expected.hash.slice(0, 12)}…${detail}`,
    )
  }
  const vopts = viewOptions(bundle.config, bars)
  const needs = viewNeeds(bundle.config)
  const mask = sampleMask(frame, vopts, needs)
  // The regime models' columns, filtered over every bar of the file from the first (as the run did over its data).
  frame = withRegimeColumns(frame, bars, bundle.regimes)
  const rows = Int32Array.from(mask.keys()).filter((r) => mask[r] === 1)
  if (rows.length === 0) {
    const needed = Math.max(
      bundle.manifest.signature.inputs.warmup_bars + (needs.window ? vopts.windowSteps : 0),
      needs.foundation ? vopts.foundationContext - 1 : 0,
    )
    throw new Error(
      `${dataFile}: no bar can be scored: it has ${bars.length} bars, and the bundle needs at least ${needed + 1} ` +
        `(${needed} bars of warm-up before its first prediction)`,
    )
  }
  // A combiner that learns online meets the outcomes as their labels close, from the file's own bars.
  const online = onlineCombiner(bundle.model)
  const outcomes = online
    ? rowOutcomes(labelsOf(bars, bundle.config).labels, bars.ts, rows, bundle.config.labels.tripleBarrier.maxHolding)
    : undefined
  const out = modelOutputs(bundle.model, frame, rows, vopts, bundle.features ?? undefined, outcomes)
  const { p, sets } = postProcess(bundle.postProcessors, out.p, bars.ts, rows)
  const combiner = (bundle.model as Partial<CombinedModel>).combiner
  const weights = out.weights && combiner ? { members: combiner.members, w: out.weights } : undefined
  const heads = bundle.heads.length
    ? bundle.heads.reduce<Outputs>(
        (all, h) => {
          const members = h.members.map((m) => ({ model: m.model, features: m.features ?? undefined }))
          const out = predictMembers(members, h.head, frame, vopts, rows)
          return { ...all, ...applyPostProcessors(h.postProcessors, out), n: rows.length }
        },
        { n: rows.length },
      )
    : undefined
  return {
    bars,
    rows,
    p,
    ...(sets ? { sets } : {}),
    ...(heads ? { heads } : {}),
    ...(weights ? { weights } : {}),
    signals: decide(p, K, bundle.config.policy),
  }
}
