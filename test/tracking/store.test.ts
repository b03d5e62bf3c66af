import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { openRunStore, SCHEMA_VERSION } from '../../src/tracking/store.js'
import { tempDir } from '../helpers.js'
import { failingRun, minimalRun, sampleRun } from './fixture.js'
import type { RunRecord } from '../../src/tracking/types.js'

function freshStorePath(): string {
  return join(tempDir('mlf-store-'), 'runs', 'store.sqlite')
}

test('store: a full record round-trips through get, NaN and Infinity included', () => {
  const path = freshStorePath()
  const store = openRunStore(path)
  const run = sampleRun()
  store.record(run)
  store.close()
  // Reopen: the data is on disk, not only in the connection.
  const again = openRunStore(path)
  const back = again.get(run.runId)
  again.close()
  assert.deepEqual(back, run)
  assert.ok(Number.isNaN(back!.models[1].metrics.test.auc))
  assert.equal(back!.backtest!.metrics.profitFactor, Infinity)
})

test('store: a record without optional sections round-trips; unknown run ids give undefined', () => {
  const store = openRunStore(':memory:')
  store.record(minimalRun())
  assert.deepEqual(store.get('run-minimal'), minimalRun())
  assert.equal(store.get('nope'), undefined)
  store.close()
})

test('store: list is newest first, ties in insertion order reversed, and honours limit', () => {
  const store = openRunStore(freshStorePath())
  const at = (id: string, createdAt: string) => ({ ...minimalRun(id), createdAt })
  store.record(at('b', '2024-03-01T00:00:00Z'))
  store.record(at('a', '2024-01-01T00:00:00Z'))
  // Same instant as 'b' written with an offset: the column is normalized, so it still sorts by time.
  store.record(at('c', '2024-03-01T01:00:00+01:00'))
  store.record(at('d', '2024-02-01T00:00:00.000Z'))
  assert.deepEqual(
    store.list().map((r) => r.runId),
    ['c', 'b', 'd', 'a'],
  )
  assert.deepEqual(
    store.list({ limit: 2 }).map((r) => r.runId),
    ['c', 'b'],
  )
  assert.equal(store.list({ limit: 2 })[0].createdAt, '2024-03-01T00:00:00.000Z')
  store.close()
})

test('store: list carries the headline summary of each run', () => {
  const store = openRunStore(':memory:')
  store.record(sampleRun('r1'))
  const [row] = store.list()
  assert.equal(row.runId, 'r1')
  assert.equal(row.seed, 7)
  assert.deepEqual(
    row.summary.models.map((m) => m.name),
    ['xgboost', 'logistic', 'stack'],
  )
  assert.equal(row.summary.models[0].test.auc, 0.553)
  assert.equal(row.summary.backtest!.sharpe, 1.21)
  assert.deepEqual(row.summary.canary, { shuffledLabels: true, testAuc: 0.501 })
  store.close()
})

