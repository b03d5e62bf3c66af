import { test } from 'node:test'
import assert from 'node:assert/strict'
import { atr, rollingStd } from '../../src/labels/volatility.js'
import { barsFrom, randomBars } from './helpers.js'

test('ATR: Wilder seed and smoothing on a hand-computed path', () => {
  const bars = barsFrom([
    [10, 11, 9, 10], // TR 2
    [10, 12, 10, 11], // TR max(2, 2, 0) = 2
    [11, 11.5, 8, 9], // TR max(3.5, 0.5, 3) = 3.5
    [9, 9.5, 9, 9.2], // TR max(0.5, 0.5, 0) = 0.5
  ])
  const a = atr(bars, 3)
  assert.ok(Number.isNaN(a[0]) && Number.isNaN(a[1]))
  assert.equal(a[2], 2.5)
  assert.equal(a[3], (2.5 * 2 + 0.5) / 3)
})

test('rolling std of log returns times close: matches a direct computation', () => {
  const bars = randomBars(40, 8)
  const s = rollingStd(bars, 5)
  for (let i = 0; i < 5; i++) assert.ok(Number.isNaN(s[i]))
  const r = [...Array(40).keys()].map((i) => (i === 0 ? 0 : Math.log(bars.close[i] / bars.close[i - 1])))
  const w = r.slice(16, 21)
  const m = w.reduce((a, b) => a + b, 0) / 5
  const sd = Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / 4)
  assert.ok(Math.abs(s[20] - sd * bars.close[20]) < 1e-15)
})

test('volatility is causal: changing bars after T moves nothing at or before T', () => {
  const bars = randomBars(200, 4)
  const T = 120
  const p = { ...bars, high: bars.high.slice(), low: bars.low.slice(), close: bars.close.slice() }
  for (let i = T + 1; i < 200; i++) {
    p.high[i] *= 1.1
    p.low[i] *= 0.9
    p.close[i] *= 1.03
  }
  for (const [f, g] of [
    [atr(bars, 14), atr(p, 14)],
    [rollingStd(bars, 20), rollingStd(p, 20)],
  ]) {
    assert.deepEqual([...f.subarray(0, T + 1)], [...g.subarray(0, T + 1)])
    assert.notDeepEqual([...f.subarray(T + 1)], [...g.subarray(T + 1)])
  }
  assert.throws(() => atr(bars, 0), /positive integer/)
  assert.throws(() => atr(bars, 201), /longer than the data/)
})
