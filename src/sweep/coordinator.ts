/**
 * `mlf sweep`'s coordinator. Each evaluation window of the base config has a search of its own: its sampler (seeded
 * by the sweep's seed and the window) proposes batches of trials, an executor runs them on the window's training and
 * validation rows, and the sampler is told the outcomes in trial order. The window's best trial is its chosen
 * configuration, refitted and tested once on the window's test slice: the test slices never inform a search, and a
 * window's search sees nothing of later bars (a search across windows would let a later window's validation slice,
 * which lies in an earlier window's test slice, choose what is tested there). The coordinator alone writes the run
 * store; a sweep given its id resumes from the trials recorded there.
 */
import { backtestMetrics } from '../backtest/metrics.js'
import { overfittingGates, type Gate } from '../backtest/acceptance.js'
import { bootstrapBacktest, metricsWithIntervals } from '../backtest/bootstrap.js'
import type { BacktestResult } from '../backtest/engine.js'
import { canonicalJson } from '../config/hash.js'
import { deriveSeed } from '../core/seeds.js'
import { ingestFile } from '../data/ingest.js'
import { createRunContext } from '../pipeline/stages/context.js'
import { datasetStage } from '../pipeline/stages/dataset.js'
import { concat, splitMetrics } from '../pipeline/stages/evaluate.js'
import type { RunStore } from '../tracking/store.js'
import { beginSweep, finishSweep, getSweep, recordTrial, trialsOf } from '../tracking/sweeps.js'
import { applyParams, type Params } from './space.js'
import { trialConfig, type ResolvedSweep } from './config.js'
import type { Executor } from './executor.js'
import { createSampler } from './samplers/registry.js'
import { pruningThresholds } from './pruners/registry.js'
import type { TrialHistory } from './pruners/pruner.js'
import { lossOf } from './objective.js'
import { evaluateSlice, trialData, trialLoss, windowsOf, type TrialJob, type TrialOutcome } from './trial.js'
import { deflatedSharpeOfSweep, pboOfWindow, type DeflatedSharpeRecord, type PboRecord } from './overfitting.js'

export interface TrialRecord {
  readonly window: string
  readonly number: number
  readonly params: Params
  readonly outcome: TrialOutcome
}

export interface WindowOutcome {
  readonly key: string
  /** When the window's validation and test slices start (ISO 8601), and their rows under the base config. */
  readonly valStart: string
  readonly testStart: string
  readonly rows: { readonly train: number; readonly val: number; readonly test: number }
  readonly trials: number
  readonly complete: number
  readonly pruned: number
  readonly failed: number
  /** The chosen trial (best objective on the validation slice; the lowest number among equals). */
  readonly chosen: { readonly number: number; readonly params: Params; readonly value: number } | null
  /** The chosen configuration's metrics on the window's test slice (the one test), or why there are none. */
  readonly test: Readonly<Record<string, number>> | null
  readonly note?: string
  readonly pbo: PboRecord
}

export interface SweepResult {
  readonly sweepId: string
  readonly createdAt: string
  readonly sweepHash: string
  readonly dataFile: string
  readonly dataFingerprint: string
  readonly seed: number
  readonly objective: ResolvedSweep['objective']
  readonly sampler: string
  readonly pruner: string | null
  readonly batch: number
  readonly budget: ResolvedSweep['budget']
  readonly method: 'chronological' | 'walk_forward'
  readonly windows: readonly WindowOutcome[]
  /** The chosen configurations' test slices as one out-of-sample stream (null when no window chose one). */
  readonly test: {
    readonly rows: number
    readonly metrics: Readonly<Record<string, number>>
    readonly backtest: Readonly<Record<string, number>>
    readonly equity: { readonly ts: readonly number[]; readonly equity: readonly number[] }
  } | null
  readonly deflatedSharpe: DeflatedSharpeRecord
  /**
   * The choice judged where the trials are known (the base config's acceptance thresholds): the test stream's
   * deflated Sharpe ratio and the worst window's PBO (absent in sweeps recorded before gates).
   */
  readonly gates?: readonly Gate[]
  /** The last window's choice (the one a deployment would use), as the config to give mlf run. */
  readonly chosen: { readonly window: string; readonly params: Params; readonly config: Record<string, unknown> } | null
}