test('store: metrics, artifacts and timings are queryable with plain SQL from another connection', () => {
  const path = freshStorePath()
  const store = openRunStore(path)
  store.record(sampleRun('r1'))
  const r2 = sampleRun('r2')
  r2.models[0].metrics.test.auc = 0.6
  store.record(r2)
  store.close()

  const db = new Database(path, { readonly: true })
  const best = db
    .prepare(
      `SELECT run_id, value FROM metrics WHERE model = 'xgboost' AND split = 'test' AND name = 'auc' ORDER BY value DESC`,
    )
    .all()
  assert.deepEqual(best, [
    { run_id: 'r2', value: 0.6 },
    { run_id: 'r1', value: 0.553 },
  ])
  // NaN is stored as NULL.
  const nan = db
    .prepare(`SELECT value FROM metrics WHERE run_id = 'r1' AND model = 'logistic' AND name = 'auc' AND split = 'test'`)
    .get()
  assert.deepEqual(nan, { value: null })
  const count = db.prepare(`SELECT COUNT(*) AS n FROM metrics WHERE run_id = 'r1'`).get() as { n: number }
  assert.equal(count.n, 3 * 2 * 2)
  const artifacts = db.prepare(`SELECT path, sha256, bytes FROM artifacts WHERE run_id = 'r1' ORDER BY path`).all()
  assert.deepEqual(artifacts, [
    { path: 'manifest.json', sha256: 'cd'.repeat(32), bytes: 2048 },
    { path: 'models/xgboost/model.json', sha256: 'ab'.repeat(32), bytes: 123456 },
  ])
  const stages = db.prepare(`SELECT stage FROM timings WHERE run_id = 'r2' ORDER BY ord`).pluck().all()
  assert.deepEqual(stages, ['ingest', 'features', 'train'])
  const runs = db
    .prepare(`SELECT run_id, config_hash, data_fingerprint, code_version, seed, data_file FROM runs ORDER BY run_id`)
    .all()
  assert.equal(runs.length, 2)
  assert.deepEqual(runs[0], {
    run_id: 'r1',
    config_hash: 'c0ffee'.padEnd(64, '0'),
    data_fingerprint: 'da7a'.padEnd(64, '1'),
    code_version: '0.1.0+8ee2e07',
    seed: 7,
    data_file: 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz',
  })
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  db.close()
})

test('store: a duplicate runId is rejected with a clear error and the first record is kept', () => {
  const store = openRunStore(freshStorePath())
  store.record(sampleRun('dup'))
  const second = sampleRun('dup')
  second.seed = 99
  assert.throws(() => store.record(second), /run dup is already recorded in .*store\.sqlite; run ids must be unique/)
  assert.equal(store.get('dup')!.seed, 7)
  assert.equal(store.list().length, 1)
  store.close()
})

test('store: a failed write leaves nothing behind (one transaction per run)', () => {
  const path = freshStorePath()
  const store = openRunStore(path)
  const run = sampleRun('half')
  // Two artifacts with the same path violate the artifacts primary key after runs and metrics rows were inserted.
  run.artifacts.push({ ...run.artifacts[0] })
  assert.throws(() => store.record(run), /cannot record run half in .*duplicate model, metric or artifact/)
  assert.equal(store.get('half'), undefined)
  const n = store.db
    .prepare(`SELECT (SELECT COUNT(*) FROM runs) + (SELECT COUNT(*) FROM metrics) + (SELECT COUNT(*) FROM timings)`)
    .pluck()
    .get()
  assert.equal(n, 0)
  store.close()
})

test('store: an invalid record is rejected naming the bad fields', () => {
  const store = openRunStore(':memory:')
  const run = sampleRun('bad')
  run.backtest!.equity.drawdown.pop()
  ;(run as { seed: unknown }).seed = 1.5
  run.artifacts[0].sha256 = 'xyz'
  assert.throws(
    () => store.record(run),
    (err: Error) =>
      /invalid run record bad/.test(err.message) &&
      /seed:/.test(err.message) &&
      /backtest\.equity: ts, equity and drawdown must have equal lengths \(got 400, 400, 399\)/.test(err.message) &&
      /artifacts\.0\.sha256/.test(err.message),
  )
  assert.equal(store.list().length, 0)
  store.close()
})

