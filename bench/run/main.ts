import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { benchLine, repoRoot, sharedDir, tempDir } from '../lib.js'

interface Timing {
  stage: string
  seconds: number
  peakRssMiB: number
}

/** One `mlf run --json` in a fresh process (so peak memory is this run's own), on `data` with the preset. */
function runOnce(
  data: string,
  overrides: Record<string, unknown>,
  presetName = 'fast_baseline',
): { seconds: number; timings: Timing[]; summary: Record<string, unknown> } {
  const preset = parse(readFileSync(join(repoRoot, `configs/presets/${presetName}.yaml`), 'utf8')) as Record<
    string,
    unknown
  >
  const dir = tempDir()
  const config = join(dir, 'config.yaml')
  writeFileSync(
    config,
    stringify({ ...preset, ...overrides, data: { ...(preset.data as object), ...(overrides.data as object) } }),
  )
  const t0 = performance.now()
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist/src/cli/main.js'), 'run', config, '--data', data, '--out', join(dir, 'runs'), '--json'],
    {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    },
  )
  const seconds = (performance.now() - t0) / 1000
  if (r.status !== 0) throw new Error(`mlf run failed on ${data}: ${r.stderr}`)
  const summary = JSON.parse(r.stdout) as Record<string, unknown>
  return { seconds, timings: summary.timings as Timing[], summary }
}

function printStages(name: string, timings: Timing[]) {
  process.stdout.write(`${name}: stage, seconds, peak RSS MiB\n`)
  for (const t of timings)
    process.stdout.write(
      `  ${t.stage.padEnd(20)} ${t.seconds.toFixed(2).padStart(8)} ${t.peakRssMiB.toFixed(0).padStart(7)}\n`,
    )
}

/**
 * Presets run on the sample beside fast_baseline, and those also run on SPX. BENCH_RUN_PRESETS=none skips them, a
 * comma-separated list runs only those.
 */
const OTHER_PRESETS = ['tabular_ensemble', 'tabular_stacking', 'walk_forward', 'research_comparison']
const SPX_PRESETS = ['tabular_stacking', 'walk_forward']

function presetsToRun(): string[] {
  const chosen = process.env.BENCH_RUN_PRESETS
  if (chosen === undefined) return OTHER_PRESETS
  if (chosen === 'none') return []
  const names = chosen.split(',').map((n) => n.trim())
  const unknown = names.filter((n) => !OTHER_PRESETS.includes(n))
  if (unknown.length)
    throw new Error(`BENCH_RUN_PRESETS: unknown ${unknown.join(', ')}; presets: ${OTHER_PRESETS.join(', ')}`)
  return names
}

const peakOf = (timings: Timing[]) => Math.max(...timings.map((t) => t.peakRssMiB))

/** research_comparison's goal on the sample: every run-ready model trained alone, in minutes. */
const COMPARISON_GOAL_S = 600

interface ComparisonRow {
  model: string
  head: string
  kind: 'alone' | 'chain'
  fit_seconds: number | null
  infer_us_per_row: number | null
  backtest: Record<string, number> | null
}

/**
 * The comparison table's models alone: fit time and inference time per row (and the p models' Sharpe and trades),
 * then the run's total time end to end.
 */
function printComparison(name: string, summary: Record<string, unknown>, seconds: number): ComparisonRow[] {
  const rows = (summary.comparison as ComparisonRow[] | null)?.filter((r) => r.kind === 'alone')
  if (!rows) throw new Error(`${name}: the summary has no comparison table (evaluation.compare)`)
  const cell = (x: number | null | undefined, digits: number) => (x == null ? '-' : x.toFixed(digits))
  process.stdout.write(`${name}: model, head, fit s, inference us/row, Sharpe, trades\n`)
  for (const r of rows)
    process.stdout.write(
      `  ${r.model.padEnd(18)} ${r.head.padEnd(12)} ${cell(r.fit_seconds, 2).padStart(9)} ` +
        `${cell(r.infer_us_per_row, 1).padStart(10)} ${cell(r.backtest?.sharpe, 2).padStart(8)} ` +
        `${cell(r.backtest?.trades, 0).padStart(7)}\n`,
    )
  process.stdout.write(`  ${'total (mlf run)'.padEnd(31)} ${seconds.toFixed(2).padStart(9)}\n`)
  return rows
}

/**
 * fast_baseline end to end: the built-in sample (goal: under 60 s) and the 618,735-bar SPX file (goal: under 300 s);
 * then the other presets on the sample (walk_forward goal: under 300 s; research_comparison goal: under 600 s, with
 * its table of each model's fit time and inference time per row), and tabular_stacking (goal: under 300 s) and
 * walk_forward on SPX, each with per-stage time and
 * peak memory. There is no peer program doing the same end-to-end job, so the peer figure is the goal budget and the
 * ratio is the share of the budget used (below 1 meets the goal).
 */
