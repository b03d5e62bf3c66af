import Database from 'better-sqlite3'
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { checkRunRecord } from './schema.js'
import type { RunRecord } from './types.js'
import { BACKTEST_METRICS, DERIVED_COLUMNS } from './columns.js'

/**
 * Embedded SQLite run store. Every run is one row in `runs` holding its full record as JSON (the source of truth for
 * `get`), plus flattened `metrics`, `artifacts` and `timings` rows so that runs can be compared with plain SQL, e.g.
 *   SELECT run_id, value FROM metrics WHERE model = 'xgboost' AND split = 'test' AND name = 'auc'
 * A run is written in one transaction: it is stored whole or not at all.
 */

/** Bumped whenever the schema changes; MIGRATIONS[v] takes a database from version v to v + 1. */
export const SCHEMA_VERSION = 5

/**
 * Backtest metrics kept as columns of `runs` (prefixed bt_), so runs can be filtered and ranked in plain SQL:
 *   SELECT run_id, bt_sharpe FROM runs WHERE bt_trades >= 50 ORDER BY bt_sharpe DESC
 * A metric a run does not have, or that is not finite, is NULL.
 */
export const BACKTEST_COLUMNS = BACKTEST_METRICS

const addBacktestColumns = BACKTEST_COLUMNS.map(
  (m) => `
  ALTER TABLE runs ADD COLUMN bt_${m} REAL;
  UPDATE runs SET bt_${m} = json_extract(record_json, '$.backtest.metrics.${m}')
    WHERE json_type(record_json, '$.backtest.metrics.${m}') IN ('integer', 'real');`,
).join('')

/**
 * Version 4: the config's preset name, the final model's and the built-in heads' test metrics as columns of `runs`,
 * filled from each stored record by the same functions that fill them for a new run (src/tracking/columns.ts).
 */
function addDerivedColumns(db: Database.Database): void {
  for (const c of DERIVED_COLUMNS)
    db.exec(`ALTER TABLE runs ADD COLUMN ${c.sql} ${c.type === 'text' ? 'TEXT' : 'REAL'}`)
  db.exec('CREATE INDEX runs_preset ON runs (preset)')
  const update = db.prepare(
    `UPDATE runs SET ${DERIVED_COLUMNS.map((c) => `${c.sql} = @${c.sql}`).join(', ')} WHERE id = @id`,
  )
  const rows = db.prepare('SELECT id, record_json FROM runs').all() as { id: number; record_json: string }[]
  for (const r of rows) update.run({ id: r.id, ...derivedValues(decodeJson<RunRecord>(r.record_json)) })
}

function derivedValues(run: RunRecord): Record<string, string | number | null> {
  return Object.fromEntries(DERIVED_COLUMNS.map((c) => [c.sql, c.value(run)]))
}

/** Each step takes a database from version v to v + 1: SQL, or a function for backfills that read the records. */
const MIGRATIONS: readonly (string | ((db: Database.Database) => void))[] = [
  `
  CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    run_id           TEXT    NOT NULL UNIQUE,
    created_at       TEXT    NOT NULL,
    config_hash      TEXT    NOT NULL,
    data_fingerprint TEXT    NOT NULL,
    code_version     TEXT    NOT NULL,
    seed             INTEGER NOT NULL,
    data_file        TEXT    NOT NULL,
    summary_json     TEXT    NOT NULL,
    record_json      TEXT    NOT NULL
  );
  CREATE INDEX runs_created_at ON runs (created_at);
  CREATE INDEX runs_config_hash ON runs (config_hash);
  CREATE INDEX runs_data_fingerprint ON runs (data_fingerprint);
  CREATE TABLE metrics (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    model  TEXT NOT NULL,
    kind   TEXT NOT NULL,
    split  TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, model, split, name)
  );
  CREATE INDEX metrics_name ON metrics (name, split);
  CREATE TABLE artifacts (
    run_id TEXT    NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    path   TEXT    NOT NULL,
    sha256 TEXT    NOT NULL,
    bytes  INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
  );
  CREATE TABLE timings (
    run_id        TEXT    NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,
    stage         TEXT    NOT NULL,
    seconds       REAL    NOT NULL,
    peak_rss_mib  REAL    NOT NULL,
    PRIMARY KEY (run_id, ord)
  );
  `,
  `${addBacktestColumns}
  ALTER TABLE runs ADD COLUMN evaluation TEXT;
  UPDATE runs SET evaluation = coalesce(json_extract(record_json, '$.evaluation.method'), 'chronological');
  CREATE INDEX runs_bt_sharpe ON runs (bt_sharpe);
  `,
  // Sweeps (src/tracking/sweeps.ts): one row per sweep, one per trial; written by the sweep's coordinator alone.
  `
  CREATE TABLE sweeps (
    sweep_id         TEXT    PRIMARY KEY,
    created_at       TEXT    NOT NULL,
    sweep_hash       TEXT    NOT NULL,
    data_fingerprint TEXT    NOT NULL,
    data_file        TEXT    NOT NULL,
    seed             INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    spec_json        TEXT    NOT NULL,
    result_json      TEXT
  );
  CREATE TABLE trials (
    sweep_id     TEXT    NOT NULL REFERENCES sweeps (sweep_id) ON DELETE CASCADE,
    window       TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    params_json  TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    value        REAL,
    seconds      REAL    NOT NULL,
    outcome_json TEXT    NOT NULL,
    PRIMARY KEY (sweep_id, window, number)
  );
  `,
  addDerivedColumns,
  // The acceptance verdict (PASS or FAIL; NULL for runs recorded before gates), so runs can be filtered on it.
  `
  ALTER TABLE runs ADD COLUMN verdict TEXT;
  UPDATE runs SET verdict = json_extract(record_json, '$.acceptance.verdict');
  CREATE INDEX runs_verdict ON runs (verdict);
  `,
]

