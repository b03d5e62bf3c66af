import type { Command } from 'commander'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { loadSweep } from '../sweep/config.js'
import { runSweep, type SweepResult } from '../sweep/coordinator.js'
import { bullmqExecutor } from '../sweep/bullmq.js'
import type { Executor } from '../sweep/executor.js'
import { localExecutor } from '../sweep/local.js'
import type { TrialOutcome } from '../sweep/trial.js'
import { openRunStore } from '../tracking/store.js'
import { trialsOf } from '../tracking/sweeps.js'
import { renderSweepReport } from '../sweep/report.js'
import { SAMPLE_DATA } from './run.js'
import { sharpeText } from '../backtest/bootstrap.js'

const num = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(digits)

export function printSweep(r: SweepResult, write: (t: string) => void): void {
  write(
    `\nsweep ${r.sweepId}: ${r.sampler}${r.pruner ? ` + ${r.pruner} pruning` : ''}, objective ${r.objective.metric} (${r.objective.direction}) on each window's validation slice\n`,
  )
  write(
    `  ${'window'.padEnd(26)} trials  done pruned failed  chosen  val ${r.objective.metric.padEnd(10)} test log-loss  test AUC  PBO\n`,
  )
  for (const w of r.windows) {
    const pbo = 'pbo' in w.pbo ? num(w.pbo.pbo, 3) : 'n/a'
    write(
      `  ${w.key.padEnd(26)} ${String(w.trials).padStart(6)} ${String(w.complete).padStart(5)} ${String(w.pruned).padStart(6)} ${String(w.failed).padStart(6)}  ${(w.chosen ? `#${w.chosen.number}` : '-').padStart(6)}  ${num(w.chosen?.value).padStart(14)}  ${num(w.test?.log_loss).padStart(13)}  ${num(w.test?.auc_dir, 3).padStart(8)}  ${pbo}\n`,
    )
  }
  if (r.test) {
    const b = r.test.backtest
    write(`\ntest slices of the chosen configurations (${r.test.rows} rows, one stream, after fees and slippage)\n`)
    write(
      `  log-loss ${num(r.test.metrics.log_loss)}  AUC(up/down) ${num(r.test.metrics.auc_dir, 3)}  return ${(100 * b.total_return).toFixed(2)}%  Sharpe ${sharpeText(b)}\n`,
    )
  }
  const d = r.deflatedSharpe
  write(
    `  deflated Sharpe ratio: ${'dsr' in d ? `${num(d.dsr, 3)} (per-bar Sharpe ${num(d.sharpe, 5)} against ${num(d.benchmark, 5)} expected of the best of ${d.trials} unskilled trials)` : `n/a (${d.reason})`}\n`,
  )
  if (r.gates) {
    write(`  gates (the base config's acceptance): ${r.gates.every((g) => g.pass) ? 'PASS' : 'FAIL'}\n`)
    for (const g of r.gates)
      write(
        `    ${g.gate.padEnd(16)} ${(g.value === null ? 'n/a' : num(g.value, 3)).padStart(7)}  ${g.op} ${g.threshold}  ${g.pass ? 'PASS' : 'FAIL'}${g.note ? `  (${g.note})` : ''}\n`,
      )
  }
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description('search configurations: per window, trials on the validation slice, the choice tested once')
    .argument('<sweep>', 'sweep YAML (base config, space, sampler, pruner, budget, objective)')
    .option('--data <file>', 'bars file (default: the sweep data, its base config data.path, else the built-in sample)')
    .option('--out <dir>', 'runs directory (store mlf.sqlite, report in sweeps/<id>/)', 'runs')
    .option('--workers <n>', 'local worker processes', '1')
    .option('--queue <url>', 'run trials on BullMQ workers (mlf worker) through Redis at redis://host:port')
    .option('--resume <sweep-id>', 'resume a sweep recorded in the store: its trials are read back, the rest run')
    .option('--json', 'print the result as JSON (stdout holds only it)')
    .option('--quiet', 'no progress log')
    .action(
      async (
        file: string,
        opts: {
          data?: string
          out: string
          workers: string
          queue?: string
          resume?: string
          json?: boolean
          quiet?: boolean
        },
      ) => {
        if (opts.queue && opts.workers !== '1')
          throw new Error('--workers is for local trials; with --queue, start mlf worker where trials should run')
        const sweep = loadSweep(file)
        const dataFile = opts.data ?? sweep.dataFile ?? SAMPLE_DATA
        const workers = Number(opts.workers)
        const log = (t: string) => {
          if (!opts.quiet && !opts.json) process.stdout.write(`${t}\n`)
        }
        const executor: Executor = opts.queue ? await bullmqExecutor(opts.queue) : localExecutor(workers)
        const store = openRunStore(join(opts.out, 'mlf.sqlite'))
        try {
          const result = await runSweep({
            sweep,
            dataFile,
            executor,
            store,
            log,
            ...(opts.resume ? { resume: opts.resume } : {}),
          })
          const dir = join(opts.out, 'sweeps', result.sweepId)
          mkdirSync(dir, { recursive: true })
          const trials = trialsOf<TrialOutcome>(store, result.sweepId)
          writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`)
          writeFileSync(join(dir, 'report.html'), renderSweepReport(result, trials))
          if (result.chosen) writeFileSync(join(dir, 'chosen.yaml'), chosenYaml(result))
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
            return
          }
          printSweep(result, (t) => process.stdout.write(t))
          process.stdout.write(`\n  report: ${join(dir, 'report.html')}\n`)
          if (result.chosen)
            process.stdout.write(`  chosen config: ${join(dir, 'chosen.yaml')} (mlf run ${join(dir, 'chosen.yaml')})\n`)
        } finally {
          store.close()
          await executor.close()
        }
      },
    )
}

/** The last window's chosen configuration as a config file for mlf run, saying where it comes from. */
export function chosenYaml(r: SweepResult): string {
  const c = r.chosen!
  const w = r.windows.find((x) => x.key === c.window)!
  const head = [
    `# Chosen by mlf sweep ${r.sweepId} in window ${c.window}: trial #${w.chosen!.number},`,
    `# ${r.objective.metric} ${w.chosen!.value} on the validation slice (${r.sampler}, ${w.trials} trials).`,
    `# Values: ${JSON.stringify(c.params)}`,
  ]
  return `${head.join('\n')}\n${stringify(c.config)}`
}
