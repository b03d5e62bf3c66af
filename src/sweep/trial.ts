/**
 * One trial, wherever it runs (a local worker process, a BullMQ worker, the coordinator for the final test): the
 * trial's config is the base with its values written in; its window is found by key among the config's own windows;
 * the chain is fitted on the window's training rows exactly as mlf run fits it, and scored on the validation slice
 * only. The search never builds a view of, predicts on or reads a label of a test row: the window handed to the
 * chain has the validation slice in place of the test slice. The final test of a window's chosen configuration is the
 * same evaluation with the real test slice.
 */
import type { ResolvedConfig } from '../config/load.js'
import { canonicalJson } from '../config/hash.js'
import type { BacktestResult } from '../backtest/engine.js'
import { primaryBacktest } from '../pipeline/stages/backtest.js'
import { backtestMetrics } from '../backtest/metrics.js'
import { ingestFile } from '../data/ingest.js'
import { viewNeeds } from '../pipeline/predict.js'
import { policyLearns, policyList } from '../policy/registry.js'
import { runConfigProblems } from '../pipeline/problems.js'
import { runWindowChain } from '../pipeline/stages/chain.js'
import { createRunContext, type ProgressFactory } from '../pipeline/stages/context.js'
import { datasetStage, type Ingested, type RunData } from '../pipeline/stages/dataset.js'
import { splitMetrics } from '../pipeline/stages/evaluate.js'
import { leaveOneOutProblems } from '../pipeline/stages/head-resamples.js'
import { chronologicalWindow, walkForwardWindows, type EvalWindow } from '../pipeline/stages/windows.js'
import { MAXIMIZE } from '../engines/xgboost/train.js'
import { trialConfig } from './config.js'
import { lossOf, type Objective } from './objective.js'
import { prunedAt, type Curves, type Thresholds } from './pruners/pruner.js'
import type { Params } from './space.js'

/** What a worker needs to run a trial: plain data, so it travels over IPC and through Redis alike. */
export interface TrialJob {
  readonly sweepId: string
  /** The window's key ('all' for a chronological split, else its test start). */
  readonly window: string
  readonly number: number
  readonly params: Params
  readonly baseRaw: Readonly<Record<string, unknown>>
  readonly dataFile: string
  /** The data fingerprint the coordinator saw: a worker reading other bars refuses the trial. */
  readonly fingerprint: string
  readonly objective: Objective
  readonly thresholds?: Thresholds
}

export interface TrialOutcome {
  readonly status: 'complete' | 'pruned' | 'failed'
  /** The objective's value (null unless complete). */
  readonly value: number | null
  readonly metrics: Readonly<Record<string, number>>
  readonly curves: Curves
  /** Per-bar returns of the policy's backtest of the validation slice (for PBO and the deflated Sharpe ratio). */
  readonly returns: { readonly ts: readonly number[]; readonly r: readonly number[] }
  readonly error?: string
  readonly seconds: number
}

/** Thrown from a fit's progress report when the trial's curve is above the pruner's bar. */
export class TrialPruned extends Error {
  constructor(
    readonly curve: string,
    readonly step: number,
  ) {
    super(`pruned at ${curve} step ${step}`)
  }
}

/** A few datasets per process: trials of the same features and labels share one (features dominate a small trial). */
const DATASETS_KEPT = 2
const ingested = new Map<string, Promise<Ingested>>()
const datasets = new Map<string, RunData>()

/** What the dataset depends on, as a key: ingest, features, labels, views and the views the models take. */
function datasetKey(config: ResolvedConfig, file: string): string {
  const needs = viewNeeds(config)
  const heads = [...new Set(config.base_models.flatMap((m) => m.outputs))].sort()
  const { data, timeframes, resample, features, labels, views } = config
  return canonicalJson({ file, data, timeframes, resample, features, labels, views, needs, heads })
}

/** The dataset of a config over a file, cached per process; refused when the bars are not the sweep's. */
export async function trialData(config: ResolvedConfig, file: string, fingerprint: string): Promise<RunData> {
  const key = datasetKey(config, file)
  const hit = datasets.get(key)
  if (hit) return hit
  const ingestKey = canonicalJson({ file, data: config.data })
  let bars = ingested.get(ingestKey)
  if (!bars) {
    bars = ingestFile(file, config.data)
    ingested.set(ingestKey, bars)
    bars.catch(() => ingested.delete(ingestKey))
  }
  const ing = await bars
  if (ing.report.fingerprint !== fingerprint)
    throw new Error(
      `${file} here has data fingerprint ${ing.report.fingerprint.slice(0, 12)}, not the sweep's ${fingerprint.slice(0, 12)}: a worker must read the same bars`,
    )
  const data = datasetStage(createRunContext(config, {}), ing)
  datasets.set(key, data)
  while (datasets.size > DATASETS_KEPT) datasets.delete(datasets.keys().next().value!)
  return data
}

/** The config's evaluation windows (one for a chronological split). */
export function windowsOf(config: ResolvedConfig, data: RunData): EvalWindow[] {
  if (config.splits.method !== 'walk_forward') return [chronologicalWindow(config, data)]
  return walkForwardWindows(config, data).windows
}

