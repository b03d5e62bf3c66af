/**
 * The columns of `runs` a person can filter, sort and show by name (`mlf runs --where`, `mlf ui`): the indexed
 * fields of the record, the backtest metrics (named without their `bt_` prefix), the final model's test metrics and
 * the test metrics of the built-in heads. Each carries the SQL column it reads, so a user's name is only ever looked
 * up here and never placed into SQL itself.
 */
import type { RunRecord } from './types.js'

export type ColumnType = 'text' | 'number'

export interface RunColumn {
  /** The name a person types. */
  readonly name: string
  /** The column of `runs` holding it. */
  readonly sql: string
  readonly type: ColumnType
  readonly description: string
}

/** Backtest metrics kept as columns (prefixed bt_ in SQL). */
export const BACKTEST_METRICS = [
  'total_return',
  'sharpe',
  'sortino',
  'max_drawdown',
  'trades',
  'win_rate',
  'turnover_per_day',
  'fee_share_of_gross',
  'gross_return',
  'exposure',
] as const

/** The final model's (the last of the record's models: calibrated, else the ensemble, else the base) test metrics. */
export const FINAL_TEST_METRICS = ['accuracy', 'log_loss', 'auc_dir', 'brier'] as const

/** Test metrics of the built-in heads, by the head's name in the record and the prefix of its columns. */
export const HEAD_METRICS = [
  { head: 'p_up', prefix: 'p_up', metrics: ['log_loss', 'brier', 'auc', 'ece'] },
  { head: 'E_r', prefix: 'e_r', metrics: ['mae', 'ic', 'hit_rate'] },
  { head: 'q05/q50/q95', prefix: 'band', metrics: ['coverage', 'width', 'mae_q50'] },
] as const

/** Columns added by schema version 4 (backfilled from the stored records), with their value in a record. */
export interface DerivedColumn extends RunColumn {
  readonly value: (run: RunRecord) => string | number | null
}

const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export const DERIVED_COLUMNS: readonly DerivedColumn[] = [
  {
    name: 'preset',
    sql: 'preset',
    type: 'text',
    description: "the config file's name without its extension (absent in records from before it was kept)",
    value: (run) => run.preset ?? null,
  },
  ...FINAL_TEST_METRICS.map((m): DerivedColumn => ({
    name: `test_${m}`,
    sql: `test_${m}`,
    type: 'number',
    description: `the final model's ${m} on the test rows`,
    value: (run) => finiteOrNull(run.models.at(-1)?.metrics.test[m]),
  })),
  ...HEAD_METRICS.flatMap((h) =>
    h.metrics.map((m): DerivedColumn => ({
      name: `${h.prefix}_${m}`,
      sql: `${h.prefix}_${m}`,
      type: 'number',
      description: `the ${h.head} head's ${m} on the test rows`,
      value: (run) => finiteOrNull(run.heads?.find((x) => x.head === h.head)?.metrics.test[m]),
    })),
  ),
]

export const RUN_COLUMNS: readonly RunColumn[] = [
  { name: 'run_id', sql: 'run_id', type: 'text', description: 'the run id' },
  { name: 'created_at', sql: 'created_at', type: 'text', description: 'when the run was recorded (ISO 8601, UTC)' },
  { name: 'config_hash', sql: 'config_hash', type: 'text', description: "the resolved config's hash" },
  { name: 'data_fingerprint', sql: 'data_fingerprint', type: 'text', description: 'the bars file fingerprint' },
  { name: 'data_file', sql: 'data_file', type: 'text', description: 'the bars file' },
  { name: 'code_version', sql: 'code_version', type: 'text', description: 'mlfactory version and commit' },
  { name: 'seed', sql: 'seed', type: 'number', description: 'the root seed' },
  { name: 'evaluation', sql: 'evaluation', type: 'text', description: 'chronological or walk_forward' },
  ...BACKTEST_METRICS.map((m): RunColumn => ({
    name: m,
    sql: `bt_${m}`,
    type: 'number',
    description: `backtest ${m} (primary policy, after costs)`,
  })),
  ...DERIVED_COLUMNS.map(({ name, sql, type, description }) => ({ name, sql, type, description })),
]

export const COLUMNS_BY_NAME: ReadonlyMap<string, RunColumn> = new Map(RUN_COLUMNS.map((c) => [c.name, c]))

/** The columns `mlf runs` and the runs table of `mlf ui` show unless told otherwise. */
export const DEFAULT_LIST_COLUMNS: readonly string[] = [
  'run_id',
  'created_at',
  'preset',
  'evaluation',
  'test_auc_dir',
  'test_log_loss',
  'total_return',
  'sharpe',
  'max_drawdown',
  'trades',
]

/** Columns naming where a run comes from rather than how it did (left out of side-by-side metrics). */
export const IDENTITY_COLUMNS: ReadonlySet<string> = new Set([
  'run_id',
  'created_at',
  'config_hash',
  'data_fingerprint',
  'data_file',
  'code_version',
  'seed',
])
