import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { windowLengthSchema } from '../validation/config.js'
import { loadBundle } from '../pipeline/bundle.js'
import { driftOfFile } from '../pipeline/drift.js'
import { checkpointSummary, columnSummaries, type DriftReport } from '../monitor/batch.js'
import { renderDriftReport } from '../monitor/report.js'
import { grid } from './format.js'

/** Columns listed in the terminal (every column is in the HTML and JSON reports). */
const LISTED_COLUMNS = 20

/** A window length from the command line: '1d', '12h', '90m', '2w', or a whole number of bars. */
export function parseLength(flag: string, value: string): string | number {
  const parsed = windowLengthSchema.safeParse(/^\d+$/.test(value) ? Number(value) : value)
  if (!parsed.success)
    throw new Error(`${flag} ${value}: expected a length such as 1d, 12h, 90m or 2w, or a whole number of bars`)
  return parsed.data
}

const minute = (iso: string) => iso.slice(0, 16).replace('T', ' ')
const num = (x: number) => x.toFixed(4)

/** The report as terminal tables: one line per status, then the columns that drifted most. */
export function driftText(report: DriftReport, source: { bundle: string; checksum: string; data: string }): string {
  const r = report.reference
  const t = report.thresholds
  const excluded = report.columns.filter((c) => c.excluded).length
  const lines = [
    `drift of ${source.data}: ${report.rows} scored rows, ${minute(report.from)} to ${minute(report.to)} (UTC)`,
    `  bundle ${source.bundle} (${source.checksum.slice(0, 12)}…)`,
    `  reference (${r.bins} bins): features over ${r.features.rows} rows (${minute(r.features.from)} to ` +
      `${minute(r.features.to)}), outputs over ${r.outputs.rows} rows (${minute(r.outputs.from)} to ${minute(r.outputs.to)})`,
    `  window ${report.windowRows} rows, a status every ${report.step}; PSI ${t.psiWarn} warn, ${t.psiAlert} alert` +
      (excluded ? `; ${excluded} excluded columns (reported, never alerting)` : ''),
    '',
    'windows (each the last rows up to its end)',
    grid(
      ['end (UTC)', 'state', 'warn', 'alert', 'worst column', 'PSI', 'KL', 'W/std'],
      report.checkpoints.map((cp) => {
        const s = checkpointSummary(report, cp)
        const w = s.worst
        return [
          minute(cp.ts),
          cp.state,
          s.warn,
          s.alert,
          w >= 0 ? report.columns[w].name : '-',
          w >= 0 ? num(cp.psi[w]) : '-',
          w >= 0 ? num(cp.kl[w]) : '-',
          w >= 0 ? num(cp.wasserstein[w]) : '-',
        ]
      }),
    ),
    '',
  ]
  const columns = columnSummaries(report)
  const drifted = columns.filter((c) => c.firstWarn !== null)
  const shown = (drifted.length ? drifted : columns).slice(0, LISTED_COLUMNS)
  lines.push(
    drifted.length
      ? `columns that warned or alerted: ${drifted.length} of ${columns.length}${drifted.length > shown.length ? ` (the first ${shown.length} by PSI)` : ''}`
      : `no column warned; the ${shown.length} with the largest PSI`,
    grid(
      ['column', 'kind', 'max PSI', 'last PSI', 'max W/std', 'first warn', 'first alert'],
      shown.map((c) => [
        c.name,
        c.excluded ? `${c.kind}*` : c.kind,
        num(c.maxPsi),
        num(c.lastPsi),
        num(c.maxWasserstein),
        c.firstWarn ? minute(c.firstWarn) : '-',
        c.firstAlert ? minute(c.firstAlert) : '-',
      ]),
    ),
  )
  if (shown.some((c) => c.excluded)) lines.push('  * excluded by monitor.exclude_groups')
  const alerts = report.events.filter((e) => e.level === 'alert').length
  lines.push('', `events: ${report.events.length} (${alerts} alerts); state at the last row: ${report.last.state}`)
  return `${lines.join('\n')}\n`
}

export function register(program: Command): void {
  program
    .command('drift')
    .description(
      "compare a bars file with a bundle's reference distributions (PSI, KL, Wasserstein of every feature and output over a sliding window)",
    )
    .requiredOption('--bundle <dir>', 'bundle directory (runs/<run-id>/bundle)')
    .requiredOption('--data <file>', 'bars file, scored as mlf predict scores it')
    .option(
      '--window <length>',
      "sliding window: 1d, 12h, ... or a number of bars (default: the bundle's monitor.window)",
    )
    .option('--step <length>', 'a status every this many rows (default: the window)')
    .option('--html <file>', 'HTML report with plots', 'drift-report.html')
    .option('--json <file>', 'the whole report as JSON')
    .option('--checksum <sha256>', "refuse the bundle unless its checksum is this one (the run's bundle_checksum)")
    .action(
      async (opts: {
        bundle: string
        data: string
        window?: string
        step?: string
        html: string
        json?: string
        checksum?: string
      }) => {
        const window = opts.window === undefined ? undefined : parseLength('--window', opts.window)
        const step = opts.step === undefined ? undefined : parseLength('--step', opts.step)
        const bundle = await loadBundle(opts.bundle, opts.checksum)
        const { report } = await driftOfFile(bundle, opts.data, { window, step })
        const source = { bundle: opts.bundle, checksum: bundle.checksum, data: opts.data }
        await writeFileAtomic(opts.html, renderDriftReport(report, source))
        if (opts.json) await writeFileAtomic(opts.json, `${JSON.stringify(report, null, 1)}\n`)
        process.stdout.write(driftText(report, source))
        process.stdout.write(`  report -> ${opts.html}${opts.json ? ` (JSON -> ${opts.json})` : ''}\n`)
      },
    )
}
