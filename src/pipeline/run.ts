import { mkdir, rename, writeFile } from 'node:fs/promises'
import { removeStaleTemps, tempPathFor } from '../core/files.js'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { codeVersion } from './version.js'
import { runEnvironment } from './environment.js'
import type { ResolvedConfig } from '../config/load.js'
import { ingestFile } from '../data/ingest.js'
import type { ValidationReport } from '../data/validate.js'
import { createModel, registry } from '../models/registry.js'
import type { Dataset, Model, ProgressSink, Task } from '../models/contract.js'
import { selectColumns, votingEnsemble, type VotingMember } from '../ensemble/voting.js'
import type { GuardReport } from '../ensemble/combiner.js'
import { fitCombined } from './combine.js'
import { fitTemperature, type TemperatureScaler } from '../inference/calibration/temperature.js'
import { accuracy, auc, calibrationStats, logLoss, type CalibrationStats } from '../inference/calibration/metrics.js'
import { thresholdSignals } from '../policy/threshold.js'
import { runBacktest } from '../backtest/engine.js'
import { backtestMetrics, drawdown, regimeBreakdown } from '../backtest/metrics.js'
import { readBundleManifest, writeBundle } from '../bundle/manifest.js'
import { baseInterval } from '../config/schema.js'
import { renderReport } from '../tracking/report.js'
import { openRunStore } from '../tracking/store.js'
import type { RunEnvironment, RunRecord } from '../tracking/types.js'
import { buildLabeledFrame, classTargets, CLASS_NAMES, shuffled, splitSamples } from './dataset.js'
import { buildView, calibrate, classProbabilities, K, predictionsCsv, sampleMask, viewOptions } from './predict.js'
import { saveBundleArtifacts, bundleManifestFields, warmupBars } from './bundle.js'

const TASK: Task = { kind: 'multiclass', classes: K }

export interface RunOptions {
  config: ResolvedConfig
  dataFile: string
  outDir: string
  /** Progress bars for long stages (quiet when absent). */
  progress?: (label: string) => ProgressSink & { stop?: () => void }
  log?: (line: string) => void
}

export interface StageTiming {
  stage: string
  seconds: number
  peakRssMiB: number
}

export interface ModelMetrics {
  name: string
  kind: 'base' | 'ensemble' | 'calibrated'
  metrics: Record<'val' | 'test', Record<string, number>>
}

export interface RunResult {
  runId: string
  runDir: string
  bundleDir: string
  bundleChecksum: string
  summary: RunSummary
}

export interface RunSummary {
  run_id: string
  config_hash: string
  data_fingerprint: string
  data_file: string
  code_version: string
  environment: RunEnvironment
  seed: number
  rows: number
  features: number
  feature_schema_hash: string
  samples: { train: number; val: number; test: number; purged: number; embargoed: number }
  labels: { classes: readonly string[]; counts: { split: 'train' | 'val' | 'test'; counts: number[] }[] }
  models: ModelMetrics[]
  ensemble_weights: Record<string, number> | null
  /** Stacking or blending compared with its best member on validation (null without such a combiner). */
  ensemble_guard: GuardReport | null
  calibration: {
    method: string
    params: Record<string, number>
    before: CalibrationStats
    after: CalibrationStats
  } | null
  backtest: ReturnType<typeof backtestMetrics>
  regimes: ReturnType<typeof regimeBreakdown>
  canary: { shuffled_labels: boolean; test_auc: number }
  bundle_checksum: string
  timings: StageTiming[]
}

/** The run's config as it ran: defaults filled in, and ensemble weights as the numbers actually used. */
function resolvedConfigYaml(config: ResolvedConfig, weights: Record<string, number> | null): string {
  const { source, hash, ...rest } = config
  const out =
    weights && rest.ensemble
      ? { ...rest, ensemble: { ...rest.ensemble, members: Object.keys(weights), weights: Object.values(weights) } }
      : rest
  return `# resolved from ${source ?? 'defaults'} (config hash ${hash})\n${stringify(out)}`
}

/** Gain importance when the final model exposes it (tree models); mean over ensemble members that do. */
function featureImportance(model: Model, names: readonly string[]): { feature: string; gain: number }[] | undefined {
  const withImportance = (m: Model) => (m as Model & { importance?: (type?: 'gain') => Float64Array }).importance
  const members = (model as Model & { members?: readonly VotingMember[] }).members
  const models = members ? members.filter((m) => !m.features).map((m) => m.model) : [model]
  const gains = models
    .map((m) => withImportance(m)?.call(m, 'gain'))
    .filter((g): g is Float64Array => g?.length === names.length)
  if (gains.length === 0) return undefined
  return names
    .map((feature, j) => ({ feature, gain: gains.reduce((s, g) => s + g[j], 0) / gains.length }))
    .sort((a, b) => b.gain - a.gain)
}

