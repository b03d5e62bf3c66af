import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { DriftReference } from '../../src/monitor/reference.js'
import { referenceOf } from './vectors.js'
import {
  createDriftMonitor,
  windowDrift,
  type DriftMonitor,
  type DriftMonitorConfig,
  type DriftStatus,
} from '../../src/monitor/monitor.js'
import type { DriftEvent } from '../../src/monitor/events.js'
import { gauss, uniform } from '../helpers.js'

/** Reference rows and the window: PSI's sampling noise is about (bins + 3) / window rows, 0.013 here. */
const N = 20_000
const W = 1000
const T0 = Date.UTC(2024, 0, 1)

/** Four features (two normal, one constant, a calendar one) and one output, each N(0, 1)-ish, from `seed`. */
function sample(seed: number, n: number) {
  const g = gauss(seed)
  const u = uniform(seed + 1)
  const a = Float64Array.from({ length: n }, g)
  const b = Float64Array.from({ length: n }, g)
  const constant = new Float64Array(n).fill(2.5)
  const dow = Float64Array.from({ length: n }, () => Math.floor(u() * 7))
  const p = Float64Array.from({ length: n }, () => 0.3 + 0.4 * u())
  return { features: [a, b, constant, dow], p }
}

function reference(): DriftReference {
  const s = sample(1, N)
  return referenceOf({
    interval: '1m',
    from: T0,
    to: T0 + (N - 1) * 60_000,
    bins: 10,
    features: [
      { name: 'a', group: 'momentum', values: s.features[0] },
      { name: 'b', group: 'volatility', values: s.features[1] },
      { name: 'flat', group: 'volume', values: s.features[2] },
      { name: 'dow', group: 'calendar', values: s.features[3] },
    ],
    outputs: [{ name: 'p_up', values: s.p }],
  })
}

const CONFIG: DriftMonitorConfig = {
  window: W,
  psi_warn: 0.1,
  psi_alert: 0.25,
  smoothing: 0.5,
  exclude_groups: ['calendar'],
}

/** Push rows of `s` (optionally changed by `edit`) and collect the events. */
function pushAll(
  m: DriftMonitor,
  s: ReturnType<typeof sample>,
  edit: (row: number[], i: number) => void = () => {},
  from = 0,
): DriftEvent[] {
  const events: DriftEvent[] = []
  for (let i = 0; i < s.p.length; i++) {
    const row = s.features.map((c) => c[i])
    edit(row, i)
    events.push(...m.push(row, { p_up: s.p[i] }, T0 + (from + i) * 60_000))
  }
  return events
}

/** Every number anywhere in `x` is finite. */
function assertAllFinite(x: unknown, path = '$'): void {
  if (typeof x === 'number') assert.ok(Number.isFinite(x), `${path} is ${x}`)
  else if (Array.isArray(x)) x.forEach((v, i) => assertAllFinite(v, `${path}[${i}]`))
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) assertAllFinite(v, `${path}.${k}`)
}

test('same distribution: warming up until the window is full, then ok, no event', () => {
  const m = createDriftMonitor(reference(), CONFIG)
  assert.equal(m.windowRows, W)
  assert.deepEqual(m.status().columns, [])
  const s = sample(2, 3 * W)
  const events = pushAll(m, { features: s.features.map((c) => c.subarray(0, W - 1)), p: s.p.subarray(0, W - 1) })
  const warming = m.status()
  assert.equal(warming.state, 'warming_up')
  assert.equal(warming.rows, W - 1)
  events.push(
    ...pushAll(m, { features: s.features.map((c) => c.subarray(W - 1)), p: s.p.subarray(W - 1) }, undefined, W - 1),
  )
  assert.deepEqual(events, [])
  const st = m.status()
  assert.equal(st.state, 'ok')
  assert.deepEqual([st.rows, st.seen, st.windowRows], [W, 3 * W, W])
  assert.equal(st.lastTs, new Date(T0 + (3 * W - 1) * 60_000).toISOString())
  assert.ok(
    st.columns.every((c) => c.psi < 0.05 || c.excluded),
    JSON.stringify(st.columns.map((c) => [c.name, c.psi])),
  )
  assertAllFinite(st)
})

