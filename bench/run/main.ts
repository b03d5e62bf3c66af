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
): { seconds: number; timings: Timing[]; summary: Record<string, unknown> } {
  const preset = parse(readFileSync(join(repoRoot, 'configs/presets/fast_baseline.yaml'), 'utf8')) as Record<
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
 * fast_baseline end to end: the built-in sample (goal: under 60 s) and the 618,735-bar SPX file (goal: under 300 s).
 * There is no peer program doing the same end-to-end job, so the peer figure is the goal budget and the ratio is the
 * share of the budget used (below 1 meets the goal).
 */
export default async function run(): Promise<void> {
  const sample = join(repoRoot, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')
  const s = runOnce(sample, {})
  printStages('sample', s.timings)
  const spxPath = join(sharedDir, 'data/spxusd_m1_2018_2019_histdata.csv.gz')
  const extra: Record<string, number | string> = {
    sample_s: s.seconds,
    sample_peak_mib: Math.max(...s.timings.map((t) => t.peakRssMiB)),
    sample_test_auc_dir: Number((s.summary.canary as { test_auc: number }).test_auc.toFixed(4)),
  }
  if (existsSync(spxPath)) {
    const x = runOnce(spxPath, { symbol: 'SPXUSD', data: { validation: { backward_step: 'repair' } } })
    printStages('spx', x.timings)
    extra.spx_s = x.seconds
    extra.spx_peak_mib = Math.max(...x.timings.map((t) => t.peakRssMiB))
    extra.spx_ratio = x.seconds / 300
  } else process.stdout.write(`spx: skipped, ${spxPath} is absent\n`)
  process.stdout.write(`${benchLine('run', s.seconds, 60, { peer: 'goal_budget', ...extra })}\n`)
}