/**
 * Directional AUC: among rows labeled up or down, how well p_up - p_down ranks up above down. Flat rows are left
 * out because the share of flat labels depends on volatility, so a model that only tracks volatility (or a random
 * function of volatility features) would move an up-vs-rest AUC without any directional skill.
 */
export function directionalAuc(p: Float64Array, y: Float64Array): number {
  const rows = Array.from(y.keys()).filter((i) => y[i] !== 1)
  const score = Float64Array.from(rows, (i) => p[i * K + 2] - p[i * K])
  return auc(
    score,
    Uint8Array.from(rows, (i) => (y[i] === 2 ? 1 : 0)),
  )
}

function splitMetrics(p: Float64Array, y: Float64Array): Record<string, number> {
  const up = Float64Array.from({ length: y.length }, (_, i) => p[i * K + 2])
  const isUp = Uint8Array.from(y, (c) => (c === 2 ? 1 : 0))
  return {
    accuracy: accuracy(p, y, K),
    log_loss: logLoss(p, y, K),
    auc_up: auc(up, isUp),
    auc_dir: directionalAuc(p, y),
  }
}

function classCounts(y: Float64Array): number[] {
  const c = new Array<number>(K).fill(0)
  for (const v of y) c[v]++
  return c
}

/**
 * What in a config this run cannot do, refused before any work: nothing in a config is accepted and then ignored.
 * `splits.method` also picks what `mlf splits` reports; the run itself trains on one chronological split.
 */
export function runConfigProblems(config: ResolvedConfig): string[] {
  const problems: string[] = []
  if (config.splits.method !== 'chronological') {
    problems.push(
      `splits.method: ${config.splits.method} is not what mlf run does: it trains and evaluates on one chronological ` +
        'train/val/test split (splits.method: chronological, with splits.chronological, embargoBars or ' +
        `embargoFraction); ${config.splits.method} folds are reported by mlf splits --method ${config.splits.method}`,
    )
  }
  return problems
}

/**
 * The run: ingest, validate, features, labels, purged split, base models (fit on train, early-stopped on val) or a
 * stacking / blending combiner (members fitted per purged fold, then on the whole training window), optional voting
 * ensemble, temperature scaling on val, threshold policy and a cost-aware backtest on test, and a checksummed bundle. Deterministic for a given data file, config and seed.
 */
