import type { Command } from 'commander'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../config/load.js'
import { baseInterval, originMs } from '../config/schema.js'
import { sliceBars } from '../data/bars.js'
import { ingestFile } from '../data/ingest.js'
import { auditFeatures, formatFinding } from '../features/audit.js'
import { withAblation } from '../features/config.js'
import { collectList } from './features.js'

/** The built-in real sample, used when neither --data nor the config's data.path names a file. */
export const SAMPLE_DATA = fileURLToPath(
  new URL('../../../data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz', import.meta.url),
)

function positiveInt(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`)
    return n
  }
}

export function register(program: Command): void {
  const audit = program.command('audit').description('audits that prove properties of the pipeline')
  audit
    .command('leakage')
    .description(
      'perturb (and remove) every bar after random cut points T; every feature and view at or before T must not change',
    )
    .option('--config <file>', 'YAML config (data and features sections)')
    .option('--data <file>', 'bars file (default: data.path of the config, else the built-in sample)')
    .option('--cuts <n>', 'number of random cut points', positiveInt('--cuts'), 3)
    .option('--seed <n>', 'seed for cut points and perturbations', positiveInt('--seed'), 1)
    .option(
      '--rows <n>',
      'audit this many bars (0 = all; every cut recomputes everything)',
      positiveInt('--rows'),
      50_000,
    )
    .option('--start <n>', 'first bar of the audited window', positiveInt('--start'), 0)
    .option('--no-views', 'audit features only, not the model views')
    .option('--ablate <groups>', 'switch feature groups off', collectList, [])
    .action(
      async (opts: {
        config?: string
        data?: string
        cuts: number
        seed: number
        rows: number
        start: number
        views: boolean
        ablate: string[]
      }) => {
        const config = loadConfig(opts.config)
        const features = withAblation(config.features, opts.ablate)
        const file = opts.data ?? config.data.path ?? SAMPLE_DATA
        const { bars: all } = await ingestFile(file, config.data)
        if (opts.start >= all.length)
          throw new Error(`--start ${opts.start} is past the last bar (${all.length} bars in ${file})`)
        const end = opts.rows === 0 ? all.length : Math.min(all.length, opts.start + opts.rows)
        const bars = sliceBars(all, opts.start, end)
        const t0 = performance.now()
        const result = auditFeatures(bars, features, {
          cuts: opts.cuts,
          seed: opts.seed,
          views: opts.views,
          originMs: originMs(config),
          base: baseInterval(config),
        })
        const out = [
          `leakage audit: ${file}, bars ${opts.start}..${end - 1} (${bars.length}), seed ${opts.seed}`,
          `cut points T: ${result.cuts.map((c) => `${c + opts.start} (${new Date(bars.ts[c]).toISOString()})`).join(', ')}`,
          ...result.targets.map((t) => `  ${t.name}: ${t.samples} samples x ${t.width} values`),
        ]
        for (const f of result.findings)
          out.push(formatFinding({ ...f, cut: f.cut + opts.start, row: f.row + opts.start }))
        out.push(
          result.ok
            ? `PASS: nothing at or before any T changed (${((performance.now() - t0) / 1000).toFixed(1)} s)`
            : `FAIL: ${result.findings.length} leak(s); first: ${result.findings[0].feature} at T=${result.findings[0].cut + opts.start}`,
        )
        process.stdout.write(`${out.join('\n')}\n`)
        if (!result.ok) process.exitCode = 1
      },
    )
}
