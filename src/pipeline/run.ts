/**
 * `mlf run`: a list of stages over one run context. Ingest and validate the bars; features, labels and the samples;
 * the evaluation windows (one purged chronological split, or walk-forward windows); per window the chain (base
 * models, combiner, post-processors, policy), fitted on its training rows and scored on its test rows; one backtest
 * of the concatenated test stream; with evaluation.compare, every base model alone in one table; the last window's
 * chain as a checksummed bundle; one run record from which summary.json, the report and the SQLite row are derived.
 * Deterministic for a given data file, config and seed (the comparison's timings aside).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ResolvedConfig } from '../config/load.js'
import { removeStaleTemps, tempPathFor } from '../core/files.js'
import type { ValidationReport } from '../data/validate.js'
import { runEnvironment } from './environment.js'
import { codeVersion } from './version.js'
import { backtestStage, windowRecords } from './stages/backtest.js'
import { runWindowChain, type WindowResult } from './stages/chain.js'
import { createRunContext, type ProgressFactory } from './stages/context.js'
import { datasetStage, ingestStage } from './stages/dataset.js'
import { calibrationReport, modelResults, testStream } from './stages/evaluate.js'
import { acceptanceStage, canaryRecord } from './stages/acceptance.js'
import { comparisonRecords } from './stages/compare.js'
import { packStage } from './stages/pack.js'
import { buildRunRecord, recordStage, type RunSummary } from './stages/record.js'
import { chronologicalWindow, walkForwardWindows, type EvalWindow } from './stages/windows.js'
import { runConfigProblems } from './problems.js'
import { leaveOneOutProblems } from './stages/head-resamples.js'
import { checkZeroShotMembers } from './zero-shot.js'

export type { RunSummary } from './stages/record.js'
export { directionalAuc } from './stages/evaluate.js'
export { runConfigProblems } from './problems.js'

export interface RunOptions {
  config: ResolvedConfig
  dataFile: string
  outDir: string
  /** Progress bars for long stages (quiet when absent). */
  progress?: ProgressFactory
  log?: (line: string) => void
}

export interface RunResult {
  runId: string
  runDir: string
  bundleDir: string
  bundleChecksum: string
  summary: RunSummary
}

export async function runPipeline(opts: RunOptions): Promise<RunResult & { report: ValidationReport }> {
  const { config } = opts
  const problems = runConfigProblems(config)
  if (problems.length > 0)
    throw new Error(
      `config${config.source ? ` ${config.source}` : ''} asks for what mlf run cannot do:\n  ${problems.join('\n  ')}`,
    )
  const ctx = createRunContext(config, opts)
  for (const line of checkZeroShotMembers(config)) ctx.log(`  ${line}`)

  const data = datasetStage(ctx, await ingestStage(ctx, opts.dataFile))
  const walk = config.splits.method === 'walk_forward'
  let windows: EvalWindow[]
  let skipped = 0
  if (walk) {
    ;({ windows, skipped } = walkForwardWindows(config, data))
    if (windows.length === 0)
      throw new Error(
        `${opts.dataFile}: no walk-forward window fits the data (${skipped} windows lack a full training window or samples); ` +
          'use shorter evaluation.walk_forward.train or more data',
      )
    ctx.log(`  ${windows.length} walk-forward windows (${skipped} without a full training window skipped)`)
  } else windows = [chronologicalWindow(config, data)]
  // Checked before any model trains: what depends on the data's size rather than the config alone.
  const tooMany = leaveOneOutProblems(config, windows)
  if (tooMany) throw new Error(tooMany)
  ctx.lap('split')

  const results: WindowResult[] = []
  for (const [i, window] of windows.entries()) {
    results.push(await runWindowChain(ctx, data, window))
    if (walk) ctx.log(`  window ${i + 1}/${windows.length} ${window.key}`)
  }
  if (walk) ctx.lap('walk-forward fits')
  const models = modelResults(results)
  const stream = testStream(results)
  const calibration = calibrationReport(results, stream)
  const backtest = backtestStage(ctx, data, stream)
  const canary = canaryRecord(ctx, results, stream)
  const acceptance = acceptanceStage(ctx, data, stream, backtest[0], canary)
  const comparison = comparisonRecords(ctx, data, results, stream, backtest)
  if (comparison) ctx.lap('comparison')
  const perWindow = windowRecords(ctx, data, results)

  const runId = `${new Date().toISOString().replace(/[-:.]/g, '').replace('Z', '')}-${config.hash.slice(0, 8)}`
  const runDir = join(opts.outDir, runId)
  // Everything is written into a temp folder that becomes the run folder only once complete: a run killed midway
  // leaves no half-written report or predictions, only a temp folder the next run removes.
  await removeStaleTemps(opts.outDir)
  const workDir = tempPathFor(runDir)
  await mkdir(workDir, { recursive: true })
  const last = results[results.length - 1]
  const bundleChecksum = await packStage(ctx, data, last, models, workDir, acceptance)

  const record = await buildRunRecord(ctx, {
    runId,
    dataFile: opts.dataFile,
    environment: runEnvironment(),
    codeVersion: codeVersion(),
    data,
    results,
    method: walk ? 'walk_forward' : 'chronological',
    windows: perWindow,
    skipped,
    models,
    calibration,
    stream,
    backtest,
    comparison,
    canary,
    acceptance,
    bundleChecksum,
    workDir,
  })
  const summary = await recordStage(
    ctx,
    record,
    { data, stream, workDir, backtest },
    runDir,
    join(opts.outDir, 'mlf.sqlite'),
  )
  return { runId, runDir, bundleDir: join(runDir, 'bundle'), bundleChecksum, summary, report: data.report }
}
