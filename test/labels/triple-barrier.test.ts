import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Bars } from '../../src/data/bars.js'
import {
  BARRIER_LOWER,
  BARRIER_NONE,
  BARRIER_UPPER,
  BARRIER_VERTICAL,
  tripleBarrier,
} from '../../src/labels/triple-barrier.js'
import type { TripleBarrierConfig } from '../../src/labels/config.js'
import { atr } from '../../src/labels/volatility.js'
import { barsFrom, constant, randomBars, rng } from './helpers.js'

const flat: [number, number, number, number] = [100, 100.5, 99.5, 100]

/** Row 0 decides at close 100; vol 1, k 2 -> barriers 102 / 98 (entry at close). */
function path(...rest: [number, number, number, number][]): Bars {
  return barsFrom([flat, ...rest])
}
const base = { kUp: 2, kDown: 2, entry: 'close' as const }

test('upper barrier first: label 1, exit at the barrier, t1 = touch bar', () => {
  const bars = path([100, 101, 99.5, 100.5], [100.5, 102.5, 100, 102], flat, flat)
  const l = tripleBarrier(bars, constant(bars.length, 1), { ...base, maxHolding: 3 })
  assert.equal(l.label[0], 1)
  assert.equal(l.barrier[0], BARRIER_UPPER)
  assert.equal(l.t1Index[0], 2)
  assert.equal(l.t1[0], bars.ts[2])
  assert.equal(l.exitPrice[0], 102)
  assert.equal(l.ret[0], 0.02)
  assert.equal(l.upper[0], 102)
  assert.equal(l.lower[0], 98)
})

test('lower barrier first: label -1, exit at the barrier', () => {
  const bars = path([100, 100.5, 99, 99.2], [99.2, 99.5, 97.5, 98], [98, 103, 98, 103], flat)
  const l = tripleBarrier(bars, constant(bars.length, 1), { ...base, maxHolding: 3 })
  assert.equal(l.label[0], -1)
  assert.equal(l.barrier[0], BARRIER_LOWER)
  assert.equal(l.t1Index[0], 2)
  assert.equal(l.exitPrice[0], 98)
  assert.equal(l.ret[0], -0.02)
})

test('vertical barrier: exit at the close of bar t+maxHolding, label = sign of the return', () => {
  const bars = path([100, 101, 99, 100.5], [100.5, 101.5, 100, 101], [101, 101.9, 100.5, 101.5], flat)
  const l = tripleBarrier(bars, constant(bars.length, 1), { ...base, maxHolding: 4 })
  assert.equal(l.barrier[0], BARRIER_VERTICAL)
  assert.equal(l.t1Index[0], 4)
  assert.equal(l.exitPrice[0], 100)
  assert.equal(l.label[0], 0, 'close back at 100: zero return')
  const l2 = tripleBarrier(bars, constant(bars.length, 1), { ...base, maxHolding: 3 })
  assert.equal(l2.barrier[0], BARRIER_VERTICAL)
  assert.equal(l2.t1Index[0], 3)
  assert.equal(l2.exitPrice[0], 101.5)
  assert.equal(l2.label[0], 1)
  const l3 = tripleBarrier(bars, constant(bars.length, 1), { ...base, maxHolding: 3, verticalLabel: 'zero' })
  assert.equal(l3.label[0], 0)
})

test('costs fold into the barriers: a touch without costs becomes a miss with them', () => {
  const bars = path([100, 102.2, 99.5, 100.3], [100.3, 100.5, 99.8, 100.3])
  const vol = constant(bars.length, 1)
  const free = tripleBarrier(bars, vol, { ...base, maxHolding: 2 })
  assert.equal(free.barrier[0], BARRIER_UPPER)
  assert.equal(free.label[0], 1)
  const costly = tripleBarrier(bars, vol, { ...base, maxHolding: 2, costPrice: 0.5 })
  assert.equal(costly.upper[0], 102.5)
  assert.equal(costly.lower[0], 97.5)
  assert.equal(costly.barrier[0], BARRIER_VERTICAL)
  // +0.3% gross is below the 0.5% round-trip cost: no direction pays, label 0.
  assert.equal(costly.label[0], 0)
  assert.ok(Math.abs(costly.ret[0] - 0.003) < 1e-12)
  // costBps adds a cost proportional to the entry price: 50 bps of 100 = 0.5, the same barriers.
  const bps = tripleBarrier(bars, vol, { ...base, maxHolding: 2, costBps: 50 })
  assert.equal(bps.upper[0], 102.5)
  assert.equal(bps.barrier[0], BARRIER_VERTICAL)
})

