import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { loadBundle, scoreWithBundle } from '../pipeline/bundle.js'
import { predictionsCsv } from '../pipeline/predict.js'

export function register(program: Command): void {
  program
    .command('predict')
    .description('score a bars file with a bundle alone (features recomputed through the bundle pipeline)')
    .requiredOption('--bundle <dir>', 'bundle directory (runs/<run-id>/bundle)')
    .requiredOption('--data <file>', 'bars file')
    .requiredOption('--out <file>', 'predictions CSV')
    .option('--checksum <sha256>', "refuse the bundle unless its checksum is this one (the run's bundle_checksum)")
    .action(async (opts: { bundle: string; data: string; out: string; checksum?: string }) => {
      const bundle = await loadBundle(opts.bundle, opts.checksum)
      const scored = await scoreWithBundle(bundle, opts.data)
      await writeFileAtomic(
        opts.out,
        predictionsCsv(scored.bars, scored.rows, scored.p, scored.signals, scored.sets, scored.heads, scored.weights),
      )
      process.stdout.write(
        `  ${scored.rows.length} predictions -> ${opts.out} (bundle ${bundle.checksum.slice(0, 12)}…)\n`,
      )
    })
}