export async function runPipeline(opts: RunOptions): Promise<RunResult & { report: ValidationReport }> {
  const { config } = opts
  const problems = runConfigProblems(config)
  if (problems.length > 0)
    throw new Error(
      `config${config.source ? ` ${config.source}` : ''} asks for what mlf run cannot do:\n  ${problems.join('\n  ')}`,
    )
  const log = opts.log ?? (() => {})
  const timings: StageTiming[] = []
  let mark = performance.now()
  const stage = (name: string) => {
    const now = performance.now()
    timings.push({ stage: name, seconds: (now - mark) / 1000, peakRssMiB: process.resourceUsage().maxRSS / 1024 })
    log(`  ${name.padEnd(18)} ${((now - mark) / 1000).toFixed(2)} s`)
    mark = now
  }

  const { bars, report } = await ingestFile(opts.dataFile, config.data)
  stage('ingest+validate')
  const lf = buildLabeledFrame(bars, config)
  stage('features+labels')
  const vopts = viewOptions(config)
  const needsWindow = config.base_models.some((m) => registry.get(m.name)?.spec.inputView === 'window_tensor')
  const split = splitSamples(lf, config, sampleMask(lf.frame, vopts, needsWindow))
  const yTrue = {
    train: classTargets(lf.labels, split.train),
    val: classTargets(lf.labels, split.val),
    test: classTargets(lf.labels, split.test),
  }
  if (split.val.length === 0)
    throw new Error(
      'the validation split is empty: calibration and early stopping need it (splits.chronological.val > 0)',
    )
  const shuffle = config.control.shuffle_labels
  const y = {
    train: shuffle ? shuffled(yTrue.train, config.seed) : yTrue.train,
    val: shuffle ? shuffled(yTrue.val, config.seed + 1) : yTrue.val,
  }
  stage('split')
  const fitted: { name: string; model: Model; features?: readonly string[] }[] = []
  const models: ModelMetrics[] = []
  const probs = new Map<string, { val: Float64Array; test: Float64Array }>()
  /** Validation and test probabilities of a fitted model, kept and reported under `name`. */
  const evaluate = (name: string, kind: ModelMetrics['kind'], model: Model, features?: readonly string[]) => {
    const pv = classProbabilities(model, lf.frame, split.val, vopts, features)
    const pt = classProbabilities(model, lf.frame, split.test, vopts, features)
    probs.set(name, { val: pv, test: pt })
    models.push({ name, kind, metrics: { val: splitMetrics(pv, yTrue.val), test: splitMetrics(pt, yTrue.test) } })
  }
  const combinerParams = config.ensemble && !('kind' in config.ensemble) ? config.ensemble : null
  let final: Model
  let finalName: string
  let ensembleWeights: Record<string, number> | null = null
  let ensembleGuard: GuardReport | null = null
  if (combinerParams) {
    // The combiner fits the members itself (per fold, then on the whole training window).
    const bar = opts.progress?.(`fit ${combinerParams.method}`)
    let combined
    try {
      combined = await fitCombined({
        config,
        params: combinerParams,
        task: TASK,
        lf,
        vopts,
        train: split.train,
        val: split.val,
        y,
      })
    } finally {
      bar?.stop?.()
    }
    for (const m of combined.model.members) {
      fitted.push(m)
      evaluate(m.name, 'base', m.model, m.features)
    }
    final = combined.model
    finalName = combinerParams.method
    ensembleGuard = combined.guard
    evaluate(finalName, 'ensemble', final)
    stage(`fit ${combinerParams.method}`)
  } else {
    for (const [i, spec] of config.base_models.entries()) {
      const model = createModel(spec.name, spec.config, TASK, `base_models.${i}.config`)
      const bar = opts.progress?.(`fit ${spec.name}`)
      const view = (rows: Int32Array) => {
        const v = buildView(model.spec.inputView, lf.frame, rows, vopts)
        return spec.features && v.kind === 'feature_matrix' ? selectColumns(v, spec.features) : v
      }
      const train: Dataset = { x: view(split.train), y: y.train }
      const val: Dataset = { x: view(split.val), y: y.val }
      try {
        await model.fit(train, val, { seed: config.seed, threads: config.threads, progress: bar })
      } finally {
        bar?.stop?.()
      }
      evaluate(spec.name, 'base', model, spec.features)
      fitted.push({ name: spec.name, model, features: spec.features })
      stage(`fit ${spec.name}`)
    }
    final = fitted[0].model
    finalName = fitted[0].name
  }
  const voting = config.ensemble && 'kind' in config.ensemble ? config.ensemble : null
  if (voting) {
    const names = voting.members ?? fitted.map((f) => f.name)
    const chosen = names.map((n) => fitted.find((f) => f.name === n)!)
    const w = voting.weights
    const weights =
      w === 'uniform'
        ? chosen.map(() => 1)
        : w === 'val_accuracy'
          ? // Accuracy above chance on validation (never on test), floored so every member keeps a voice.
            chosen.map((c) => Math.max(1e-3, accuracy(probs.get(c.name)!.val, y.val, K) - 1 / K))
          : w
    const members: VotingMember[] = chosen.map((c, k) => ({
      name: c.name,
      model: c.model,
      weight: weights[k],
      features: c.features,
    }))
    final = votingEnsemble(members, TASK)
    finalName = 'voting'
    ensembleWeights = Object.fromEntries(members.map((m) => [m.name, m.weight]))
    evaluate('voting', 'ensemble', final)
    stage('ensemble')
  }

  const raw = probs.get(finalName)!
  let scaler: TemperatureScaler | null = null
  if (config.inference.calibrate.includes('temperature')) scaler = fitTemperature(raw.val, y.val, K)
  const cal = {
    val: calibrate(raw.val, scaler, bars.ts, split.val),
    test: calibrate(raw.test, scaler, bars.ts, split.test),
  }
  if (scaler) {
    models.push({
      name: `${finalName}+temperature`,
      kind: 'calibrated',
      metrics: { val: splitMetrics(cal.val, yTrue.val), test: splitMetrics(cal.test, yTrue.test) },
    })
  }
  const calibration = scaler
    ? {
        method: 'temperature',
        params: { temperature: scaler.temperature },
        before: calibrationStats(raw.test, yTrue.test, K),
        after: calibrationStats(cal.test, yTrue.test, K),
      }
    : null
  stage('calibration')

  const signals = thresholdSignals(cal.test, K, config.policy)
  const bt = runBacktest(bars, signals, split.test, config.labels.tripleBarrier.maxHolding, config.backtest)
  // Indexed by absolute bar, like the trades' entry and exit indices.
  const volAtRow = Float64Array.from(lf.vol, (v, i) => v / bars.close[i])
  const btMetrics = backtestMetrics(bt)
  const regimes = regimeBreakdown(bt, volAtRow)
  stage('policy+backtest')

  const runId = `${new Date().toISOString().replace(/[-:.]/g, '').replace('Z', '')}-${config.hash.slice(0, 8)}`
  const runDir = join(opts.outDir, runId)
  // Everything is written into a temp folder that becomes the run folder only once complete: a run killed midway
  // leaves no half-written report or predictions, only a temp folder the next run removes.
  await removeStaleTemps(opts.outDir)
  const workDir = tempPathFor(runDir)
  await mkdir(workDir, { recursive: true })
  const bundleDir = join(runDir, 'bundle')
  const metricsForBundle = Object.fromEntries(models.map((m) => [m.name, m.metrics]))
  const bundleChecksum = await writeBundle(
    join(workDir, 'bundle'),
    bundleManifestFields(
      config,
      report.fingerprint,
      lf.frame.schema,
      lf.frame.volumeMode,
      warmupBars(lf.frame.specs, baseInterval(config).ms),
      finalName,
      scaler,
      metricsForBundle,
    ),
    (tmp) =>
      saveBundleArtifacts(tmp, config, final, finalName, scaler, config.ensemble ? null : (fitted[0].features ?? null)),
  )
  stage('bundle')

  const summary: RunSummary = {
    run_id: runId,
    config_hash: config.hash,
    data_fingerprint: report.fingerprint,
    data_file: opts.dataFile,
    code_version: codeVersion(),
    environment: runEnvironment(),
    seed: config.seed,
    rows: bars.length,
    features: lf.frame.names.length,
    feature_schema_hash: lf.frame.schema.hash,
    samples: {
      train: split.train.length,
      val: split.val.length,
      test: split.test.length,
      purged: split.purged,
      embargoed: split.embargoed,
    },
    labels: {
      classes: CLASS_NAMES,
      counts: [
        { split: 'train', counts: classCounts(yTrue.train) },
        { split: 'val', counts: classCounts(yTrue.val) },
        { split: 'test', counts: classCounts(yTrue.test) },
      ],
    },
    models,
    ensemble_weights: ensembleWeights,
    ensemble_guard: ensembleGuard,
    calibration,
    backtest: btMetrics,
    regimes,
    canary: { shuffled_labels: shuffle, test_auc: directionalAuc(cal.test, yTrue.test) },
    bundle_checksum: bundleChecksum,
    timings,
  }
  await mkdir(join(workDir, 'predictions'), { recursive: true })
  await writeFile(join(workDir, 'predictions', 'test.csv'), predictionsCsv(bars, split.test, cal.test, signals))
  await writeFile(join(workDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  await writeFile(join(workDir, 'config.resolved.yaml'), resolvedConfigYaml(config, ensembleWeights))
  const equity = { ts: Array.from(bt.ts), equity: Array.from(bt.equity), drawdown: Array.from(drawdown(bt.equity)) }
  const importance = featureImportance(final, lf.frame.names)
  const record: RunRecord = {
    runId,
    createdAt: new Date().toISOString(),
    configHash: config.hash,
    dataFingerprint: report.fingerprint,
    codeVersion: summary.code_version,
    environment: summary.environment,
    seed: config.seed,
    config: { ...config, source: undefined },
    dataFile: opts.dataFile,
    timings,
    labels: { classes: [...CLASS_NAMES], counts: summary.labels.counts },
    models,
    calibration: calibration ?? undefined,
    featureImportance: importance,
    backtest: { equity, metrics: { ...btMetrics }, byRegime: regimes },
    canary: { shuffledLabels: shuffle, testAuc: summary.canary.test_auc },
    artifacts: Object.entries((await readBundleManifest(join(workDir, 'bundle'))).manifest.files).map(([path, f]) => ({
      path: `bundle/${path}`,
      ...f,
    })),
  }
  await writeFile(join(workDir, 'report.html'), renderReport(record))
  await rename(workDir, runDir)
  const store = openRunStore(join(opts.outDir, 'mlf.sqlite'))
  try {
    store.record(record)
  } finally {
    store.close()
  }
  stage('report+tracking')
  return { runId, runDir, bundleDir, bundleChecksum, summary, report }
}