test('gaps: a bar opening beyond a barrier fills at its open, not at the barrier', () => {
  const up = path([100, 101, 99.5, 100.5], [103, 104, 102.8, 103.5])
  const lu = tripleBarrier(up, constant(up.length, 1), { ...base, maxHolding: 2 })
  assert.equal(lu.barrier[0], BARRIER_UPPER)
  assert.equal(lu.exitPrice[0], 103)
  assert.equal(lu.ret[0], 0.03)
  const down = path([100, 101, 99.5, 100.5], [96.5, 99, 96, 98.5])
  const ld = tripleBarrier(down, constant(down.length, 1), { ...base, maxHolding: 2 })
  assert.equal(ld.barrier[0], BARRIER_LOWER, 'the gap open is first even though the high reaches 99')
  assert.equal(ld.exitPrice[0], 96.5)
  // A gap open beyond the upper barrier wins even when the same bar's low also pierces the lower barrier.
  const both = path([103, 103, 97, 99])
  const lb = tripleBarrier(both, constant(both.length, 1), { ...base, maxHolding: 1 })
  assert.equal(lb.barrier[0], BARRIER_UPPER)
  assert.equal(lb.exitPrice[0], 103)
})

test('both barriers inside one bar: stop_first takes the stop, nearest_to_open the closer one', () => {
  const bars = path([101.5, 102.5, 97.5, 100])
  const vol = constant(bars.length, 1)
  const cons = tripleBarrier(bars, vol, { ...base, maxHolding: 1 })
  assert.equal(cons.barrier[0], BARRIER_LOWER)
  assert.equal(cons.label[0], -1)
  assert.equal(cons.exitPrice[0], 98)
  const near = tripleBarrier(bars, vol, { ...base, maxHolding: 1, intrabar: 'nearest_to_open' })
  assert.equal(near.barrier[0], BARRIER_UPPER, 'open 101.5 is 0.5 from 102 and 3.5 from 98')
  assert.equal(near.label[0], 1)
  // For a short (meta-labeling), the stop is the upper barrier.
  const short = tripleBarrier(bars, vol, { ...base, maxHolding: 1 }, Int8Array.from([-1, 0]))
  assert.equal(short.barrier[0], BARRIER_UPPER)
  assert.equal(short.label[0], 0)
})

test('entry at the next open (default): barriers around open[t+1], search from bar t+1', () => {
  const bars = path([101, 102.9, 100.5, 102], [102, 103.1, 101.5, 103])
  const l = tripleBarrier(bars, constant(bars.length, 1), { kUp: 2, kDown: 2, maxHolding: 2 })
  assert.equal(l.entryPrice[0], 101)
  assert.equal(l.upper[0], 103)
  assert.equal(l.lower[0], 99)
  assert.equal(l.barrier[0], BARRIER_UPPER)
  assert.equal(l.t1Index[0], 2)
})

test('meta-labeling: side picks the profit direction; cost moves the target away and the stop closer', () => {
  const bars = path([100, 101, 99.5, 100], [100, 100.5, 98.4, 99], [99, 99, 96, 96])
  const vol = constant(bars.length, 1)
  const cfg = { kUp: 3, kDown: 2, entry: 'close' as const, maxHolding: 3, costPrice: 0.5 }
  const long = tripleBarrier(bars, vol, cfg, Int8Array.from([1, 0, 0, 0]))
  assert.equal(long.upper[0], 103.5)
  assert.equal(long.lower[0], 98.5)
  assert.equal(long.barrier[0], BARRIER_LOWER)
  assert.equal(long.label[0], 0)
  assert.equal(long.ret[0], -0.015)
  // Short: upper = entry + (kDown - c)*vol, lower = entry - (kUp + c)*vol (vol = 1 here).
  const short = tripleBarrier(bars, vol, cfg, Int8Array.from([-1, 0, 0, 0]))
  assert.equal(short.upper[0], 101.5)
  assert.equal(short.lower[0], 96.5)
  assert.equal(short.barrier[0], BARRIER_LOWER)
  assert.equal(short.label[0], 1)
  assert.equal(short.ret[0], 0.035)
  assert.equal(short.barrier[1], BARRIER_NONE, 'side 0: no event')
})

test('rows without an event: warm-up NaN volatility, the last maxHolding rows, minReturn', () => {
  const bars = randomBars(50, 3)
  const vol = atr(bars, 14)
  const l = tripleBarrier(bars, vol, { maxHolding: 10 })
  for (let t = 0; t < 13; t++) assert.equal(l.barrier[t], BARRIER_NONE)
  for (let t = 13; t < 40; t++) assert.notEqual(l.barrier[t], BARRIER_NONE)
  for (let t = 40; t < 50; t++) {
    assert.equal(l.barrier[t], BARRIER_NONE)
    assert.ok(Number.isNaN(l.t1[t]))
  }
  const high = tripleBarrier(bars, vol, { maxHolding: 10, minReturn: 1 })
  assert.ok(high.barrier.every((b) => b === BARRIER_NONE))
})

