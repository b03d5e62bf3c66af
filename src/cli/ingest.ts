import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { ingestFile } from '../data/ingest.js'
import { ValidationError, type ValidationReport } from '../data/validate.js'
import { loadConfig } from '../config/load.js'
import { validationSummary } from './format.js'

export function register(program: Command): void {
  program
    .command('ingest')
    .description('read a bars file (CSV, CSV.gz, Parquet), validate it and print a report')
    .argument('<file>', 'bars file')
    .option('--config <file>', 'YAML config (its data section sets columns, timezone and validation policies)')
    .option('--report-json <file>', 'write the full report, with every finding, as JSON')
    .action(async (file: string, opts: { config?: string; reportJson?: string }) => {
      const config = loadConfig(opts.config)
      let report: ValidationReport
      let failure: Error | null = null
      try {
        report = (await ingestFile(file, config.data)).report
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        report = err.report
        failure = err
      }
      process.stdout.write(`${validationSummary(report)}\n`)
      if (opts.reportJson) await writeFileAtomic(opts.reportJson, JSON.stringify(report, null, 1))
      if (failure) throw failure
    })
}
