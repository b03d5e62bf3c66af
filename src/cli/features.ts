import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { loadConfig } from '../config/load.js'
import { baseInterval, originMs } from '../config/schema.js'
import { ingestFile } from '../data/ingest.js'
import { withAblation } from '../features/config.js'
import { computeFeatures } from '../features/frame.js'
import { writeFeaturesParquet } from '../features/parquet.js'

export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ]
}

export function register(program: Command): void {
  program
    .command('features')
    .description('compute the feature set of a config (streaming engine replayed over history) and write it as Parquet')
    .argument('<file>', 'bars file (CSV, CSV.gz or Parquet) of data.interval (1m by default)')
    .requiredOption('--out <file>', 'output Parquet file (the schema goes beside it as <file>.schema.json)')
    .option('--config <file>', 'YAML config (its data and features sections)')
    .option(
      '--ablate <groups>',
      'switch feature groups off (comma-separated or repeated), e.g. --ablate volume',
      collectList,
      [],
    )
    .action(async (file: string, opts: { out: string; config?: string; ablate: string[] }) => {
      const config = loadConfig(opts.config)
      const { regime_model: regime, ...barFeatures } = config.features
      // Said, not silently dropped: its columns need a training window to be fitted on.
      if (regime)
        process.stderr.write(
          'note: features.regime_model is fitted on each training window by mlf run; its columns are not written here\n',
        )
      const features = withAblation(barFeatures, opts.ablate)
      const { bars } = await ingestFile(file, config.data)
      const t0 = performance.now()
      const frame = computeFeatures(bars, features, undefined, originMs(config), baseInterval(config))
      const seconds = (performance.now() - t0) / 1000
      await writeFeaturesParquet(opts.out, frame)
      const schemaFile = `${opts.out}.schema.json`
      const usable = frame.usable.reduce((s, u) => s + u, 0)
      await writeFileAtomic(
        schemaFile,
        `${JSON.stringify({ ...frame.schema, volumeMode: frame.volumeMode, usableRows: usable, columns: frame.specs }, null, 2)}\n`,
      )
      const lines = [
        `features: ${frame.names.length} (groups off: ${features.ablate.join(', ') || 'none'}; volume: ${frame.volumeMode})`,
        `rows: ${frame.length} (${usable} usable after warm-up)`,
        `schema hash: ${frame.schema.hash}`,
        `computed in ${seconds.toFixed(2)} s -> ${opts.out} (+ ${schemaFile})`,
      ]
      process.stdout.write(`${lines.join('\n')}\n`)
    })
}
