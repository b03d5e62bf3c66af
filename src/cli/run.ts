import type { Command } from 'commander'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ingestFile } from '../data/ingest.js'
import { resampleLadder } from '../data/resample.js'
import { parseLadder } from '../data/timeframe.js'
import { loadConfig } from '../config/load.js'
import { originMs } from '../config/schema.js'
import { validationSummary } from './format.js'

/** The built-in real sample dataset shipped with the project. */
export const SAMPLE_DATA = resolve(
  fileURLToPath(new URL('../../../data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz', import.meta.url)),
)

export function register(program: Command): void {
  program
    .command('run')
    .description('the main job: run the factory on a config (default: the built-in sample dataset)')
    .argument('[config]', 'YAML config')
    .option('--data <file>', 'bars file (default: the config data.path, else the built-in sample)')
    .option('--json', 'print the summary as JSON')
    .action(async (configPath: string | undefined, opts: { data?: string; json?: boolean }) => {
      const config = loadConfig(configPath)
      const file = opts.data ?? config.data.path ?? SAMPLE_DATA
      const t0 = performance.now()
      const { bars, report } = await ingestFile(file, config.data)
      const t1 = performance.now()
      const ladder = resampleLadder(bars, parseLadder(config.timeframes), originMs(config))
      const t2 = performance.now()
      const summary = {
        config_hash: config.hash,
        data: file,
        rows: report.rows,
        rows_out: report.rows_out,
        fingerprint: report.fingerprint,
        timeframes: Object.fromEntries(ladder.map((r) => [r.timeframe.name, r.length])),
        seconds: { ingest_validate: (t1 - t0) / 1000, resample: (t2 - t1) / 1000 },
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
        return
      }
      process.stdout.write(
        `mlf run: ${file}\n\nvalidation\n${validationSummary(report)}\n\nresampled ladder (closed bars)\n`,
      )
      for (const r of ladder)
        process.stdout.write(`  ${r.timeframe.name.padEnd(4)} ${String(r.length).padStart(9)} bars\n`)
      process.stdout.write(
        `\n  ingest+validate ${summary.seconds.ingest_validate.toFixed(2)} s, resample ${summary.seconds.resample.toFixed(2)} s\n`,
      )
    })
}