/** A row of `list`: the indexed columns plus a small headline summary. */
export interface RunSummary {
  runId: string
  createdAt: string
  configHash: string
  dataFingerprint: string
  codeVersion: string
  seed: number
  dataFile: string
  summary: {
    models: { name: string; kind: string; test: Record<string, number> }[]
    backtest?: Record<string, number>
    canary?: RunRecord['canary']
    /** The acceptance verdict (absent for runs recorded before gates). */
    verdict?: 'PASS' | 'FAIL'
  }
}

export interface RunStore {
  readonly path: string
  /** The open connection, for ad-hoc SQL queries across runs. */
  readonly db: Database.Database
  /** Validate and store a run; throws if the runId is already recorded. */
  record(run: RunRecord): void
  get(runId: string): RunRecord | undefined
  /** Newest first (by createdAt, then by insertion order). */
  list(options?: { limit?: number }): RunSummary[]
  /** Delete runs (their metrics, artifacts and timings with them); returns how many were found. */
  remove(runIds: readonly string[]): number
  close(): void
}

// JSON has no NaN/Infinity; metrics can legitimately be either, so they are written as a tagged object and restored.
const NON_FINITE_TAG = '$nonFinite'

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [NON_FINITE_TAG]: String(v) } : v,
  )
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v)
      if (keys.length === 1 && keys[0] === NON_FINITE_TAG) return Number((v as Record<string, string>)[NON_FINITE_TAG])
    }
    return v
  }) as T
}

function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > SCHEMA_VERSION)
    throw new Error(
      `run store ${path} has schema version ${version}, newer than this mlfactory supports (${SCHEMA_VERSION}); upgrade mlfactory`,
    )
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      const step = MIGRATIONS[v]
      if (typeof step === 'string') db.exec(step)
      else step(db)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}

function summarize(run: RunRecord): RunSummary['summary'] {
  return {
    models: run.models.map((m) => ({ name: m.name, kind: m.kind, test: m.metrics.test })),
    ...(run.backtest ? { backtest: run.backtest.metrics } : {}),
    ...(run.canary ? { canary: run.canary } : {}),
    ...(run.acceptance ? { verdict: run.acceptance.verdict } : {}),
  }
}

/**
 * Open (creating if needed) the run store at `path` (a file, or ':memory:'). With `readonly`, the file must exist and
 * be at the current schema version (open it once without to upgrade it); every write then fails.
 */