for (const [name, edit] of [
  ['a mean shift of one standard deviation', (row: number[]) => (row[0] += 1)],
  ['volatility doubling', (row: number[]) => (row[1] *= 2)],
] as const) {
  test(`${name} raises an alert on that column within the window, and only there`, () => {
    const m = createDriftMonitor(reference(), CONFIG)
    const s = sample(3, 2 * W)
    assert.deepEqual(pushAll(m, s), [])
    const events = pushAll(m, sample(4, W), edit, 2 * W)
    const column = name.startsWith('a mean') ? 'a' : 'b'
    const alert = events.find((e) => e.level === 'alert')
    assert.ok(alert, `no alert within ${W} rows of the shift`)
    assert.equal(alert.column, column)
    assert.equal(alert.kind, 'feature')
    assert.equal(alert.previous, 'warn')
    assert.equal(alert.threshold, 0.25)
    assert.ok(alert.psi >= 0.25 && alert.row > 2 * W && alert.row <= 3 * W, String(alert.row))
    assert.equal(alert.ts, new Date(T0 + (alert.row - 1) * 60_000).toISOString())
    // Only the shifted column changes level; it warns first (a level held until its PSI crosses back).
    assert.ok(events.every((e) => e.column === column))
    assert.deepEqual(events[0].level, 'warn')
    assert.equal(events[0].threshold, 0.1)
    assert.equal(m.status().state, 'alert')
    // Back to the reference distribution: the column falls back to ok within another window.
    const back = pushAll(m, sample(5, 2 * W), undefined, 3 * W)
    assert.deepEqual(back.map((e) => [e.previous, e.level, e.threshold]).at(-1), ['warn', 'ok', 0.1])
    assert.equal(m.status().state, 'ok')
  })
}

test('the sliding counts equal a fresh computation over the same rows, bit for bit', () => {
  const ref = reference()
  const m = createDriftMonitor(ref, CONFIG)
  const s = sample(6, 3 * W)
  const rows: number[][] = []
  for (let i = 0; i < s.p.length; i++) {
    const row = s.features.map((c) => c[i])
    // A drifting stream, so that the values are not all near zero; NaN now and then (missing).
    row[0] += i / 1000
    if (i % 37 === 0) row[1] = NaN
    rows.push([...row, s.p[i]])
    m.push(row, { p_up: s.p[i] })
    if ((i + 1) % 400 !== 0 && i !== 17) continue
    const last = rows.slice(-W)
    const columns = ref.features.columns
      .map((_, j) => Float64Array.from(last, (r) => r[j]))
      .concat([Float64Array.from(last, (r) => r[4])])
    assert.deepEqual(m.status().columns, windowDrift(ref, CONFIG, columns), `row ${i}`)
  }
  assert.ok(m.status().columns[1].missing > 0)
})

test('levels() is the status without the distances: the same state, window and per-column level, PSI and KL', () => {
  const m = createDriftMonitor(reference(), CONFIG)
  const withoutDistances = (st: DriftStatus) => ({
    ...st,
    columns: st.columns.map(({ wasserstein: _w, missing: _m, ...c }) => c),
  })
  assert.deepEqual(m.levels(), withoutDistances(m.status()))
  const s = sample(8, 2 * W)
  // Warming up, then full and drifting (column a moved by one standard deviation halfway), so levels change.
  pushAll(m, s, (row, i) => (row[0] += i >= W ? 1 : 0))
  const st = m.status()
  assert.equal(st.state, 'alert')
  assert.deepEqual(m.levels(), withoutDistances(st))
  const early = createDriftMonitor(reference(), CONFIG)
  pushAll(early, sample(9, W / 2))
  assert.equal(early.levels().state, 'warming_up')
  assert.deepEqual(early.levels(), withoutDistances(early.status()))
})

