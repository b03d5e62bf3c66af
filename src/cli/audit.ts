import type { Command } from 'commander'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../config/load.js'
import { baseInterval, originMs } from '../config/schema.js'
import { sliceBars } from '../data/bars.js'
import { ingestFile } from '../data/ingest.js'
import type { Bars } from '../data/bars.js'
import {
  auditFeatures,
  auditLeakage,
  formatFinding,
  frameTarget,
  viewTargets,
  type AuditCompute,
} from '../features/audit.js'
import { withAblation, type FeaturesConfig } from '../features/config.js'
import { computeFeatures, resolveVolumeMode } from '../features/frame.js'
import { regimeAuditTarget } from '../models/regime/audit.js'
import type { RegimeModelSpec } from '../models/regime/spec.js'
import { deriveSeed } from '../core/seeds.js'
import type { ResolvedConfig } from '../config/load.js'
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

/**
 * With features.regime_model the audit covers the regime columns too: the model is fitted on the first quarter of
 * the bars (every cut point lies after it, as a training window lies before what it is tested on) and filtered over
 * every bar; features and views are audited as without it.
 */
function withRegimeTarget(
  features: Readonly<FeaturesConfig>,
  bars: Bars,
  regime: RegimeModelSpec,
  views: boolean,
  config: ResolvedConfig,
): AuditCompute {
  const origin = originMs(config)
  const base = baseInterval(config)
  const mode = resolveVolumeMode(features, bars)
  const trainEnd = Math.floor(bars.length / 4)
  const seed = deriveSeed(config.seed, 'regime', 'audit')
  return (b) => {
    const frame = computeFeatures(b, features, mode, origin, base)
    return [
      frameTarget(frame),
      ...(views ? viewTargets(frame, b) : []),
      regimeAuditTarget(regime, frame, b, trainEnd, seed),
    ]
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
        const { regime_model: regime, ...barFeatures } = config.features
        const features = withAblation(barFeatures, opts.ablate)
        const file = opts.data ?? config.data.path ?? SAMPLE_DATA
        const { bars: all } = await ingestFile(file, config.data)
        if (opts.start >= all.length)
          throw new Error(`--start ${opts.start} is past the last bar (${all.length} bars in ${file})`)
        const end = opts.rows === 0 ? all.length : Math.min(all.length, opts.start + opts.rows)
        const bars = sliceBars(all, opts.start, end)
        const t0 = performance.now()
        const audited = { cuts: opts.cuts, seed: opts.seed }
        const result = regime
          ? auditLeakage(bars, withRegimeTarget(features, bars, regime, opts.views, config), audited)
          : auditFeatures(bars, features, {
              ...audited,
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