export default async function run(): Promise<void> {
  const sample = join(repoRoot, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')
  const s = runOnce(sample, {})
  printStages('sample', s.timings)
  const spxPath = join(sharedDir, 'data/spxusd_m1_2018_2019_histdata.csv.gz')
  const spxOverrides = { symbol: 'SPXUSD', data: { validation: { backward_step: 'repair' } } }
  const extra: Record<string, number | string> = {
    sample_s: s.seconds,
    sample_peak_mib: peakOf(s.timings),
    sample_test_auc_dir: Number((s.summary.canary as { test_auc: number }).test_auc.toFixed(4)),
  }
  const spx = existsSync(spxPath)
  if (spx) {
    const x = runOnce(spxPath, spxOverrides)
    printStages('spx', x.timings)
    extra.spx_s = x.seconds
    extra.spx_peak_mib = peakOf(x.timings)
    extra.spx_ratio = x.seconds / 300
  } else process.stdout.write(`spx: skipped, ${spxPath} is absent\n`)
  const others = presetsToRun()
  // BENCH_RUN_CANARY=1: each preset again on the sample with shuffled labels; the test AUC must be within 0.02 of 0.5.
  const canary = process.env.BENCH_RUN_CANARY === '1'
  const canaryAuc = (preset: string) => {
    const c = runOnce(sample, { control: { shuffle_labels: true } }, preset)
    const auc = (c.summary.canary as { test_auc: number }).test_auc
    process.stdout.write(`${preset} canary: shuffled-label test AUC ${auc.toFixed(4)}\n`)
    return Number(auc.toFixed(4))
  }
  if (canary) extra.fast_baseline_canary_auc_dir = canaryAuc('fast_baseline')
  for (const preset of others) {
    const r = runOnce(sample, {}, preset)
    printStages(`${preset} sample`, r.timings)
    extra[`${preset}_sample_s`] = r.seconds
    extra[`${preset}_sample_peak_mib`] = peakOf(r.timings)
    if (preset === 'research_comparison') {
      const rows = printComparison(`${preset} sample`, r.summary, r.seconds)
      extra.research_comparison_models = rows.length
      extra.research_comparison_fit_s = rows.reduce((sum, row) => sum + (row.fit_seconds ?? 0), 0)
      extra.research_comparison_goal_s = COMPARISON_GOAL_S
      extra.research_comparison_sample_ratio = r.seconds / COMPARISON_GOAL_S
    }
    if (canary) extra[`${preset}_canary_auc_dir`] = canaryAuc(preset)
    if (spx && SPX_PRESETS.includes(preset)) {
      const x = runOnce(spxPath, spxOverrides, preset)
      printStages(`${preset} spx`, x.timings)
      extra[`${preset}_spx_s`] = x.seconds
      extra[`${preset}_spx_peak_mib`] = peakOf(x.timings)
      extra[`${preset}_spx_ratio`] = x.seconds / 300
      if (preset === 'tabular_stacking') {
        // The same members fitted once each on the whole training window (a uniform vote): what stacking's K folds
        // and refit cost beyond that is the ratio the goal bounds by K + 1.2.
        const alone = runOnce(spxPath, { ...spxOverrides, ensemble: { kind: 'voting', weights: 'uniform' } }, preset)
        printStages(`${preset} members alone spx`, alone.timings)
        const stageSeconds = (r: typeof x, test: (stage: string) => boolean) =>
          r.timings.filter((t) => test(t.stage)).reduce((sum, t) => sum + t.seconds, 0)
        const stacking = stageSeconds(x, (stage) => stage === 'fit stacking')
        const members = stageSeconds(alone, (stage) => stage.startsWith('fit ') && stage !== 'fit stacking')
        const presetFile = join(repoRoot, `configs/presets/${preset}.yaml`)
        const folds = (parse(readFileSync(presetFile, 'utf8')) as { ensemble: { oof: { n_folds: number } } }).ensemble
          .oof.n_folds
        extra.tabular_stacking_members_alone_spx_fit_s = members
        extra.tabular_stacking_spx_fit_s = stacking
        extra.tabular_stacking_oof_cost_ratio = stacking / members
        extra.tabular_stacking_oof_cost_goal = folds + 1.2
      }
    }
  }
  process.stdout.write(`${benchLine('run', s.seconds, 60, { peer: 'goal_budget', ...extra })}\n`)
}
