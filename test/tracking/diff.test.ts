import { test } from 'node:test'
import assert from 'node:assert/strict'
import { diffRuns, differing, flatten } from '../../src/tracking/diff.js'
import { sampleRun, variedRun } from './fixture.js'

test('flatten: dotted leaves, array items by index, empty containers kept', () => {
  assert.deepEqual(
    [...flatten({ a: { b: 1, c: [2, { d: 'x' }] }, e: [], f: {}, g: null, h: undefined })],
    [
      ['a.b', 1],
      ['a.c.0', 2],
      ['a.c.1.d', 'x'],
      ['e', '[]'],
      ['f', '{}'],
      ['g', null],
    ],
  )
})

test('differing: only keys whose values are not all equal; NaN equals NaN; a missing key differs', () => {
  const rows = differing([
    new Map<string, number>([
      ['same', 1],
      ['nan', NaN],
      ['diff', 1],
      ['only-a', 2],
    ]),
    new Map<string, number>([
      ['same', 1],
      ['nan', NaN],
      ['diff', 2],
    ]),
  ])
  assert.deepEqual(rows, [
    { key: 'diff', values: [1, 2] },
    { key: 'only-a', values: [2, undefined] },
  ])
})

test('diffRuns: identical runs differ nowhere; varied runs differ in their config values and metrics only', () => {
  const a = sampleRun('a')
  const same = diffRuns([a, { ...a, runId: 'b' }])
  assert.deepEqual([same.config, same.metrics], [[], []])
  assert.ok(same.compared.config > 0 && same.compared.metrics > 0)
  const d = diffRuns([variedRun(1), variedRun(2), variedRun(5)])
  assert.deepEqual(
    d.config.map((r) => r.key),
    ['seed', 'base_models.0.config.max_depth', 'base_models.0.config.learning_rate'],
  )
  assert.ok(d.config.every((r) => new Set(r.values).size > 1))
  assert.ok(d.metrics.some((r) => r.key === 'backtest.sharpe'))
  assert.ok(!d.metrics.some((r) => r.key === 'xgboost.val.auc'), 'validation metrics are the same in all three')
  assert.throws(() => diffRuns([a]), /a diff needs at least two runs, got 1/)
})