export interface SliceEvaluation {
  readonly rows: Int32Array
  /** Final probabilities and true classes of the slice's rows. */
  readonly p: Float64Array
  readonly y: Float64Array
  readonly backtest: BacktestResult
  readonly metrics: Record<string, number>
}

/**
 * Fit the chain on the window's training rows and evaluate it on one slice: 'val' (a trial: the validation slice
 * stands in for the test slice, so no test row is touched) or 'test' (the chosen configuration's one test).
 */
export async function evaluateSlice(
  config: ResolvedConfig,
  data: RunData,
  window: EvalWindow,
  slice: 'val' | 'test',
  progress?: ProgressFactory,
): Promise<SliceEvaluation> {
  // A learning policy trains on the validation rows, so they cannot also score it.
  if (slice === 'val' && policyList(config.policy).some(policyLearns))
    throw new Error(
      'a sweep scores trials on validation rows, where a learning policy (rl) trains; sweep the chain with a policy that does not learn',
    )
  const problems = [...runConfigProblems(config), leaveOneOutProblems(config, [window]) ?? []].flat()
  if (problems.length) throw new Error(`mlf run cannot do this configuration: ${problems.join('; ')}`)
  const scored: EvalWindow = slice === 'val' ? { ...window, test: window.val } : window
  const ctx = createRunContext(config, progress ? { progress } : {})
  // A trial is scored, not judged: it trains no shuffled-label control.
  const result = await runWindowChain(ctx, data, scored, { canary: false })
  const backtest = primaryBacktest(config, data.bars, result.positions[0], scored.test)
  const bt = backtestMetrics(backtest)
  const metrics = {
    ...splitMetrics(result.test, result.yTrue.test),
    ...Object.fromEntries(Object.entries(bt).map(([k, v]) => [`bt_${k}`, v])),
    rows: scored.test.length,
  }
  return { rows: scored.test, p: result.test, y: result.yTrue.test, backtest, metrics }
}

/** Per-bar returns of a backtest (of its marked-to-market equity), with the bars' times. */
export function barReturns(bt: BacktestResult): { ts: number[]; r: number[] } {
  return { ts: Array.from(bt.ts), r: Array.from(bt.returns) }
}

/**
 * The learning curves of a trial's fits, as a progress factory: every fit that reports a validation value per step
 * (XGBoost's evaluation metric per round, a network's validation loss per epoch) adds to its curve, turned into a
 * loss (a maximized metric such as AUC is negated), and is stopped when it is above the pruner's bar there.
 */
function curveRecorder(curves: Record<string, number[]>, thresholds?: Thresholds): ProgressFactory {
  return (label) => ({
    update(done, _total, info) {
      const raw = info?.valLoss ?? info?.val
      if (typeof raw !== 'number') return
      const metric = typeof info?.metric === 'string' ? info.metric : ''
      const value = MAXIMIZE.test(metric) ? -raw : raw
      const curve = (curves[label] ??= [])
      curve[done - 1] = value
      if (prunedAt(thresholds, label, done, value)) throw new TrialPruned(label, done)
    },
  })
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Run one trial; every failure of the trial itself is an outcome (only a crash of the process is not). */
export async function runTrial(job: TrialJob): Promise<TrialOutcome> {
  const started = performance.now()
  const curves: Record<string, number[]> = {}
  const seconds = () => (performance.now() - started) / 1000
  const failed = (error: string, status: 'failed' | 'pruned' = 'failed'): TrialOutcome => ({
    status,
    value: null,
    metrics: {},
    curves,
    returns: { ts: [], r: [] },
    error,
    seconds: seconds(),
  })
  let config: ResolvedConfig
  let data: RunData
  let window: EvalWindow | undefined
  try {
    config = trialConfig(job, job.params)
    data = await trialData(config, job.dataFile, job.fingerprint)
    window = windowsOf(config, data).find((w) => w.key === job.window)
  } catch (err) {
    return failed(messageOf(err))
  }
  if (!window) return failed(`window ${job.window} does not exist with this trial's features and labels`)
  try {
    const e = await evaluateSlice(config, data, window, 'val', curveRecorder(curves, job.thresholds))
    const value = e.metrics[job.objective.metric]
    if (!Number.isFinite(value))
      return failed(`the objective ${job.objective.metric} is ${value} on the validation slice (${e.rows.length} rows)`)
    return {
      status: 'complete',
      value,
      metrics: e.metrics,
      curves,
      returns: barReturns(e.backtest),
      seconds: seconds(),
    }
  } catch (err) {
    if (err instanceof TrialPruned) return failed(err.message, 'pruned')
    return failed(messageOf(err))
  }
}

/** A trial's outcome as a loss for the sampler: null unless it completed. */
export function trialLoss(objective: Objective, outcome: Pick<TrialOutcome, 'status' | 'value'>): number | null {
  return outcome.status === 'complete' && outcome.value !== null ? lossOf(objective, outcome.value) : null
}
