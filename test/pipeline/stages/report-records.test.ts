import assert from 'node:assert/strict'
import { test } from 'node:test'
import { closeBars } from '../../helpers.js'
import { backtestConfigSchema, runBacktest } from '../../../src/backtest/engine.js'
import type { Model, ModelPart } from '../../../src/models/contract.js'
import {
  evenlySpaced,
  MAX_RECORDED_TRADES,
  namedLeaves,
  testPeriodRecord,
  tradesCsv,
  tradesRecord,
} from '../../../src/pipeline/stages/report-records.js'

test('the trade list is the backtest’s trades, each with its bars’ times, capped with the total kept', () => {
  const b = closeBars([100, 101, 103, 102, 99, 98, 100, 104])
  const rows = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7])
  const r = runBacktest(b, Float64Array.from([1, 0, 0, -0.5, 0, 0, 0, 0]), rows, 2, backtestConfigSchema.parse({}))
  const rec = tradesRecord(r.trades, b)
  assert.equal(rec.total, r.trades.length)
  assert.equal(rec.rows.length, 2)
  rec.rows.forEach((t, k) => {
    const x = r.trades[k]
    assert.equal(t.side, x.side > 0 ? 'long' : 'short')
    assert.equal(t.decision, new Date(b.ts[x.decisionIndex]).toISOString())
    assert.equal(t.entry, new Date(b.ts[x.entryIndex]).toISOString())
    assert.equal(t.exit, new Date(b.ts[x.exitIndex]).toISOString())
    assert.deepEqual(
      [t.size, t.entryPrice, t.exitPrice, t.gross, t.cost, t.net, t.reason],
      [x.size, x.entryPrice, x.exitPrice, x.gross, x.cost, x.net, x.exit],
    )
  })
  assert.deepEqual(rec.rows[1].side, 'short')
  assert.equal(rec.rows[1].size, 0.5)
  const csv = tradesCsv(r.trades, b).trim().split('\n')
  assert.equal(csv[0], 'side,size,decision,entry,exit,entry_price,exit_price,gross,cost,net,reason')
  assert.equal(csv[2].split(',')[9], String(r.trades[1].net))
  const many = Array.from({ length: MAX_RECORDED_TRADES + 5 }, () => r.trades[0])
  const capped = tradesRecord(many, b)
  assert.equal(capped.total, MAX_RECORDED_TRADES + 5)
  assert.equal(capped.rows.length, MAX_RECORDED_TRADES)
  assert.equal(tradesCsv(many, b).trim().split('\n').length, MAX_RECORDED_TRADES + 6)
})

test('the test period spans the first to the last test row’s bar', () => {
  const b = closeBars([1, 2, 3, 4, 5, 6])
  assert.deepEqual(testPeriodRecord(Int32Array.from([1, 2, 4]), b), {
    start: '2024-01-01T00:01:00.000Z',
    end: '2024-01-01T00:04:00.000Z',
    rows: 3,
    bars: 4,
  })
  assert.equal(testPeriodRecord(new Int32Array(0), b), undefined)
})

test('rows are thinned evenly, first kept, without a seed', () => {
  const rows = Int32Array.from({ length: 10 }, (_, i) => 100 + i)
  assert.deepEqual(Array.from(evenlySpaced(rows, 4)), [100, 102, 105, 107])
  assert.equal(evenlySpaced(rows, 20), rows)
})

test('the chain’s single models are named with their place in it', () => {
  const leaf = (name: string) => ({ spec: { name } }) as unknown as Model
  const part = (name: string, model: Model, features?: string[]): ModelPart => ({
    name,
    model,
    role: 'member',
    ...(features ? { features } : {}),
  })
  const stack = {
    spec: { name: 'stacking' },
    parts: [part('xgboost', leaf('xgboost')), part('knn', leaf('knn'), ['a'])],
  }
  const named = namedLeaves(stack as unknown as Model, 'stacking')
  assert.deepEqual(
    named.map((l) => [l.name, l.role, l.features ?? null]),
    [
      ['xgboost', 'member 1 of stacking', null],
      ['knn', 'member 2 of stacking', ['a']],
    ],
  )
  assert.deepEqual(
    namedLeaves(leaf('xgboost'), 'xgboost').map((l) => [l.name, l.role]),
    [['xgboost', 'final']],
  )
})