export interface SweepOptions {
  readonly sweep: ResolvedSweep
  readonly dataFile: string
  readonly executor: Executor
  readonly store: RunStore
  /** Resume this sweep (its trials are read from the store, the rest run). */
  readonly resume?: string
  readonly log?: (line: string) => void
  /** Called after each batch is recorded (for tests that stop a coordinator midway). */
  readonly afterBatch?: (window: string, trialsDone: number) => void | Promise<void>
}

const sameParams = (a: Params, b: Params) => canonicalJson(a) === canonicalJson(b)

/**
 * The windows' test backtests as one stream: equity compounds from one window into the next. The maker share is the
 * windows' shares weighted by their traded notional (position changes times equity), and order counts add up.
 */
export function chainBacktests(parts: readonly BacktestResult[]): BacktestResult {
  let capital = 1
  let notional = 0
  let maker = 0
  const equity: Float64Array[] = []
  for (const p of parts) {
    const scaled = p.equity.map((e) => e * capital)
    equity.push(scaled)
    let traded = 0
    for (let i = 0; i < p.position.length; i++)
      traded += Math.abs(p.position[i] - (i ? p.position[i - 1] : 0)) * scaled[i]
    notional += traded
    maker += traded * p.makerShare
    if (p.equity.length) capital *= p.equity[p.equity.length - 1]
  }
  const counted = parts.filter((p) => p.orders)
  const orders = counted.length
    ? counted.reduce(
        (sum, p) => {
          for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += p.orders![k]
          return sum
        },
        { limit: 0, filled: 0, crossed: 0, cancelled: 0, replaced: 0 },
      )
    : undefined
  return {
    trades: parts.flatMap((p) => p.trades),
    equity: concat(equity),
    ts: concat(parts.map((p) => p.ts)),
    position: concat(parts.map((p) => p.position)),
    returns: concat(parts.map((p) => p.returns)),
    makerShare: notional > 0 ? maker / notional : 0,
    ...(orders ? { orders } : {}),
  }
}