test('bad input gets a clear error', () => {
  const bars = randomBars(30, 1)
  const vol = constant(30, 1)
  assert.throws(
    () => tripleBarrier(bars, vol, { maxHolding: 30 }),
    /maxHolding=30 bars is longer than the data \(30 bars\)/,
  )
  assert.throws(() => tripleBarrier(bars, vol, { kUp: 0 }), /labels\.tripleBarrier\.kUp/)
  assert.throws(() => tripleBarrier(bars, vol, { kDown: -1 }), /labels\.tripleBarrier\.kDown/)
  const zero = constant(30, 1)
  zero[7] = 0
  assert.throws(() => tripleBarrier(bars, zero, { maxHolding: 5 }), /finite and > 0, got 0 at row 7 \(2024-01-01T00:07/)
  const hole = constant(30, 1)
  hole[9] = NaN
  assert.throws(() => tripleBarrier(bars, hole, { maxHolding: 5 }), /NaN at row 9 .* after warm-up ended at row 0/)
  assert.throws(() => tripleBarrier(bars, constant(30, NaN), { maxHolding: 5 }), /NaN on every row/)
  assert.throws(() => tripleBarrier(bars, constant(29, 1), { maxHolding: 5 }), /29 values for 30 bars/)
  assert.throws(
    () => tripleBarrier(bars, constant(30, 0.001), { maxHolding: 5, costPrice: 1 }, constant(30, 1)),
    /cost 1 reaches the stop/,
  )
})

/** Direct scan of every bar in the horizon: the specification the sparse-table search must match. */
function reference(bars: Bars, vol: Float64Array, cfg: Partial<TripleBarrierConfig> & { maxHolding: number }) {
  const n = bars.length
  const H = cfg.maxHolding
  const out: { barrier: number; j: number; exit: number }[] = []
  for (let t = 0; t + H < n; t++) {
    const entry = cfg.entry === 'close' ? bars.close[t] : bars.open[t + 1]
    const c = (cfg.costPrice ?? 0) + (cfg.costBps ?? 0) * 1e-4 * entry
    const up = entry + (cfg.kUp ?? 2) * vol[t] + c
    const dn = entry - (cfg.kDown ?? 2) * vol[t] - c
    let res = { barrier: BARRIER_VERTICAL, j: t + H, exit: bars.close[t + H] }
    for (let j = t + 1; j <= t + H; j++) {
      const o = bars.open[j]
      const hu = bars.high[j] >= up
      const hd = bars.low[j] <= dn
      if (!hu && !hd) continue
      let b: number
      if (o >= up) b = BARRIER_UPPER
      else if (o <= dn) b = BARRIER_LOWER
      else if (hu && hd) b = BARRIER_LOWER
      else b = hu ? BARRIER_UPPER : BARRIER_LOWER
      res = { barrier: b, j, exit: b === BARRIER_UPPER ? Math.max(o, up) : Math.min(o, dn) }
      break
    }
    out.push(res)
  }
  return out
}

test('sparse-table first-touch search equals a direct scan on random paths with gaps', () => {
  const r = rng(42)
  for (let trial = 0; trial < 40; trial++) {
    const bars = randomBars(400, 1000 + trial, 0.1)
    const vol = constant(400, 0.05 + r() * 0.4)
    const cfg = {
      kUp: 0.5 + r() * 3,
      kDown: 0.5 + r() * 3,
      maxHolding: 1 + Math.floor(r() * 90),
      entry: r() < 0.5 ? ('close' as const) : ('next_open' as const),
      costPrice: r() < 0.5 ? 0 : r() * 0.2,
    }
    const got = tripleBarrier(bars, vol, cfg)
    const want = reference(bars, vol, cfg)
    want.forEach((w, t) => {
      const where = `trial ${trial} row ${t} cfg ${JSON.stringify(cfg)}`
      assert.equal(got.barrier[t], w.barrier, where)
      assert.equal(got.t1Index[t], w.j, where)
      assert.equal(got.exitPrice[t], w.exit, where)
    })
  }
})

test('labels are causal in the decision data and only depend on bars up to t1', () => {
  const bars = randomBars(300, 9)
  const vol = atr(bars, 14)
  const cfg = { maxHolding: 20, costPrice: 0.01 }
  const l = tripleBarrier(bars, vol, cfg)
  const t = 120
  const j = l.t1Index[t]
  assert.ok(j > t)
  // Perturb every bar after t1: the label of row t, its ret and t1 must not move.
  const p: Bars = {
    ...bars,
    open: bars.open.slice(),
    high: bars.high.slice(),
    low: bars.low.slice(),
    close: bars.close.slice(),
  }
  for (let i = j + 1; i < bars.length; i++) {
    p.open[i] *= 1.05
    p.high[i] *= 1.07
    p.low[i] *= 0.93
    p.close[i] *= 0.97
  }
  const l2 = tripleBarrier(p, atr(p, 14), cfg)
  assert.equal(l2.label[t], l.label[t])
  assert.equal(l2.t1Index[t], j)
  assert.equal(l2.ret[t], l.ret[t])
})

test('deterministic: same input, identical output', () => {
  const bars = randomBars(500, 5)
  const vol = atr(bars, 14)
  const a = tripleBarrier(bars, vol, { maxHolding: 30 })
  const b = tripleBarrier(bars, vol, { maxHolding: 30 })
  assert.deepEqual(a, b)
})
