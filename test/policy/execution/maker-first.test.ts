import { test } from 'node:test'
import assert from 'node:assert/strict'
import { limitFill, makerFirstExecutionSchema } from '../../../src/policy/execution/maker-first.js'

test('a resting buy fills only when the bar reaches the limit: beyond it (through) or at it (touch)', () => {
  const bar = (high: number, low: number, volume = 10) => ({ high, low, volume })
  // Buy limit at 99.9.
  assert.equal(limitFill(true, 99.9, bar(100.5, 99.95), 'through', 1), 0)
  assert.equal(limitFill(true, 99.9, bar(100.5, 99.9), 'through', 1), 0)
  assert.equal(limitFill(true, 99.9, bar(100.5, 99.9), 'touch', 1), 1)
  assert.equal(limitFill(true, 99.9, bar(100.5, 99.8), 'through', 1), 1)
  // Sell limit at 100.1.
  assert.equal(limitFill(false, 100.1, bar(100.05, 99), 'through', 2), 0)
  assert.equal(limitFill(false, 100.1, bar(100.1, 99), 'through', 2), 0)
  assert.equal(limitFill(false, 100.1, bar(100.1, 99), 'touch', 2), 2)
  assert.equal(limitFill(false, 100.1, bar(100.3, 99), 'through', 2), 2)
})

test('partial fills: at most the volume share of the bar, in the order units; a bar without volume fills whole', () => {
  const cap = { share: 0.1, unitsPerBase: 1 / 1000 }
  // 10% of 500 base units = 50 base = 0.05 order units.
  assert.equal(limitFill(true, 99.9, { high: 100, low: 99, volume: 500 }, 'through', 1, cap), 0.05)
  assert.equal(limitFill(true, 99.9, { high: 100, low: 99, volume: 500 }, 'through', 0.01, cap), 0.01)
  assert.equal(limitFill(true, 99.9, { high: 100, low: 99, volume: NaN }, 'through', 0.7, cap), 0.7)
  assert.equal(limitFill(true, 99.9, { high: 100, low: 99, volume: 0 }, 'through', 0.7, cap), 0)
  assert.equal(limitFill(true, 99.9, { high: 100, low: 99.95, volume: 500 }, 'through', 1, cap), 0)
})

test('maker_first params: defaults, ranges and keys', () => {
  assert.deepEqual(makerFirstExecutionSchema.parse({ kind: 'maker_first' }), {
    kind: 'maker_first',
    offset: 1,
    timeout: 5,
    on_timeout: 'cross',
    fill: 'through',
    maker_fee: 1,
  })
  assert.ok(!makerFirstExecutionSchema.safeParse({ kind: 'maker_first', offset: -1 }).success)
  assert.ok(!makerFirstExecutionSchema.safeParse({ kind: 'maker_first', timeout: 0 }).success)
  assert.ok(
    !makerFirstExecutionSchema.safeParse({ kind: 'maker_first', partial_fills: { volume_share: 2, capital: 1 } })
      .success,
  )
})
