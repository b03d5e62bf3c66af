import type { Command } from 'commander'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../config/load.js'
import { runPipeline, type RunSummary } from '../pipeline/run.js'
import { grid, validationSummary } from './format.js'
import { createProgress } from './progress.js'
import { sharpeText } from '../backtest/bootstrap.js'
import { verdictLines } from './verdict.js'

const root = (rel: string) => resolve(fileURLToPath(new URL(`../../../${rel}`, import.meta.url)))

/** The built-in real sample dataset shipped with the project, and the preset `mlf run` uses by default. */
export const SAMPLE_DATA = root('data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')
export const DEFAULT_PRESET = root('configs/presets/fast_baseline.yaml')

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`
}

/** A list of policies backtested on the same predictions, side by side (the primary first), and learning policies' seeds. */
function printPolicies(policies: NonNullable<RunSummary['policies']>, write: (t: string) => void): void {
  write(`\n  policies on the same predictions (the first is the run's primary)\n`)
  write(
    `  ${'policy'.padEnd(12)} ${'return'.padStart(8)} ${'Sharpe [interval] (trades)'.padEnd(34)} ${'max DD'.padStart(8)} ${'win rate'.padStart(8)} ${'exposure'.padStart(8)} ${'turnover/day'.padStart(12)} ${'fees/gross'.padStart(10)}\n`,
  )
  for (const { policy, backtest: b } of policies) {
    write(
      `  ${policy.padEnd(12)} ${pct(b.total_return).padStart(8)} ${sharpeText(b).padEnd(34)} ${pct(b.max_drawdown).padStart(8)} ${pct(b.win_rate).padStart(8)} ${b.exposure.toFixed(3).padStart(8)} ${b.turnover_per_day.toFixed(2).padStart(12)} ${b.fee_share_of_gross.toFixed(2).padStart(10)}\n`,
    )
  }
  for (const { policy, fit } of policies) {
    if (!fit) continue
    const t = fit.test_pnl
    write(
      `  ${policy}: ${t.n} seeds' test P&L ${pct(t.mean)} (95% interval ${pct(t.lo)} to ${pct(t.hi)}); the row above is the seed selected on validation\n`,
    )
  }
}

/**
 * The test metrics the terminal shows per head (summary.json and the report have them all); a multi-head target has
 * those of p_up (binary) or E_r (strength).
 */
const HEADLINE: Record<string, readonly string[]> = {
  p: ['log_loss', 'auc_dir', 'ece'],
  p_up: ['log_loss', 'auc', 'ece'],
  E_r: ['mae', 'ic', 'hit_rate'],
  'q05/q50/q95': ['coverage', 'width'],
}

function printComparison(rows: NonNullable<RunSummary['comparison']>, write: (t: string) => void): void {
  const num = (x: number | null | undefined, digits: number) => (x == null ? '-' : x.toFixed(digits))
  write(`\ncomparison (each model alone, test rows; chain: the run's own head)\n`)
  write(
    `${grid(
      ['model', 'head', 'kind', 'test', 'Sharpe [interval] (trades)', 'fit s', 'us/row'],
      rows.map((c) => [
        c.model,
        c.head,
        c.kind,
        (HEADLINE[c.head] ?? ('auc' in c.metrics.test ? HEADLINE.p_up : HEADLINE.E_r))
          .map((k) => `${k} ${num(c.metrics.test[k], 4)}`)
          .join('  '),
        c.backtest ? sharpeText(c.backtest) : '-',
        num(c.fit_seconds, 1),
        num(c.infer_us_per_row, 1),
      ]),
    )}\n`,
  )
}

