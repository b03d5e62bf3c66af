import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openRunStore } from '../../src/tracking/store.js'
import { parseSort, parseWhere, queryRuns, resolveRunId } from '../../src/tracking/query.js'
import { COLUMNS_BY_NAME } from '../../src/tracking/columns.js'
import { variedRun } from './fixture.js'

function storeOf(n: number) {
  const store = openRunStore(':memory:')
  for (let i = 0; i < n; i++) store.record(variedRun(i))
  return store
}

test('where: names become known SQL columns and every value a parameter', () => {
  const w = parseWhere("sharpe > 1 and preset = 'tabular_stacking'")
  assert.equal(w.sql, 'bt_sharpe > ? AND preset = ?')
  assert.deepEqual(w.params, [1, 'tabular_stacking'])
  const w2 = parseWhere("not (trades <= 100 or e_r_mae is null) and run_id in ('a', 'b') and preset not like 'tab%'")
  assert.equal(w2.sql, 'NOT ((bt_trades <= ?) OR (e_r_mae IS NULL)) AND run_id IN (?, ?) AND preset NOT LIKE ?')
  assert.deepEqual(w2.params, [100, 'a', 'b', 'tab%'])
  assert.deepEqual(parseWhere('  '), { sql: '', params: [] })
  assert.equal(parseWhere('sharpe >= -1.5e-1').params[0], -0.15)
})

test('where: text that looks like SQL stays a value; quotes doubled stand for themselves', () => {
  const w = parseWhere(`run_id = 'x'' OR 1=1 --'`)
  assert.equal(w.sql, 'run_id = ?')
  assert.deepEqual(w.params, ["x' OR 1=1 --"])
  const store = storeOf(3)
  try {
    assert.equal(queryRuns(store.db, { where: `run_id = 'x'' OR 1=1 --'` }).length, 0)
    assert.throws(() => parseWhere('sharpe > 1; DROP TABLE runs'), /unexpected character ";" at character 11/)
    assert.equal(store.db.prepare('SELECT count(*) FROM runs').pluck().get(), 3)
  } finally {
    store.close()
  }
})

test('where: unknown columns get a did-you-mean; type mismatches and syntax errors point at the place', () => {
  assert.throws(() => parseWhere('sharp > 1'), /unknown column "sharp" at character 1[\s\S]*did you mean "sharpe"\?/)
  assert.throws(
    () => parseWhere("sharpe > '1'"),
    /sharpe is a number: compare it with a number, not text at character 10/,
  )
  assert.throws(() => parseWhere('preset = 3'), /preset holds text: quote the value \('3'\)/)
  assert.throws(
    () => parseWhere('sharpe >'),
    /expected a value for sharpe \(a number or 'quoted text'\), found the end/,
  )
  assert.throws(() => parseWhere("preset = 'x"), /text not closed by a matching quote at character 10/)
  assert.throws(() => parseWhere('sharpe > 1 sortino > 1'), /expected and, or, or the end, found "sortino"/)
  assert.throws(() => parseSort('-sharp'), /--sort: unknown column "sharp"; did you mean "sharpe"\?/)
})

test('queryRuns: filter and sort agree with the records; NULLs sort last both ways', () => {
  const store = storeOf(40)
  try {
    const runs = Array.from({ length: 40 }, (_, i) => variedRun(i))
    const expected = runs
      .filter((r) => r.backtest!.metrics.sharpe > 1 && r.preset === 'tabular_stacking')
      .sort((a, b) => b.backtest!.metrics.sharpe - a.backtest!.metrics.sharpe)
      .map((r) => r.runId)
    assert.ok(expected.length >= 2, 'the fixture has several matching runs')
    const got = queryRuns(store.db, {
      where: "sharpe > 1 and preset = 'tabular_stacking'",
      sort: '-sharpe',
      columns: [COLUMNS_BY_NAME.get('run_id')!, COLUMNS_BY_NAME.get('sharpe')!],
    })
    assert.deepEqual(
      got.map((r) => r.run_id),
      expected,
    )
    assert.deepEqual(Object.keys(got[0]), ['run_id', 'sharpe'])
    const bySortino = queryRuns(store.db, { sort: 'sortino', limit: 3 })
    assert.equal(bySortino.length, 3)
    assert.deepEqual(
      bySortino.map((r) => r.run_id),
      ['run-0039', 'run-0038', 'run-0037'],
      'no run has a sortino: ties keep newest first',
    )
    assert.deepEqual(
      queryRuns(store.db, { runIds: ['run-0003', 'run-0007'] }).map((r) => r.run_id),
      ['run-0007', 'run-0003'],
    )
  } finally {
    store.close()
  }
})

test('resolveRunId: the id, a unique prefix, or a clear error', () => {
  const store = storeOf(12)
  try {
    assert.equal(resolveRunId(store.db, 'run-0003'), 'run-0003')
    assert.equal(resolveRunId(store.db, 'run-0011'), 'run-0011')
    assert.throws(() => resolveRunId(store.db, 'run-001'), /"run-001" names several runs \(run-0010, run-0011\)/)
    assert.throws(() => resolveRunId(store.db, 'nope'), /no run "nope" in the store/)
  } finally {
    store.close()
  }
})
