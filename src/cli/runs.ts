import type { Command } from 'commander'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { join } from 'node:path'
import { DEFAULT_LIST_COLUMNS, RUN_COLUMNS } from '../tracking/columns.js'
import { diffRuns, type Value } from '../tracking/diff.js'
import { columnNamed, queryRuns, resolveRunId, type RunRow } from '../tracking/query.js'
import { openRunStore, type RunStore } from '../tracking/store.js'
import type { RunRecord } from '../tracking/types.js'
import { grid, table } from './format.js'

export const DEFAULT_STORE = join('runs', 'mlf.sqlite')

/** A value for a terminal table: numbers to 4 significant digits (integers whole), absent as '-'. */
export function cellText(v: Value | undefined): string {
  if (v === undefined || v === null) return '-'
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN'
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf'
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))
  }
  return String(v)
}

export function formatRunList(rows: readonly RunRow[], columns: readonly string[]): string {
  if (rows.length === 0) return '  no runs match\n'
  return `${grid(
    columns,
    rows.map((r) => columns.map((c) => cellText(r[c]))),
  )}\n  ${rows.length} run${rows.length === 1 ? '' : 's'}\n`
}

/** Only what differs: config keys, then metrics, one column per run. */
export function formatDiff(runs: readonly RunRecord[]): string {
  const d = diffRuns(runs)
  const head = ['', ...d.runIds]
  const part = (title: string, rows: typeof d.config, total: number) =>
    rows.length === 0
      ? `${title}: all ${total} the same\n`
      : `${title} (${rows.length} of ${total} differ)\n${grid(
          head,
          rows.map((r) => [r.key, ...r.values.map(cellText)]),
        )}\n`
  return `${part('config', d.config, d.compared.config)}\n${part('metrics', d.metrics, d.compared.metrics)}`
}

export function formatShow(run: RunRecord, row: RunRow): string {
  const columns = RUN_COLUMNS.filter((c) => row[c.name] !== null && row[c.name] !== undefined)
  const lines = [`run ${run.runId}`, table(columns.map((c) => [c.name, cellText(row[c.name])]))]
  if (run.models.length > 0) {
    const names = [...new Set(run.models.flatMap((m) => Object.keys(m.metrics.test)))]
    lines.push(
      '\nmodels (test)',
      grid(
        ['model', 'kind', ...names],
        run.models.map((m) => [m.name, m.kind, ...names.map((k) => cellText(m.metrics.test[k]))]),
      ),
    )
  }
  for (const h of run.heads ?? []) {
    const names = Object.keys(h.metrics.test)
    lines.push(`\n${h.head} head (${h.model}, test)`, grid(names, [names.map((k) => cellText(h.metrics.test[k]))]))
  }
  return `${lines.join('\n')}\n`
}

/** The store at `path`, which must exist: reading runs never creates an empty store by mistake. */
export function existingStore(path: string): RunStore {
  if (!existsSync(path)) throw new Error(`no run store at ${path}; mlf run and mlf sweep write one (or pass --store)`)
  return openRunStore(path)
}

function withStore<T>(path: string, f: (store: RunStore) => T): T {
  const store = existingStore(path)
  try {
    return f(store)
  } finally {
    store.close()
  }
}

function recordOf(store: RunStore, text: string): RunRecord {
  return store.get(resolveRunId(store.db, text))!
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

export function register(program: Command): void {
  const runs = program
    .command('runs')
    .description('list, filter, sort, show, compare and remove the runs of a run store')
    .option('--store <file>', 'run store', DEFAULT_STORE)
  const storeOf = (cmd: Command) => (cmd.optsWithGlobals() as { store: string }).store

  runs
    .command('list', { isDefault: true })
    .description('the runs, newest first unless sorted')
    .option('--where <filter>', `e.g. "sharpe > 1 and preset = 'tabular_stacking'" (and, or, not, is null, like, in)`)
    .option('--sort <columns>', 'columns to sort by, comma-separated; -name for descending (e.g. -sharpe)')
    .option('--columns <names>', `columns to show, comma-separated (default ${DEFAULT_LIST_COLUMNS.join(',')})`)
    .option('--limit <n>', 'at most this many runs')
    .option('--json', 'the rows as JSON')
    .addHelpText('after', `\nColumns:\n${RUN_COLUMNS.map((c) => `  ${c.name.padEnd(20)} ${c.description}`).join('\n')}`)
    .action(
      (opts: { where?: string; sort?: string; columns?: string; limit?: string; json?: boolean }, cmd: Command) => {
        const names = opts.columns ? opts.columns.split(',').map((s) => s.trim()) : DEFAULT_LIST_COLUMNS
        const columns = names.map((n) => columnNamed(n, '--columns'))
        if (opts.limit !== undefined && !/^\d+$/.test(opts.limit))
          throw new Error(`--limit must be a whole number, got "${opts.limit}"`)
        const rows = withStore(storeOf(cmd), (store) =>
          queryRuns(store.db, {
            where: opts.where,
            sort: opts.sort,
            columns,
            ...(opts.limit !== undefined ? { limit: Number(opts.limit) } : {}),
          }),
        )
        process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatRunList(rows, names))
      },
    )

  runs
    .command('show')
    .description("one run: its columns, its models' and heads' test metrics")
    .argument('<run>', 'run id (or a prefix that names one run)')
    .action((text: string, _opts: unknown, cmd: Command) => {
      process.stdout.write(
        withStore(storeOf(cmd), (store) => {
          const id = resolveRunId(store.db, text)
          const [row] = queryRuns(store.db, { runIds: [id] })
          return formatShow(store.get(id)!, row)
        }),
      )
    })

  runs
    .command('diff')
    .description('the config keys and metrics that differ between runs')
    .argument('<a>', 'run id (or a prefix)')
    .argument('<b>', 'run id (or a prefix)')
    .argument('[more...]', 'further runs')
    .action((a: string, b: string, more: string[], _opts: unknown, cmd: Command) => {
      process.stdout.write(
        withStore(storeOf(cmd), (store) => formatDiff([a, b, ...more].map((t) => recordOf(store, t)))),
      )
    })

  runs
    .command('rm')
    .description('remove runs from the store (their folders under runs/ are left alone)')
    .argument('<runs...>', 'run ids (or prefixes)')
    .option('--yes', 'do not ask (for scripts)')
    .action(async (texts: string[], opts: { yes?: boolean }, cmd: Command) => {
      const store = existingStore(storeOf(cmd))
      try {
        const ids = texts.map((t) => resolveRunId(store.db, t))
        if (!opts.yes) {
          if (!process.stdin.isTTY)
            throw new Error('mlf runs rm asks before removing; pass --yes when not at a terminal')
          if (!(await confirm(`remove ${ids.length} run(s) from ${store.path}: ${ids.join(', ')}? [y/N] `))) {
            process.stdout.write('nothing removed\n')
            return
          }
        }
        const n = store.remove(ids)
        process.stdout.write(`removed ${n} run${n === 1 ? '' : 's'} from ${store.path}\n`)
      } finally {
        store.close()
      }
    })
}
