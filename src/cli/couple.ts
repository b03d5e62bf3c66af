import type { Command } from 'commander'
import { writeFileAtomic } from '../core/files.js'
import { columnIndex, readCsvTable, type CsvTable } from '../data/csv-table.js'
import {
  COUPLING_METHODS,
  coupleEventRows,
  type CoupleSummary,
  type CouplingMethod,
  type EventRow,
  type Scores,
  tunesOnDev,
} from '../inference/coupling/event-groups.js'
import { grid } from './format.js'

interface CoupleOpts {
  in: string
  group: string
  outcome: string
  p: string
  price?: string
  label?: string
  context?: string
  method: string
  tau?: string
  alpha?: string
  missing: string
  devFraction?: string
  out: string
  json?: boolean
}

/** Share of labelled groups used for tuning when a parameter is tuned and --dev-fraction is not given. */
const DEFAULT_DEV_FRACTION = 0.3
const OUTPUT_COLUMN = 'p_coupled'

/** `auto` or a positive number for --tau / --alpha. */
function autoOrNumber(value: string, option: string, allowZero: boolean): number | 'auto' {
  if (value === 'auto') return 'auto'
  const v = Number(value)
  if (value.trim() === '' || !Number.isFinite(v) || v < 0 || (v === 0 && !allowZero))
    throw new Error(`${option} must be auto or a ${allowZero ? 'non-negative' : 'positive'} number, not "${value}"`)
  return v
}

/** Reads the named columns of every row into EventRows; errors name the file, line, column and value. */
function eventRows(table: CsvTable, opts: CoupleOpts): EventRow[] {
  const list = (s: string) =>
    s
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '')
  const groupCols = list(opts.group).map((c) => columnIndex(table, c, '--group'))
  if (groupCols.length === 0) throw new Error('--group names no column')
  const outcomeCol = columnIndex(table, opts.outcome, '--outcome')
  const pCol = columnIndex(table, opts.p, '--p')
  const priceCol = opts.price === undefined ? -1 : columnIndex(table, opts.price, '--price')
  const labelCol = opts.label === undefined ? -1 : columnIndex(table, opts.label, '--label')
  const contextCols =
    opts.context === undefined ? [] : list(opts.context).map((c) => columnIndex(table, c, '--context'))
  return table.rows.map((row) => {
    const at = (col: number) => row.fields[col].trim()
    const fail = (col: number, why: string): never => {
      throw new Error(`${table.file}:${row.line}: ${table.header[col]} "${row.fields[col]}" ${why}`)
    }
    const probability = (col: number, what: string): number => {
      const v = Number(at(col))
      if (at(col) === '' || !(v >= 0 && v <= 1)) fail(col, `is not a probability in [0, 1] (${what})`)
      return v
    }
    const outcome = at(outcomeCol)
    if (outcome === '') fail(outcomeCol, 'is empty: every row must name its outcome')
    let label: 0 | 1 | null = null
    if (labelCol >= 0 && at(labelCol) !== '') {
      const v = Number(at(labelCol))
      if (v !== 0 && v !== 1) fail(labelCol, 'is not a label 0 or 1 (empty: outcome not known yet)')
      label = v as 0 | 1
    }
    return {
      group: groupCols.map(at),
      outcome,
      p: probability(pCol, 'the bracket probability'),
      label,
      price:
        priceCol >= 0 && at(priceCol) !== ''
          ? probability(priceCol, "the bracket's price as a probability; divide prices in cents by 100")
          : null,
      context: contextCols.map((col) => {
        const v = Number(at(col))
        if (at(col) === '' || !Number.isFinite(v)) fail(col, 'is not a finite number (context)')
        return v
      }),
      line: row.line,
    }
  })
}

const f4 = (v: number) => v.toFixed(4)

function describeState(s: CoupleSummary['state']): string {
  switch (s.method) {
    case 'softmax_logit':
      return `tau ${s.tau.toPrecision(4)}`
    case 'dirichlet':
      return `alpha ${s.alpha.toPrecision(4)} events`
    case 'pairwise':
      return 'r_ij = p_i / (p_i + p_j)'
    case 'meta':
      return `multinomial logistic on ${s.classes} logits + ${s.context} context column(s), ${s.calibration?.method ?? 'no'} calibration`
  }
}