/** The summary, opening with the verdict (then `preface`, when given: the data's validation). */
export function printSummary(s: RunSummary, write: (t: string) => void, preface = ''): void {
  write(`\n${verdictLines(s).join('\n')}\n${preface}`)
  write(`\nmodels (val / test)\n`)
  for (const m of s.models) {
    const v = m.metrics.val
    const t = m.metrics.test
    write(
      `  ${m.name.padEnd(24)} acc ${v.accuracy.toFixed(3)} / ${t.accuracy.toFixed(3)}  log-loss ${v.log_loss.toFixed(4)} / ${t.log_loss.toFixed(4)}  AUC(up/down) ${v.auc_dir.toFixed(3)} / ${t.auc_dir.toFixed(3)}\n`,
    )
  }
  if (s.calibration) {
    const c = s.calibration
    const params = Object.entries(c.params).map(([k, v]) => `${k} ${v.toFixed(3)}`)
    const fit = c.fitOn
      ? `; fitted on ${c.fitOn.rows} ${c.fitOn.source === 'oof' ? 'out-of-fold training' : 'validation'} rows`
      : ''
    write(`\ncalibration (test${fit}; ${c.method}${params.length ? `: ${params.join(', ')}` : ''})\n`)
    write(`  ${'step'.padEnd(28)} log-loss   Brier  ECE top  ECE classwise  MCE top\n`)
    for (const st of c.steps ?? []) {
      write(
        `  ${st.name.padEnd(28)} ${st.logLoss.toFixed(4)}  ${st.brier.toFixed(4)}   ${st.topLabel.ece.toFixed(4)}         ${st.classwise.ece.toFixed(4)}   ${st.topLabel.mce.toFixed(4)}\n`,
      )
    }
  }
  for (const c of s.post_processor_checks) {
    const where = s.evaluation.method === 'walk_forward' ? ` (window ${c.window.slice(0, 10)})` : ''
    if (c.worse)
      write(
        `  ${c.name}${where} made its cross-fitted validation metrics worse (log-loss ${c.before.log_loss.toFixed(4)} -> ${c.after.log_loss.toFixed(4)}, ` +
          `ECE ${c.before.ece.toFixed(4)} -> ${c.after.ece.toFixed(4)}, ${c.rows} rows): ${c.dropped ? 'dropped from the chain (inference.drop_worsening)' : 'kept (inference.drop_worsening: false)'}\n`,
      )
  }
  for (const h of s.heads) {
    const fmt = (m: Record<string, number>) =>
      Object.entries(m)
        .filter(([k]) => k !== 'rows')
        .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
        .join('  ')
    const pp = h.postProcessors.length ? ` + ${h.postProcessors.join(' + ')}` : ''
    write(`\n${h.head} head (${h.model}${pp}; ${h.metrics.test.rows} test rows)\n`)
    write(`  val   ${fmt(h.metrics.val)}\n  test  ${fmt(h.metrics.test)}\n`)
    if (pp) write(`  raw   ${fmt(h.metrics.test_raw)}\n`)
  }
  if (s.prediction_sets) {
    const ps = s.prediction_sets
    write(
      `\nprediction sets (${ps.method}, target ${ps.target}): coverage ${ps.coverage.toFixed(3)} over ${ps.rows} test rows, ` +
        `mean size ${ps.meanSize.toFixed(2)}; rows by size ${ps.sizes.map((n, k) => `${k}:${n}`).join(' ')}\n`,
    )
  }
  if (s.comparison) printComparison(s.comparison, write)
  const ev = s.evaluation
  if (ev.method === 'walk_forward') {
    write(`\nwalk-forward windows (${ev.windows.length}; ${ev.skipped} without a full training window skipped)\n`)
    write(
      `  ${'test from'.padEnd(12)} ${'train'.padStart(7)} ${'val'.padStart(6)} ${'test'.padStart(6)}   AUC    return  trades\n`,
    )
    for (const w of ev.windows) {
      write(
        `  ${w.testStart.slice(0, 10).padEnd(12)} ${String(w.samples.train).padStart(7)} ${String(w.samples.val).padStart(6)} ${String(w.samples.test).padStart(6)}  ${w.test.auc_dir.toFixed(3)} ${pct(w.backtest.total_return).padStart(8)} ${String(w.backtest.trades).padStart(7)}\n`,
      )
    }
  }
  const bt = s.backtest
  write(
    `\nbacktest (${ev.method === 'walk_forward' ? "the windows' test rows as one stream" : 'test split'}, after fees and slippage)\n`,
  )
  write(
    `  return ${pct(bt.total_return)}  Sharpe ${sharpeText(bt)}  Sortino ${bt.sortino.toFixed(2)}  max drawdown ${pct(bt.max_drawdown)}\n`,
  )
  write(
    `  trades ${bt.trades}  win rate ${pct(bt.win_rate)}  turnover/day ${bt.turnover_per_day.toFixed(2)}  fees/gross ${bt.fee_share_of_gross.toFixed(2)}\n`,
  )
  if (bt.maker_share !== undefined) write(`  filled as maker ${pct(bt.maker_share)} of traded notional\n`)
  if (s.policies) printPolicies(s.policies, write)
  write(`\n  bundle checksum ${s.bundle_checksum}\n`)
}

export function register(program: Command): void {
  program
    .command('run')
    .description('the main job: config -> features, labels, models, calibration, backtest, bundle, report')
    .argument('[config]', 'YAML config (default: configs/presets/fast_baseline.yaml)')
    .option('--data <file>', 'bars file (default: the config data.path, else the built-in sample)')
    .option('--out <dir>', 'runs directory', 'runs')
    .option('--shuffle-labels', 'leakage canary: shuffle train/val labels (test AUC should be near 0.5)')
    .option(
      '--fail-on-gates',
      'exit with status 2 when the acceptance verdict is FAIL (default: 0 whatever the verdict)',
    )
    .option('--json', 'print the summary as JSON (stdout holds only it; progress stays on stderr)')
    .option('--quiet', 'no progress (bar or status lines on stderr) and no stage log; the summary still prints')
    .action(
      async (
        configPath: string | undefined,
        opts: {
          data?: string
          out: string
          json?: boolean
          quiet?: boolean
          shuffleLabels?: boolean
          failOnGates?: boolean
        },
      ) => {
        const config = loadConfig(
          configPath ?? DEFAULT_PRESET,
          opts.shuffleLabels ? { control: { shuffle_labels: true } } : {},
        )
        const file = opts.data ?? config.data.path ?? SAMPLE_DATA
        const write = (t: string) => {
          if (!opts.json) process.stdout.write(t)
        }
        // The stage log goes to stdout with the text summary; --json keeps stdout to the JSON alone.
        const log = (t: string) => {
          if (!opts.quiet) write(t)
        }
        log(`mlf run: ${config.source} on ${file}\n`)
        const result = await runPipeline({
          config,
          dataFile: file,
          outDir: opts.out,
          log: (l) => log(`${l}\n`),
          // Progress is on stderr: a bar on a terminal, status lines when piped, nothing in CI or with --quiet.
          progress: (label) => createProgress(label, { enabled: !opts.quiet }),
        })
        // Set before printing, so that --json exits with it too.
        if (opts.failOnGates && result.summary.acceptance?.verdict === 'FAIL') process.exitCode = 2
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`)
          return
        }
        printSummary(result.summary, write, `\nvalidation\n${validationSummary(result.report)}\n`)
        write(`\n  run: ${result.runDir}\n`)
      },
    )
}
