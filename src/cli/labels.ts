import type { Command } from 'commander'
import { loadConfig } from '../config/load.js'
import { ingestFile } from '../data/ingest.js'
import { writeParquet } from '../data/parquet.js'
import { BARRIER_NAMES, BARRIER_NONE, tripleBarrier } from '../labels/triple-barrier.js'
import { volatility } from '../labels/volatility.js'

export function register(program: Command): void {
  program
    .command('labels')
    .description('triple-barrier labels (costs folded in) for every decision bar with an event, as Parquet')
    .argument('<file>', 'bars file (CSV, CSV.gz, Parquet)')
    .option('--config <file>', 'YAML config (data and labels sections)')
    .requiredOption('--out <file>', 'output Parquet file')
    .action(async (file: string, opts: { config?: string; out: string }) => {
      const config = loadConfig(opts.config)
      const { bars } = await ingestFile(file, config.data)
      const { estimator, window } = config.labels.volatility
      const vol = volatility(bars, estimator, window)
      const l = tripleBarrier(bars, vol, config.labels.tripleBarrier)
      const rows: number[] = []
      for (let i = 0; i < l.n; i++) if (l.barrier[i] !== BARRIER_NONE) rows.push(i)
      const pick = (a: Float64Array) => Float64Array.from(rows, (i) => a[i])
      await writeParquet(opts.out, [
        { name: 'ts', type: 'TIMESTAMP_MS', values: pick(bars.ts) },
        { name: 'row', type: 'INTEGER', values: Int32Array.from(rows) },
        { name: 'label', type: 'INTEGER', values: Int32Array.from(rows, (i) => l.label[i]) },
        { name: 't1', type: 'TIMESTAMP_MS', values: pick(l.t1) },
        { name: 't1_row', type: 'INTEGER', values: Int32Array.from(rows, (i) => l.t1Index[i]) },
        { name: 'ret', type: 'DOUBLE', values: pick(l.ret) },
        { name: 'barrier', type: 'VARCHAR', values: rows.map((i) => BARRIER_NAMES[l.barrier[i]]) },
        { name: 'entry_price', type: 'DOUBLE', values: pick(l.entryPrice) },
        { name: 'exit_price', type: 'DOUBLE', values: pick(l.exitPrice) },
        { name: 'upper', type: 'DOUBLE', values: pick(l.upper) },
        { name: 'lower', type: 'DOUBLE', values: pick(l.lower) },
        { name: 'vol', type: 'DOUBLE', values: pick(vol) },
      ])
      const count = (pred: (i: number) => boolean) => rows.filter(pred).length
      const byBarrier = [1, 2, 3].map((b) => `${BARRIER_NAMES[b]}=${count((i) => l.barrier[i] === b)}`).join(' ')
      const byLabel = [-1, 0, 1].map((v) => `${v}:${count((i) => l.label[i] === v)}`).join(' ')
      process.stdout.write(
        `${opts.out}: ${rows.length} labeled rows of ${bars.length} bars (${bars.length - rows.length} without an event: ` +
          `volatility warm-up, the last ${config.labels.tripleBarrier.maxHolding} bars, minReturn); barriers ${byBarrier}; labels ${byLabel}\n`,
      )
    })
}
