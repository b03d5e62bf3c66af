/**
 * Record stage: the one run record, from which summary.json, the report and the SQLite row are all derived, and the
 * run folder's files. Everything is written into a temporary folder that is renamed into place once complete.
 */
import { rename, writeFile, mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { stringify } from 'yaml'
import { readBundleManifest } from '../../bundle/manifest.js'
import type { ResolvedConfig } from '../../config/load.js'
import { drawdown } from '../../backtest/metrics.js'
import { policyList } from '../../policy/registry.js'
import type { Model } from '../../models/contract.js'
import { leafModels } from '../../models/composite.js'
import type { GuardReport } from '../../ensemble/combiner.js'
import { renderReport } from '../../tracking/report.js'
import { openRunStore } from '../../tracking/store.js'
import type {
  AcceptanceRecord,
  IntervalRecord,
  PolicyFitRecord,
  RunEnvironment,
  RunRecord,
  StageTiming,
} from '../../tracking/types.js'
import { meanInterval } from '../../policy/rl/fit.js'
import { CLASS_NAMES } from '../dataset.js'
import { regimeColumnNames } from '../../models/regime/spec.js'
import { predictionsCsv } from '../predict.js'
import type { BacktestOutcome } from './backtest.js'
import { metricsWithIntervals } from '../../backtest/bootstrap.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { WindowResult } from './chain.js'
import {
  benchmarkRecord,
  ensembleWeightsRecord,
  importanceRecords,
  testPeriodRecord,
  tradesCsv,
  tradesRecord,
} from './report-records.js'
import {
  gateRecord,
  headRecords,
  predictionSetsReport,
  targetRecords,
  type CalibrationReport,
  type TestStream,
} from './evaluate.js'
import type {
  ComparisonRecord,
  HeadRecord,
  ModelResult,
  PredictionSetsRecord,
  WindowRecord,
} from '../../tracking/types.js'

/** summary.json: the run record's headline, in snake_case, derived from the record (never built on its own). */
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
  models: ModelResult[]
  ensemble_weights: Record<string, number> | null
  /** Stacking or blending compared with its best member on validation (null without such a combiner). */
  ensemble_guard: GuardReport | null
  /** A gate's mean member weights over the test rows and its regret against the best member (null without a gate). */
  gate: {
    name: string
    members: string[]
    rows: number
    mean_weights: number[]
    regret: { best_member: string; total: number; per_row: number }
  } | null
  calibration: CalibrationReport | null
  prediction_sets: PredictionSetsRecord | null
  /** Heads other than p (p_up, E_r, q05/q50/q95), their members combined. */
  heads: HeadRecord[]
  /** evaluation.compare: every base model alone on each of its heads, and the chain of each combined head. */
  comparison: ComparisonSummary[] | null
  backtest: Record<string, number>
  regimes: NonNullable<RunRecord['backtest']>['byRegime']
  /**
   * With a list of policies, or one that learns: each one's backtest on the same predictions, the primary (backtest
   * above) first, and a learning policy's seeds (their test P&L mean and interval).
   */
  policies?: { policy: string; backtest: Record<string, number>; fit?: PolicyFitRecord }[]
  /**
   * The run's test directional AUC; with the shuffled-label control, its AUC, fit time and whether the model beats
   * it.
   */
  canary: {
    shuffled_labels: boolean
    test_auc: number
    control_auc?: number
    control_seconds?: number
    beats_control?: boolean
    /** Why no control was trained, when none was. */
    no_control?: string
  }
  /** The acceptance gates, the verdict and the intervals behind them (null in records from before them). */
  acceptance: AcceptanceSummary | null
  /** Calibrators checked on their fitting rows (cross-fitted), per window, and whether they were dropped. */
  post_processor_checks: PostProcessorCheckSummary[]
  evaluation: { method: 'chronological' | 'walk_forward'; windows: WindowRecord[]; skipped: number }
  bundle_checksum: string
  timings: StageTiming[]
}

export type IntervalsSummary =
  | {
      days: number
      block_days: number
      resamples: number
      confidence: number
      sharpe: IntervalRecord
      total_return: IntervalRecord
      hit_rate: IntervalRecord | null
    }
  | { reason: string }

