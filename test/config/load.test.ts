import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../../src/config/load.js'
import { tempFile } from '../helpers.js'

test('a config validates, is frozen, and its hash ignores key order but not values', () => {
  const a = loadConfig(tempFile('a.yaml', 'symbol: FILUSDT\nseed: 7\ntimeframes: [1m, 5m, 1h]\n'))
  const b = loadConfig(tempFile('b.yaml', 'timeframes: [1m, 5m, 1h]\nseed: 7\nsymbol: FILUSDT\n'))
  const c = loadConfig(tempFile('c.yaml', 'timeframes: [1m, 5m, 1h]\nseed: 8\nsymbol: FILUSDT\n'))
  assert.equal(a.hash, b.hash)
  assert.notEqual(a.hash, c.hash)
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.data.validation))
  assert.equal(a.data.validation.duplicate_exact, 'drop')
  assert.throws(() => {
    ;(a as { seed: number }).seed = 1
  }, TypeError)
})

test('schema errors name the file, the line and the path of the bad field', () => {
  const path = tempFile('bad.yaml', 'symbol: X\ndata:\n  validation:\n    backward_step: sort\ntimeframes: [1m, 7x]\n')
  assert.throws(
    () => loadConfig(path),
    (err: Error) => {
      assert.match(err.message, new RegExp(`${path}:4: data\\.validation\\.backward_step: Invalid option`))
      assert.match(err.message, /:5: timeframes: invalid timeframe "7x"/)
      return true
    },
  )
  assert.throws(() => loadConfig(tempFile('typo.yaml', 'symbol: X\nseeed: 3\n')), /:2: .*Unrecognized key.*seeed/)
})

test('YAML syntax errors give the line', () => {
  assert.throws(
    () => loadConfig(tempFile('syntax.yaml', 'symbol: X\ndata:\n  columns: [a\n')),
    /syntax.yaml:\d+: YAML syntax error/,
  )
})