export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const { sweep, store, executor } = opts
  const log = opts.log ?? (() => {})
  const ingested = await ingestFile(opts.dataFile, sweep.base.data)
  const fingerprint = ingested.report.fingerprint
  const baseData = datasetStage(createRunContext(sweep.base, {}), ingested)
  const baseWindows = windowsOf(sweep.base, baseData)
  const keys = baseWindows.map((w) => w.key)
  if (keys.length === 0) throw new Error(`${opts.dataFile}: no evaluation window of the base config fits the data`)

  let sweepId: string
  let createdAt: string
  if (opts.resume) {
    const row = getSweep(store, opts.resume)
    if (!row) throw new Error(`no sweep ${opts.resume} in ${store.path}`)
    if (row.sweepHash !== sweep.hash)
      throw new Error(
        `sweep ${opts.resume} was started from another sweep file (its hash differs); it cannot resume with this one`,
      )
    if (row.dataFingerprint !== fingerprint)
      throw new Error(`sweep ${opts.resume} ran on other bars (data fingerprint differs from ${opts.dataFile})`)
    sweepId = row.sweepId
    createdAt = row.createdAt
  } else {
    createdAt = new Date().toISOString()
    sweepId = `sweep-${createdAt.replace(/[-:.]/g, '').replace('Z', '')}-${sweep.hash.slice(0, 8)}`
    beginSweep(store, {
      sweepId,
      createdAt,
      sweepHash: sweep.hash,
      dataFingerprint: fingerprint,
      dataFile: opts.dataFile,
      seed: sweep.seed,
      spec: {
        source: sweep.source,
        base: sweep.baseRaw,
        space: sweep.space,
        sampler: sweep.sampler,
        pruner: sweep.pruner,
        batch: sweep.batch,
        budget: sweep.budget,
        objective: sweep.objective,
      },
    })
  }
  log(`sweep ${sweepId}: ${keys.length} window(s), ${sweep.budget.trials} trial(s) each on ${executor.description}`)
  const recorded = new Map<string, TrialRecord>()
  for (const t of trialsOf<TrialOutcome>(store, sweepId))
    recorded.set(`${t.window}#${t.number}`, {
      window: t.window,
      number: t.number,
      params: t.params,
      outcome: t.outcome,
    })

  const windows: WindowOutcome[] = []
  const tests: { key: string; eval: Awaited<ReturnType<typeof evaluateSlice>> }[] = []
  const trialsByWindow: TrialRecord[][] = []
  for (const [k, key] of keys.entries()) {
    const frame = baseWindows[k]
    const sampler = createSampler(sweep.space, sweep.sampler, deriveSeed(sweep.seed, 'sweep', key))
    const limit = Math.min(sweep.budget.trials, sampler.size)
    const history: TrialHistory[] = []
    const trials: TrialRecord[] = []
    const started = performance.now()
    while (trials.length < limit) {
      if (sweep.budget.timeMs !== undefined && performance.now() - started > sweep.budget.timeMs) {
        log(`  window ${key}: time budget spent after ${trials.length} trial(s)`)
        break
      }
      const n = Math.min(sweep.batch, limit - trials.length)
      const thresholds = sweep.pruner ? pruningThresholds(sweep.pruner, history) : undefined
      const jobs: TrialJob[] = Array.from({ length: n }, (_, i) => ({
        sweepId,
        window: key,
        number: trials.length + i,
        params: sampler.ask(),
        baseRaw: sweep.baseRaw,
        dataFile: opts.dataFile,
        fingerprint,
        objective: sweep.objective,
        ...(thresholds ? { thresholds } : {}),
      }))
      const known = jobs.map((j) => recorded.get(`${key}#${j.number}`))
      known.forEach((k, i) => {
        if (k && !sameParams(k.params, jobs[i].params))
          throw new Error(
            `sweep ${sweepId}: trial ${key} #${jobs[i].number} was recorded with other values; the sweep cannot resume`,
          )
      })
      const toRun = jobs.filter((_, i) => !known[i])
      const ran = toRun.length ? await executor.run(toRun) : []
      let r = 0
      for (const [i, job] of jobs.entries()) {
        const outcome = known[i]?.outcome ?? ran[r++]
        if (!known[i]) recordTrial(store, sweepId, { window: key, number: job.number, params: job.params, outcome })
        sampler.tell(job.params, trialLoss(sweep.objective, outcome))
        history.push({ status: outcome.status, curves: outcome.curves })
        trials.push({ window: key, number: job.number, params: job.params, outcome })
      }
      const best = bestTrial(trials, sweep.objective)
      log(
        `  window ${key}: ${trials.length}/${limit} trials${best ? `, best #${best.number} ${sweep.objective.metric} ${best.outcome.value}` : ''}`,
      )
      await opts.afterBatch?.(key, trials.length)
    }
    trialsByWindow.push(trials)
    const best = bestTrial(trials, sweep.objective)
    const count = (s: TrialOutcome['status']) => trials.filter((t) => t.outcome.status === s).length
    let test: Record<string, number> | null = null
    let note: string | undefined
    if (best) {
      const config = trialConfig(sweep, best.params)
      const data = await trialData(config, opts.dataFile, fingerprint)
      const window = windowsOf(config, data).find((w) => w.key === key)!
      const e = await evaluateSlice(config, data, window, 'test')
      tests.push({ key, eval: e })
      test = e.metrics
    } else note = 'no trial completed: nothing to test'
    windows.push({
      key,
      valStart: new Date(baseData.bars.ts[frame.val[0]]).toISOString(),
      testStart: new Date(frame.testStart ?? baseData.bars.ts[frame.test[0]]).toISOString(),
      rows: { train: frame.train.length, val: frame.val.length, test: frame.test.length },
      trials: trials.length,
      complete: count('complete'),
      pruned: count('pruned'),
      failed: count('failed'),
      chosen: best ? { number: best.number, params: best.params, value: best.outcome.value! } : null,
      test,
      ...(note ? { note } : {}),
      pbo: pboOfWindow(trials.map((t) => t.outcome)),
    })
  }

  const chained = tests.length ? chainBacktests(tests.map((t) => t.eval.backtest)) : null
  const last = [...windows].reverse().find((w) => w.chosen)
  const deflated: DeflatedSharpeRecord = chained
    ? deflatedSharpeOfSweep(
        trialsByWindow.map((ts) => ts.map((t) => t.outcome)),
        Array.from(chained.returns),
      )
    : { reason: 'no window chose a configuration' }
  const pbos = windows.map((w) => w.pbo).filter((p): p is Extract<PboRecord, { pbo: number }> => 'pbo' in p)
  const worst = pbos.length ? Math.max(...pbos.map((p) => p.pbo)) : null
  const bootstrap = sweep.base.acceptance.bootstrap
  const intervals = chained
    ? bootstrapBacktest(chained, baseData.bars.ts, {
        resamples: bootstrap.resamples,
        ...(bootstrap.block_days !== undefined ? { blockDays: bootstrap.block_days } : {}),
        confidence: bootstrap.confidence,
        seed: deriveSeed(sweep.seed, 'bootstrap'),
      })
    : null
  const result: SweepResult = {
    sweepId,
    createdAt,
    sweepHash: sweep.hash,
    dataFile: opts.dataFile,
    dataFingerprint: fingerprint,
    seed: sweep.seed,
    objective: sweep.objective,
    sampler: sweep.sampler.kind,
    pruner: sweep.pruner?.kind ?? null,
    batch: sweep.batch,
    budget: sweep.budget,
    method: sweep.base.splits.method === 'walk_forward' ? 'walk_forward' : 'chronological',
    windows,
    test: chained
      ? {
          rows: tests.reduce((s, t) => s + t.eval.rows.length, 0),
          metrics: splitMetrics(concat(tests.map((t) => t.eval.p)), concat(tests.map((t) => t.eval.y))),
          backtest: metricsWithIntervals(backtestMetrics(chained), intervals!),
          equity: { ts: Array.from(chained.ts), equity: Array.from(chained.equity) },
        }
      : null,
    deflatedSharpe: deflated,
    gates: overfittingGates(
      {
        deflatedSharpe: 'dsr' in deflated ? { value: deflated.dsr, note: `${deflated.trials} trials` } : deflated,
        pbo:
          worst === null
            ? { reason: 'no window has a PBO' }
            : { value: worst, note: `the worst of ${pbos.length} window${pbos.length === 1 ? '' : 's'}` },
      },
      sweep.base.acceptance,
    ),
    chosen: last?.chosen
      ? { window: last.key, params: last.chosen.params, config: applyParams(sweep.baseRaw, last.chosen.params) }
      : null,
  }
  finishSweep(store, sweepId, result)
  return result
}

function bestTrial(trials: readonly TrialRecord[], objective: ResolvedSweep['objective']): TrialRecord | null {
  let best: TrialRecord | null = null
  for (const t of trials) {
    if (t.outcome.status !== 'complete' || t.outcome.value === null) continue
    if (!best || lossOf(objective, t.outcome.value) < lossOf(objective, best.outcome.value!)) best = t
  }
  return best
}