export interface AcceptanceSummary {
  verdict: 'PASS' | 'FAIL'
  no_edge: string | null
  test_period: { start: string; end: string; days: number }
  gates: AcceptanceRecord['gates']
  trades: number
  intervals: IntervalsSummary
}

export interface PostProcessorCheckSummary {
  window: string
  name: string
  rows: number
  before: { log_loss: number; ece: number }
  after: { log_loss: number; ece: number }
  worse: boolean
  dropped: boolean
}

function intervalsSummary(i: AcceptanceRecord['intervals']): IntervalsSummary {
  if ('reason' in i) return { reason: i.reason }
  return {
    days: i.days,
    block_days: i.blockDays,
    resamples: i.resamples,
    confidence: i.confidence,
    sharpe: i.sharpe,
    total_return: i.totalReturn,
    hit_rate: i.hitRate,
  }
}

function acceptanceSummary(a: AcceptanceRecord): AcceptanceSummary {
  return {
    verdict: a.verdict,
    no_edge: a.noEdge,
    test_period: a.testPeriod,
    gates: a.gates,
    trades: a.trades,
    intervals: intervalsSummary(a.intervals),
  }
}

function canarySummary(c: NonNullable<RunRecord['canary']>): RunSummary['canary'] {
  return {
    shuffled_labels: c.shuffledLabels,
    test_auc: c.testAuc,
    ...(c.controlAuc !== undefined
      ? { control_auc: c.controlAuc, control_seconds: c.controlSeconds ?? 0, beats_control: c.testAuc > c.controlAuc }
      : { no_control: c.noControl ?? 'not recorded' }),
  }
}

/** A row of the comparison table in summary.json (the record's, in snake_case). */
export interface ComparisonSummary {
  model: string
  kind: 'alone' | 'chain'
  index: number | null
  head: string
  post_processors: string[]
  metrics: { val: Record<string, number>; test: Record<string, number> }
  backtest: Record<string, number> | null
  fit_seconds: number | null
  infer_us_per_row: number | null
}

function comparisonSummary(c: ComparisonRecord): ComparisonSummary {
  return {
    model: c.model,
    kind: c.kind,
    index: c.index,
    head: c.head,
    post_processors: c.postProcessors,
    metrics: c.metrics,
    backtest: c.backtest,
    fit_seconds: c.fitSeconds,
    infer_us_per_row: c.inferUsPerRow,
  }
}

