import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ingestFile } from '../data/ingest.js'
import { resample, type ResampledBars } from '../data/resample.js'
import { notWholeBars, parseLadder, parseTimeframe } from '../data/timeframe.js'
import { writeParquet } from '../data/parquet.js'
import { loadConfig } from '../config/load.js'
import { originMs } from '../config/schema.js'

export function register(program: Command): void {
  program
    .command('resample')
    .description(
      'resample bars (of data.interval, 1m by default) to higher timeframes and write one file per timeframe',
    )
    .argument('<file>', 'bars file')
    .requiredOption('--to <list>', 'comma-separated timeframes, e.g. 5m,15m,1h')
    .requiredOption('--out <dir>', 'output directory')
    .option('--format <fmt>', 'parquet or csv', 'parquet')
    .option('--config <file>', 'YAML config (data section, resample.origin)')
    .action(async (file: string, opts: { to: string; out: string; format: string; config?: string }) => {
      if (opts.format !== 'parquet' && opts.format !== 'csv')
        throw new Error(`--format must be parquet or csv, not "${opts.format}"`)
      const config = loadConfig(opts.config)
      const ladder = parseLadder(opts.to.split(','))
      const base = parseTimeframe(config.data.interval)
      for (const tf of ladder) {
        const why = notWholeBars(tf, base)
        if (why) throw new Error(`--to: ${why}`)
      }
      const { bars } = await ingestFile(file, config.data)
      await mkdir(opts.out, { recursive: true })
      for (const tf of ladder) {
        const r = resample(bars, tf, originMs(config), base.ms)
        const path = join(opts.out, `${tf.name}.${opts.format}`)
        if (opts.format === 'parquet') await writeResampledParquet(path, r)
        else await writeFileAtomic(path, resampledCsv(r))
        process.stdout.write(`  ${tf.name.padEnd(4)} ${String(r.length).padStart(9)} bars -> ${path}\n`)
      }
    })
}

export function writeResampledParquet(path: string, r: ResampledBars): Promise<void> {
  return writeParquet(path, [
    { name: 'ts_utc', type: 'TIMESTAMP_MS', values: r.ts },
    { name: 'open', type: 'DOUBLE', values: r.open },
    { name: 'high', type: 'DOUBLE', values: r.high },
    { name: 'low', type: 'DOUBLE', values: r.low },
    { name: 'close', type: 'DOUBLE', values: r.close },
    { name: 'volume', type: 'DOUBLE', values: r.volume },
    { name: 'close_ts_utc', type: 'TIMESTAMP_MS', values: r.closeTs },
    { name: 'count', type: 'INTEGER', values: r.count },
  ])
}

export function resampledCsv(r: ResampledBars): string {
  const lines = ['ts_utc,open,high,low,close,volume,close_ts_utc,count']
  for (let i = 0; i < r.length; i++) {
    lines.push(
      `${new Date(r.ts[i]).toISOString()},${r.open[i]},${r.high[i]},${r.low[i]},${r.close[i]},${r.volume[i]},${new Date(r.closeTs[i]).toISOString()},${r.count[i]}`,
    )
  }
  return `${lines.join('\n')}\n`
}
