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

/** Presets run on the sample beside fast_baseline, and those also run on SPX (BENCH_RUN_PRESETS=none skips them). */
const OTHER_PRESETS = ['tabular_ensemble', 'tabular_stacking']
const SPX_PRESETS = ['tabular_stacking']

const peakOf = (timings: Timing[]) => Math.max(...timings.map((t) => t.peakRssMiB))

/**
 * fast_baseline end to end: the built-in sample (goal: under 60 s) and the 618,735-bar SPX file (goal: under 300 s);
 * then the other presets on the sample, and tabular_stacking on SPX (goal: under 300 s), each with per-stage time and
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
  const others = process.env.BENCH_RUN_PRESETS === 'none' ? [] : OTHER_PRESETS
  for (const preset of others) {
    const r = runOnce(sample, {}, preset)
    printStages(`${preset} sample`, r.timings)
    extra[`${preset}_sample_s`] = r.seconds
    extra[`${preset}_sample_peak_mib`] = peakOf(r.timings)
    if (spx && SPX_PRESETS.includes(preset)) {
      const x = runOnce(spxPath, spxOverrides, preset)
      printStages(`${preset} spx`, x.timings)
      extra[`${preset}_spx_s`] = x.seconds
      extra[`${preset}_spx_peak_mib`] = peakOf(x.timings)
      extra[`${preset}_spx_ratio`] = x.seconds / 300
    }
  }
  process.stdout.write(`${benchLine('run', s.seconds, 60, { peer: 'goal_budget', ...extra })}\n`)
}