export function runSummary(r: RunRecord): RunSummary {
  return {
    run_id: r.runId,
    config_hash: r.configHash,
    data_fingerprint: r.dataFingerprint,
    data_file: r.dataFile,
    code_version: r.codeVersion,
    environment: r.environment!,
    seed: r.seed,
    rows: r.rows!,
    features: r.features!,
    feature_schema_hash: r.featureSchemaHash!,
    samples: r.samples!,
    labels: r.labels,
    models: r.models,
    ensemble_weights: r.ensembleWeights ?? null,
    ensemble_guard: (r.ensembleGuard as GuardReport | null | undefined) ?? null,
    gate: r.gate
      ? {
          name: r.gate.name,
          members: r.gate.members,
          rows: r.gate.rows,
          mean_weights: r.gate.meanWeights,
          regret: { best_member: r.gate.regret.bestMember, total: r.gate.regret.total, per_row: r.gate.regret.perRow },
        }
      : null,
    calibration: r.calibration ?? null,
    prediction_sets: r.predictionSets ?? null,
    heads: r.heads ?? [],
    comparison: r.comparison?.map(comparisonSummary) ?? null,
    backtest: r.backtest!.metrics,
    regimes: r.backtest!.byRegime,
    ...(r.policies
      ? {
          policies: r.policies.map((p) => ({
            policy: p.policy,
            backtest: p.metrics,
            ...(p.fit ? { fit: p.fit } : {}),
          })),
        }
      : {}),
    canary: canarySummary(r.canary!),
    acceptance: r.acceptance ? acceptanceSummary(r.acceptance) : null,
    post_processor_checks: (r.postProcessorChecks ?? []).map((c) => ({
      window: c.window,
      name: c.name,
      rows: c.rows,
      before: { log_loss: c.before.logLoss, ece: c.before.ece },
      after: { log_loss: c.after.logLoss, ece: c.after.ece },
      worse: c.worse,
      dropped: c.dropped,
    })),
    evaluation: r.evaluation!,
    bundle_checksum: r.bundleChecksum!,
    timings: r.timings,
  }
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

/** Gain importance of the final model's single models that expose it (their mean). */
function featureImportance(model: Model, names: readonly string[]): { feature: string; gain: number }[] | undefined {
  // Only the parts that see every column: a slice's importances are indexed by its own columns.
  const gains = leafModels(model)
    .filter((l) => !l.features)
    .map((l) => l.model.importance?.('gain'))
    .filter((g): g is Float64Array => g?.length === names.length)
  if (gains.length === 0) return undefined
  return names
    .map((feature, j) => ({ feature, gain: gains.reduce((s, g) => s + g[j], 0) / gains.length }))
    .sort((a, b) => b.gain - a.gain)
}

function classCounts(y: Float64Array): number[] {
  const c = new Array<number>(CLASS_NAMES.length).fill(0)
  for (const v of y) c[v]++
  return c
}

/** Policy j's seeds over the windows (seed k of every window summed), or undefined where it does not learn. */
function policyFitRecord(results: readonly WindowResult[], j: number): PolicyFitRecord | undefined {
  const fits = results.map((r) => r.policyFits[j])
  if (!fits.every((f) => f)) return undefined
  const seeds = fits[0]!.seeds.map((_, k) => ({
    select_pnl: fits.reduce((s, f) => s + f!.seeds[k].selectPnl, 0),
    test_pnl: fits.reduce((s, f) => s + f!.seeds[k].testPnl, 0),
  }))
  return { seeds, test_pnl: meanInterval(seeds.map((s) => s.test_pnl)) }
}

export interface RecordInput {
  readonly runId: string
  readonly dataFile: string
  readonly environment: RunEnvironment
  readonly codeVersion: string
  readonly data: RunData
  readonly results: readonly WindowResult[]
  readonly method: 'chronological' | 'walk_forward'
  readonly windows: WindowRecord[]
  readonly skipped: number
  readonly models: ModelResult[]
  readonly calibration: CalibrationReport | null
  readonly stream: TestStream
  /** One per configured policy, the primary first. */
  readonly backtest: readonly BacktestOutcome[]
  readonly comparison: ComparisonRecord[] | null
  readonly canary: NonNullable<RunRecord['canary']>
  readonly acceptance: AcceptanceRecord
  readonly bundleChecksum: string
  readonly workDir: string
}

/** The record's parts the report shows beside the metrics (src/pipeline/stages/report-records.ts). */
function reportParts(ctx: RunContext, input: RecordInput): Partial<RunRecord> {
  const { data, results } = input
  const period = testPeriodRecord(input.stream.rows, data.bars)
  const weights = ensembleWeightsRecord(results, data, ctx.config.seed)
  const importance = importanceRecords(data, results[results.length - 1], ctx.config.seed)
  return {
    ...(period ? { testPeriod: period } : {}),
    trades: tradesRecord(input.backtest[0].result.trades, data.bars),
    ...(weights ? { ensembleWeightsByWindow: weights } : {}),
    ...(importance.length ? { importance } : {}),
  }
}

export async function buildRunRecord(ctx: RunContext, input: RecordInput): Promise<RunRecord> {
  const { config } = ctx
  const { data, results } = input
  const last = results[results.length - 1]
  const sum = (f: (r: WindowResult) => number) => results.reduce((s, r) => s + f(r), 0)
  const counts = (split: 'train' | 'val' | 'test') =>
    results.map((r) => classCounts(r.yTrue[split])).reduce((a, b) => a.map((v, i) => v + b[i]))
  const primary = input.backtest[0]
  const bt = primary.result
  const gate = gateRecord(results, input.stream, data.bars.ts)
  return {
    runId: input.runId,
    createdAt: new Date().toISOString(),
    configHash: config.hash,
    dataFingerprint: data.report.fingerprint,
    codeVersion: input.codeVersion,
    environment: input.environment,
    seed: config.seed,
    config: { ...config, source: undefined },
    ...(config.source ? { preset: basename(config.source).replace(/\.ya?ml$/i, '') } : {}),
    dataFile: input.dataFile,
    timings: ctx.timings,
    labels: {
      classes: [...CLASS_NAMES],
      counts: [
        { split: 'train', counts: counts('train') },
        { split: 'val', counts: counts('val') },
        { split: 'test', counts: counts('test') },
      ],
    },
    models: input.models,
    calibration: input.calibration ?? undefined,
    predictionSets: predictionSetsReport(results, input.stream) ?? undefined,
    heads: [...headRecords(results), ...targetRecords(results)],
    ...(input.comparison ? { comparison: input.comparison } : {}),
    // The last window's columns: the bar features, then its regime models' columns.
    featureImportance: featureImportance(last.final, [
      ...data.lf.frame.names,
      ...last.regimes.flatMap((r) => regimeColumnNames(r.prefix, r.fitted.states)),
    ]),
    backtest: {
      equity: {
        ts: Array.from(bt.ts),
        equity: Array.from(bt.equity),
        drawdown: Array.from(drawdown(bt.equity)),
        gross: Array.from(primary.costFree),
      },
      metrics: metricsWithIntervals(primary.metrics, primary.intervals),
      byRegime: primary.regimes,
      benchmark: benchmarkRecord(primary),
    },
    ...reportParts(ctx, input),
    ...(Array.isArray(config.policy) || results.some((r) => r.policyFits.some((f) => f))
      ? {
          policies: input.backtest.map((o, j) => {
            const fit = policyFitRecord(results, j)
            return { policy: o.policy, metrics: metricsWithIntervals(o.metrics, o.intervals), ...(fit ? { fit } : {}) }
          }),
        }
      : {}),
    canary: input.canary,
    acceptance: input.acceptance,
    postProcessorChecks: results.flatMap((r) => r.postProcessorChecks.map((c) => ({ window: r.window.key, ...c }))),
    artifacts: Object.entries((await readBundleManifest(join(input.workDir, 'bundle'))).manifest.files).map(
      ([path, f]) => ({ path: `bundle/${path}`, ...f }),
    ),
    rows: data.bars.length,
    features: data.lf.frame.names.length,
    featureSchemaHash: data.lf.frame.schema.hash,
    samples: {
      train: sum((r) => r.window.train.length),
      val: sum((r) => r.window.val.length),
      test: sum((r) => r.window.test.length),
      purged: sum((r) => r.window.purged),
      embargoed: sum((r) => r.window.embargoed),
    },
    ensembleWeights: last.combination?.weights ?? null,
    ensembleGuard: (last.combination?.guard as Record<string, unknown> | null | undefined) ?? null,
    ...(gate ? { gate } : {}),
    bundleChecksum: input.bundleChecksum,
    evaluation: { method: input.method, windows: input.windows, skipped: input.skipped },
  }
}

/** Writes the run folder from the record, renames it into place and stores the record. */
export async function recordStage(
  ctx: RunContext,
  record: RunRecord,
  input: Pick<RecordInput, 'data' | 'stream' | 'workDir' | 'backtest'>,
  runDir: string,
  storePath: string,
): Promise<RunSummary> {
  const { workDir } = input
  const summary = runSummary(record)
  await mkdir(join(workDir, 'predictions'), { recursive: true })
  await writeFile(
    join(workDir, 'predictions', 'test.csv'),
    predictionsCsv(
      input.data.bars,
      input.stream.rows,
      input.stream.p,
      input.stream.positions[0],
      input.stream.sets,
      input.stream.heads,
      policyList(ctx.config.policy)
        .slice(1)
        .map((policy, j) => ({ kind: policy.kind, positions: input.stream.positions[j + 1] })),
      input.stream.weights,
    ),
  )
  await writeFile(join(workDir, 'trades.csv'), tradesCsv(input.backtest[0].result.trades, input.data.bars))
  await writeFile(join(workDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`)
  await writeFile(join(workDir, 'config.resolved.yaml'), resolvedConfigYaml(ctx.config, record.ensembleWeights ?? null))
  await writeFile(join(workDir, 'report.html'), renderReport(record))
  await rename(workDir, runDir)
  const store = openRunStore(storePath)
  try {
    store.record(record)
  } finally {
    store.close()
  }
  ctx.lap('report+tracking')
  return summary
}