export function openRunStore(path: string, options: { readonly?: boolean } = {}): RunStore {
  const readonly = options.readonly === true
  if (readonly && path !== ':memory:' && !existsSync(path)) throw new Error(`no run store at ${path}`)
  if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  let db: Database.Database
  try {
    db = new Database(path, { readonly })
  } catch (err) {
    throw new Error(`cannot open run store ${path}: ${(err as Error).message}`)
  }
  try {
    db.pragma('busy_timeout = 5000')
    if (readonly) {
      const version = db.pragma('user_version', { simple: true }) as number
      if (version !== SCHEMA_VERSION)
        throw new Error(
          `run store ${path} has schema version ${version}, not ${SCHEMA_VERSION}; open it once with \`mlf runs --store ${path}\` to upgrade it`,
        )
    } else {
      db.pragma('journal_mode = WAL')
      db.pragma('foreign_keys = ON')
      migrate(db, path)
    }
  } catch (err) {
    db.close()
    throw err
  }
  if (readonly) return readonlyStore(path, db)

  const insertRun = db.prepare(
    `INSERT INTO runs (run_id, created_at, config_hash, data_fingerprint, code_version, seed, data_file, summary_json,
       record_json, evaluation, verdict, ${BACKTEST_COLUMNS.map((m) => `bt_${m}`).join(', ')},
       ${DERIVED_COLUMNS.map((c) => c.sql).join(', ')})
     VALUES (@runId, @createdAt, @configHash, @dataFingerprint, @codeVersion, @seed, @dataFile, @summary, @record,
       @evaluation, @verdict, ${BACKTEST_COLUMNS.map((m) => `@bt_${m}`).join(', ')},
       ${DERIVED_COLUMNS.map((c) => `@${c.sql}`).join(', ')})`,
  )
  const insertMetric = db.prepare(
    'INSERT INTO metrics (run_id, model, kind, split, name, value) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const insertArtifact = db.prepare('INSERT INTO artifacts (run_id, path, sha256, bytes) VALUES (?, ?, ?, ?)')
  const insertTiming = db.prepare(
    'INSERT INTO timings (run_id, ord, stage, seconds, peak_rss_mib) VALUES (?, ?, ?, ?, ?)',
  )
  const exists = db.prepare('SELECT 1 FROM runs WHERE run_id = ?').pluck()

  const deleteRun = db.prepare('DELETE FROM runs WHERE run_id = ?')
  const removeTx = db.transaction((ids: readonly string[]) => {
    let n = 0
    for (const id of ids) n += deleteRun.run(id).changes
    return n
  })
  const recordTx = db.transaction((run: RunRecord) => {
    if (exists.get(run.runId) !== undefined)
      throw new Error(`run ${run.runId} is already recorded in ${path}; run ids must be unique`)
    insertRun.run({
      runId: run.runId,
      // Normalized so that the column sorts chronologically whatever ISO form the pipeline used.
      createdAt: new Date(run.createdAt).toISOString(),
      configHash: run.configHash,
      dataFingerprint: run.dataFingerprint,
      codeVersion: run.codeVersion,
      seed: run.seed,
      dataFile: run.dataFile,
      summary: encodeJson(summarize(run)),
      record: encodeJson(run),
      evaluation: run.evaluation?.method ?? 'chronological',
      verdict: run.acceptance?.verdict ?? null,
      ...Object.fromEntries(
        BACKTEST_COLUMNS.map((m) => {
          const v = run.backtest?.metrics[m]
          return [`bt_${m}`, typeof v === 'number' && Number.isFinite(v) ? v : null]
        }),
      ),
      ...derivedValues(run),
    })
    for (const m of run.models) {
      for (const split of ['val', 'test'] as const) {
        for (const [name, value] of Object.entries(m.metrics[split])) {
          // SQLite has no NaN; it is stored as NULL ("not defined for this split").
          insertMetric.run(run.runId, m.name, m.kind, split, name, Number.isNaN(value) ? null : value)
        }
      }
    }
    for (const a of run.artifacts) insertArtifact.run(run.runId, a.path, a.sha256, a.bytes)
    run.timings.forEach((t, i) => insertTiming.run(run.runId, i, t.stage, t.seconds, t.peakRssMiB))
  })

  return {
    path,
    db,
    record(run) {
      const checked = checkRunRecord(run)
      try {
        recordTx(checked)
      } catch (err) {
        const e = err as Error & { code?: string }
        if (e.code?.startsWith('SQLITE_CONSTRAINT'))
          throw new Error(
            `cannot record run ${run.runId} in ${path}: ${e.message} (duplicate model, metric or artifact?)`,
          )
        throw err
      }
    },
    ...readers(db),
    remove(runIds) {
      return removeTx(runIds)
    },
    close() {
      db.close()
    },
  }
}

/** A store on a read-only connection: reads as usual, every write refused with a message rather than SQLITE_READONLY. */
function readonlyStore(path: string, db: Database.Database): RunStore {
  const refuse = (): never => {
    throw new Error(`run store ${path} is open read-only`)
  }
  return {
    path,
    db,
    record: refuse,
    remove: refuse,
    ...readers(db),
    close() {
      db.close()
    },
  }
}

function readers(db: Database.Database): Pick<RunStore, 'get' | 'list'> {
  const selectRecord = db.prepare('SELECT record_json FROM runs WHERE run_id = ?').pluck()
  const selectList = db.prepare(
    `SELECT run_id, created_at, config_hash, data_fingerprint, code_version, seed, data_file, summary_json
     FROM runs ORDER BY created_at DESC, id DESC LIMIT ?`,
  )
  return {
    get(runId) {
      const text = selectRecord.get(runId) as string | undefined
      return text === undefined ? undefined : decodeJson<RunRecord>(text)
    },
    list(options = {}) {
      const limit = options.limit ?? -1 // SQLite: a negative LIMIT means no limit
      if (!Number.isInteger(limit)) throw new Error(`list: limit must be an integer, got ${limit}`)
      const rows = selectList.all(limit) as {
        run_id: string
        created_at: string
        config_hash: string
        data_fingerprint: string
        code_version: string
        seed: number
        data_file: string
        summary_json: string
      }[]
      return rows.map((r) => ({
        runId: r.run_id,
        createdAt: r.created_at,
        configHash: r.config_hash,
        dataFingerprint: r.data_fingerprint,
        codeVersion: r.code_version,
        seed: r.seed,
        dataFile: r.data_file,
        summary: decodeJson<RunSummary['summary']>(r.summary_json),
      }))
    },
  }
}