test('store: a store written by a newer schema version is refused', () => {
  const path = freshStorePath()
  openRunStore(path).close()
  const db = new Database(path)
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
  db.close()
  assert.throws(
    () => openRunStore(path),
    new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this mlfactory supports \\(${SCHEMA_VERSION}\\)`),
  )
})

test('store: backtest metrics are columns of runs; a version-1 store is migrated and its rows backfilled', () => {
  const path = freshStorePath()
  const store = openRunStore(path)
  const run = sampleRun('cols')
  store.record(run)
  const row = store.db.prepare(`SELECT bt_sharpe, bt_trades, evaluation FROM runs WHERE run_id = 'cols'`).get()
  assert.deepEqual(row, {
    bt_sharpe: run.backtest!.metrics.sharpe,
    bt_trades: run.backtest!.metrics.trades,
    evaluation: 'chronological',
  })
  store.close()

  // A store written by schema version 1: the same row, without the columns; opening it adds and fills them.
  const old = join(tempDir(), 'v1.sqlite')
  const db = new Database(old)
  db.exec(
    `CREATE TABLE runs (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
      config_hash TEXT NOT NULL, data_fingerprint TEXT NOT NULL, code_version TEXT NOT NULL, seed INTEGER NOT NULL,
      data_file TEXT NOT NULL, summary_json TEXT NOT NULL, record_json TEXT NOT NULL);
     CREATE TABLE metrics (run_id TEXT, model TEXT, kind TEXT, split TEXT, name TEXT, value REAL);
     CREATE TABLE artifacts (run_id TEXT, path TEXT, sha256 TEXT, bytes INTEGER);
     CREATE TABLE timings (run_id TEXT, ord INTEGER, stage TEXT, seconds REAL, peak_rss_mib REAL);`,
  )
  const record = { ...run, backtest: { ...run.backtest!, metrics: { ...run.backtest!.metrics, sortino: Number.NaN } } }
  db.prepare(
    `INSERT INTO runs (run_id, created_at, config_hash, data_fingerprint, code_version, seed, data_file, summary_json, record_json)
     VALUES ('old', '2026-01-01T00:00:00.000Z', 'c', 'd', 'v', 1, 'f', '{}', ?)`,
  ).run(
    JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $nonFinite: String(v) } : v)),
  )
  db.pragma('user_version = 1')
  db.close()
  const migrated = openRunStore(old)
  try {
    const r = migrated.db
      .prepare(`SELECT bt_sharpe, bt_trades, bt_sortino, evaluation FROM runs WHERE run_id = 'old'`)
      .get()
    assert.deepEqual(r, {
      bt_sharpe: run.backtest!.metrics.sharpe,
      bt_trades: run.backtest!.metrics.trades,
      bt_sortino: null,
      evaluation: 'chronological',
    })
    assert.equal(migrated.db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  } finally {
    migrated.close()
  }
})

test('store: the verdict is a column of runs (NULL without one); a version-4 store gains it, filled from its records', () => {
  const path = freshStorePath()
  const store = openRunStore(path)
  store.record(failingRun('judged'))
  store.record(sampleRun('unjudged'))
  const verdicts = store.db.prepare('SELECT run_id, verdict FROM runs ORDER BY run_id').all()
  assert.deepEqual(verdicts, [
    { run_id: 'judged', verdict: 'FAIL' },
    { run_id: 'unjudged', verdict: null },
  ])
  assert.equal(store.list().find((r) => r.runId === 'judged')?.summary.verdict, 'FAIL')
  assert.deepEqual(store.get('judged')?.acceptance, failingRun('judged').acceptance)
  // Back to schema version 4: without the column; opening the store adds and fills it.
  store.db.exec('DROP INDEX runs_verdict; ALTER TABLE runs DROP COLUMN verdict')
  store.db.pragma('user_version = 4')
  store.close()
  const migrated = openRunStore(path)
  try {
    assert.deepEqual(migrated.db.prepare('SELECT run_id, verdict FROM runs ORDER BY run_id').all(), verdicts)
  } finally {
    migrated.close()
  }
})

test('store: preset, final-model and head test metrics are columns; a version-3 store is migrated and backfilled', () => {
  const run: RunRecord = {
    ...sampleRun('v3'),
    preset: 'tabular_stacking',
    heads: [
      {
        head: 'E_r',
        model: 'xgboost_reg',
        postProcessors: [],
        metrics: { val: { mae: 0.1 }, test: { mae: 0.2, ic: Number.NaN }, test_raw: { mae: 0.3 } },
      },
      {
        head: 'q05/q50/q95',
        model: 'xgboost_q',
        postProcessors: ['cqr'],
        metrics: { val: {}, test: { coverage: 0.91, width: 0.02 }, test_raw: {} },
      },
    ],
  }
  run.models = run.models.map((m, i) =>
    i === run.models.length - 1 ? { ...m, metrics: { ...m.metrics, test: { ...m.metrics.test, auc_dir: 0.55 } } } : m,
  )
  const derived = `SELECT preset, test_auc_dir, test_log_loss, e_r_mae, e_r_ic, band_coverage, band_width, p_up_auc
    FROM runs WHERE run_id = 'v3'`
  const expected = {
    preset: 'tabular_stacking',
    test_auc_dir: 0.55,
    test_log_loss: null, // the fixture's models name it logLoss: no such metric, no value
    e_r_mae: 0.2,
    e_r_ic: null,
    band_coverage: 0.91,
    band_width: 0.02,
    p_up_auc: null,
  }
  const path = freshStorePath()
  const store = openRunStore(path)
  store.record(run)
  assert.deepEqual(store.db.prepare(derived).get(), expected)
  // The same store as version 3 wrote it: without the version-4 and -5 columns (and their indexes), the record unchanged.
  store.db.exec('DROP INDEX runs_preset; DROP INDEX runs_verdict; ALTER TABLE runs DROP COLUMN verdict')
  const v4 = ['preset', 'test_accuracy', 'test_log_loss', 'test_auc_dir', 'test_brier']
  const added = (store.db.prepare('PRAGMA table_info(runs)').all() as { name: string }[])
    .map((c) => c.name)
    .filter((c) => v4.includes(c) || /^(p_up|e_r|band)_/.test(c))
  for (const c of added) store.db.exec(`ALTER TABLE runs DROP COLUMN ${c}`)
  store.db.pragma('user_version = 3')
  assert.equal(
    store.db.prepare('SELECT count(*) FROM pragma_table_info(?) WHERE name = ?').pluck().get('runs', 'preset'),
    0,
  )
  store.close()

  const migrated = openRunStore(path)
  try {
    assert.equal(migrated.db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
    assert.deepEqual(migrated.db.prepare(derived).get(), expected)
    assert.equal(migrated.get('v3')!.preset, 'tabular_stacking')
  } finally {
    migrated.close()
  }
})

test('store: remove deletes runs with their rows; a read-only store reads and refuses writes', () => {
  const path = freshStorePath()
  const store = openRunStore(path)
  store.record(sampleRun('a'))
  store.record(sampleRun('b'))
  const ro = openRunStore(path, { readonly: true })
  try {
    assert.equal(ro.get('a')!.runId, 'a')
    assert.equal(ro.list().length, 2)
    assert.throws(() => ro.record(sampleRun('c')), /is open read-only/)
    assert.throws(() => ro.db.exec('DELETE FROM runs'), /readonly/)
  } finally {
    ro.close()
  }
  assert.equal(store.remove(['a', 'missing']), 1)
  assert.equal(store.get('a'), undefined)
  for (const t of ['metrics', 'artifacts', 'timings'])
    assert.equal(store.db.prepare(`SELECT count(*) FROM ${t} WHERE run_id = 'a'`).pluck().get(), 0, t)
  assert.ok((store.db.prepare(`SELECT count(*) FROM metrics WHERE run_id = 'b'`).pluck().get() as number) > 0)
  store.db.pragma('user_version = 3')
  assert.throws(
    () => openRunStore(path, { readonly: true }),
    new RegExp(`has schema version 3, not ${SCHEMA_VERSION}; open it once with \`mlf runs --store .*\` to upgrade it`),
  )
  store.close()
  assert.throws(() => openRunStore(join(tempDir(), 'none.sqlite'), { readonly: true }), /no run store at/)
})