/** The text report: coverage counts, how tuning was separated from scoring, and the A/B table. */
export function coupleReport(s: CoupleSummary, out: string, tuned: boolean): string {
  const lines: string[] = []
  const g = s.groups
  const fate = g.policy === 'skip' ? 'skipped (not written)' : 'left uncoupled (p_coupled = p)'
  lines.push(
    `${out}: ${g.total} groups of ${s.outcomes.length} outcomes (${s.outcomes.join(', ')}): ${g.coupled} coupled, ` +
      `${g.incomplete} ${fate} for missing outcomes`,
  )
  for (const e of g.examples)
    lines.push(`  group (${e.group}), line(s) ${e.lines.join(', ')}: missing ${e.missing.join(', ')}`)
  if (g.incomplete > g.examples.length) lines.push(`  ... and ${g.incomplete - g.examples.length} more (all in --json)`)
  lines.push(`${s.method}: ${describeState(s.state)}`)
  if (s.dev)
    lines.push(
      `${tuned ? 'tuned' : 'held out'} on the first ${s.dev.groups} labelled groups (dev, lines ${s.dev.first_line}-${s.dev.last_line}); ` +
        `metrics on the ${s.scored} later labelled groups only, which ${tuned ? 'tuning' : 'the dev split'} never saw`,
    )
  else lines.push(`nothing tuned; metrics on all ${s.scored} labelled groups`)
  if (s.unlabelled > 0) lines.push(`${s.unlabelled} complete groups without labels: coupled, not scored`)
  if (s.raw_sum)
    lines.push(
      `raw bracket probabilities sum per group to ${f4(s.raw_sum.mean)} on average (min ${f4(s.raw_sum.min)}, max ${f4(s.raw_sum.max)})`,
    )
  const m = s.metrics
  if (m) {
    const cols: [string, Scores][] = [
      ['uncoupled (raw renormalised)', m.uncoupled],
      [`coupled (${s.method})`, m.coupled],
    ]
    if (m.market) cols.push(['market (prices renormalised)', m.market])
    const row = (name: string, pick: (x: Scores) => number): (string | number)[] => [
      name,
      ...cols.map(([, x]) => f4(pick(x))),
    ]
    lines.push(
      grid(
        [`${s.scored} groups`, ...cols.map(([name]) => name)],
        [
          row('log-loss', (x) => x.log_loss),
          row('Brier', (x) => x.brier),
          row('classwise ECE', (x) => x.classwise_ece),
          ...s.outcomes.map((o, c) => row(`ECE ${o}`, (x) => x.ece[c])),
        ],
      ),
    )
  }
  for (const note of s.notes) lines.push(`note: ${note}`)
  return `${lines.join('\n')}\n`
}

export function register(program: Command): void {
  program
    .command('couple')
    .description(
      'couple exclusive bracket probabilities (one row per event group and outcome) into one distribution per group',
    )
    .requiredOption('--in <file>', 'predictions CSV, one row per group and outcome, in time order')
    .requiredOption('--group <columns>', 'comma-separated columns that name an event group, e.g. event_date,timestamp')
    .requiredOption('--outcome <column>', 'column naming which bracket a row is; K = its number of distinct values')
    .requiredOption('--p <column>', 'column of bracket probabilities')
    .option('--price <column>', "bracket's market price as a probability: adds a market column to the A/B table")
    .option('--label <column>', '1 if the bracket happened, 0 if not, empty if unknown: needed to tune and to score')
    .option('--context <columns>', 'meta method: comma-separated context columns, constant within a group')
    .option('--method <method>', COUPLING_METHODS.join(' | '), 'softmax_logit')
    .option('--tau <tau>', 'softmax_logit temperature, or auto (tuned on dev groups); default 1')
    .option('--alpha <alpha>', 'dirichlet prior concentration in events, or auto (tuned on dev groups); default 1')
    .option('--missing <policy>', 'groups without exactly one row per outcome: skip | uncoupled', 'skip')
    .option(
      '--dev-fraction <x>',
      `share of labelled groups, earliest first, to tune on; scored on the rest (default ${DEFAULT_DEV_FRACTION} when tuning, else 0)`,
    )
    .requiredOption('--out <file>', `output CSV: the input rows with a ${OUTPUT_COLUMN} column`)
    .option('--json', 'print the summary as JSON instead of text')
    .action(async (opts: CoupleOpts) => {
      if (!(COUPLING_METHODS as readonly string[]).includes(opts.method))
        throw new Error(`--method must be one of ${COUPLING_METHODS.join(', ')}, not "${opts.method}"`)
      const method = opts.method as CouplingMethod
      if (opts.missing !== 'skip' && opts.missing !== 'uncoupled')
        throw new Error(`--missing must be skip or uncoupled, not "${opts.missing}"`)
      // An option the method does not use is refused, not ignored.
      if (opts.context !== undefined && method !== 'meta') throw new Error('--context is for --method meta only')
      if (opts.tau !== undefined && method !== 'softmax_logit')
        throw new Error('--tau is for --method softmax_logit only')
      if (opts.alpha !== undefined && method !== 'dirichlet') throw new Error('--alpha is for --method dirichlet only')
      const tau = autoOrNumber(opts.tau ?? '1', '--tau', false)
      const alpha = autoOrNumber(opts.alpha ?? '1', '--alpha', true)
      const tuned = tunesOnDev({ method, tau, alpha })
      const devFraction = opts.devFraction === undefined ? (tuned ? DEFAULT_DEV_FRACTION : 0) : Number(opts.devFraction)
      if (!(devFraction >= 0 && devFraction < 1))
        throw new Error(`--dev-fraction must be a number in [0, 1), not "${opts.devFraction}"`)
      const table = await readCsvTable(opts.in)
      if (table.header.includes(OUTPUT_COLUMN))
        throw new Error(`${opts.in} already has a ${OUTPUT_COLUMN} column; rename or drop it first`)
      const rows = eventRows(table, opts)
      if (rows.length === 0) throw new Error(`${opts.in}: no rows after the header`)
      const { keep, coupled, summary } = coupleEventRows(rows, {
        method,
        tau,
        alpha,
        missing: opts.missing,
        devFraction,
      })
      const lines = [`${table.headerText},${OUTPUT_COLUMN}`]
      table.rows.forEach((row, r) => {
        if (keep[r]) lines.push(`${row.text},${coupled[r]}`)
      })
      await writeFileAtomic(opts.out, `${lines.join('\n')}\n`)
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ in: opts.in, out: opts.out, rows_written: lines.length - 1, ...summary }, null, 2)}\n`
          : coupleReport(summary, opts.out, tuned),
      )
    })
}