test('an excluded group is reported but never alerts; a constant feature is finite and alerts when it moves', () => {
  const m = createDriftMonitor(reference(), CONFIG)
  const events = pushAll(m, sample(7, 2 * W), (row) => {
    row[3] = 1 // every row on a Monday: the calendar column drifts by construction
  })
  assert.deepEqual(events, [])
  const dow = m.status().columns.find((c) => c.name === 'dow')!
  assert.ok(dow.excluded && dow.level === 'ok' && dow.psi > 1, JSON.stringify(dow))
  const flat = m.status().columns.find((c) => c.name === 'flat')!
  assert.ok(flat.psi < 0.05 && flat.wasserstein === 0, JSON.stringify(flat))
  const moved = pushAll(m, sample(8, W), (row) => (row[2] = 2.6))
  assert.ok(moved.some((e) => e.column === 'flat' && e.level === 'alert'))
  const after = m.status().columns.find((c) => c.name === 'flat')!
  // std 0: the distance stays in the feature's own units (0.1), not divided by zero.
  assert.ok(Math.abs(after.wasserstein - 0.1) < 1e-12, String(after.wasserstein))
  assertAllFinite(m.status())
})

test('a row that does not fit is refused naming what is wrong, and leaves the monitor unchanged', () => {
  const m = createDriftMonitor(reference(), CONFIG)
  pushAll(m, sample(9, 50))
  const before: DriftStatus = m.status()
  const ok = [0, 0, 2.5, 1]
  const cases: [ArrayLike<number>, Record<string, number>, number | undefined, RegExp][] = [
    [[0, 0, 2.5], { p_up: 0.5 }, undefined, /a row of 3 features; the reference has 4/],
    [[0, Infinity, 2.5, 1], { p_up: 0.5 }, undefined, /feature b is Infinity/],
    [ok, {}, undefined, /output p_up is missing/],
    [ok, { p_up: NaN }, undefined, /output p_up is NaN/],
    // A misspelt output is the right one missing (other keys, such as the signal, are not monitored).
    [ok, { p_upp: 0.5, signal: 1 }, undefined, /output p_up is missing/],
    [ok, { p_up: 0.5 }, NaN, /the row's time NaN is not a time/],
    [['x' as unknown as number, 0, 2.5, 1], { p_up: 0.5 }, undefined, /feature a is x/],
  ]
  for (const [features, outputs, ts, message] of cases) {
    assert.throws(() => m.push(features, outputs, ts), message)
    assert.deepEqual(m.status(), before)
  }
})

test('an unbounded output (an interval end at ±Infinity) is taken: it counts as not finite, every statistic stays finite', () => {
  const m = createDriftMonitor(reference(), CONFIG)
  const s = sample(12, 2 * W)
  pushAll(m, s)
  const before = m.status().columns.find((c) => c.name === 'p_up')!
  assert.equal(before.missing, 0)
  for (let i = 0; i < W / 4; i++) m.push([0, 0, 2.5, 1], { p_up: i % 2 ? Infinity : -Infinity })
  const after = m.status().columns.find((c) => c.name === 'p_up')!
  assert.equal(after.missing, W / 4)
  assert.ok(after.psi > before.psi && after.level !== 'ok', JSON.stringify(after))
  assertAllFinite(m.status())
})

test('settings the monitor cannot honour are refused', () => {
  const ref = reference()
  assert.throws(
    () => createDriftMonitor(ref, { ...CONFIG, psi_warn: 0.3 }),
    /psi_warn \(0\.3\) must be positive and below psi_alert/,
  )
  assert.throws(() => createDriftMonitor(ref, { ...CONFIG, smoothing: 0 }), /smoothing must be positive/)
  assert.throws(
    () => createDriftMonitor(ref, { ...CONFIG, window: 5 }),
    /the window 5 bars is 5 rows, fewer than the 10 bins/,
  )
  assert.throws(
    () => createDriftMonitor({ ...ref, interval: '5m' }, { ...CONFIG, window: '7m' }),
    /the window 7m is not a whole number of bars/,
  )
  assert.equal(createDriftMonitor(ref, { ...CONFIG, window: '1d' }).windowRows, 1440)
})

test('deterministic: the same rows give the same events and status', () => {
  const run = () => {
    const m = createDriftMonitor(reference(), CONFIG)
    const events = pushAll(m, sample(10, 2 * W), (row, i) => (row[0] += i > W ? 0.8 : 0))
    return { events, status: m.status() }
  }
  const a = run()
  assert.ok(a.events.length > 0)
  assert.deepEqual(run(), a)
})
