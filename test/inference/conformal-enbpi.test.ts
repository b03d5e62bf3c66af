import assert from 'node:assert/strict'
import test from 'node:test'
import {
  blockBootstrapBags,
  bootstrapBags,
  type Bag,
  type BootstrapMember,
} from '../../src/inference/conformal/bootstrap.js'
import { fitEnbpi, replayEnbpi, resumeEnbpi, type Enbpi } from '../../src/inference/conformal/enbpi.js'
import { replayOrder } from '../../src/inference/conformal/label-feed.js'
import { gauss } from '../helpers.js'

// Four training rows, three models; row 3 is in every bag, row 2 in none. Leave-one-out aggregates: row 0 model 1
// (5), row 1 model 0 (2), row 2 all three (mean and median 7): residuals 1, 2, 3 against targets 4.
const members: BootstrapMember[] = [
  { inBag: Uint8Array.of(1, 0, 0, 1), atTrain: Float64Array.of(1, 2, 3, 0) },
  { inBag: Uint8Array.of(0, 1, 0, 1), atTrain: Float64Array.of(5, 6, 7, 0) },
  { inBag: Uint8Array.of(1, 1, 0, 1), atTrain: Float64Array.of(9, 10, 11, 0) },
]
const y = Float64Array.of(4, 4, 4, 100)

test('enbpi centres on the ensemble aggregate, not on one member, and slides its residual window', () => {
  const enbpi = fitEnbpi(members, y, { coverage: 0.5 })
  const s = enbpi.state()
  assert.deepEqual([s.residuals, s.window, s.inEveryBag], [[1, 2, 3], 3, 1])
  // Diverse members 0, 10, 50: the centre is their mean 20 (member 0 alone would say 0). Coverage 0.5 takes rank
  // ceil(4 * 0.5) = 2 of the residuals 1, 2, 3: margin 2.
  assert.deepEqual(enbpi.predict(0, Float64Array.of(0, 10, 50), 0, 1), { lo: 18, hi: 22, centre: 20 })
  // The outcome 30 adds |30 - 20| = 10 and pushes out the oldest residual (1): window 2, 3, 10, margin 3.
  enbpi.observe(0, 30, 1)
  assert.deepEqual(enbpi.state().residuals, [2, 3, 10])
  assert.deepEqual(enbpi.predict(1, Float64Array.of(0, 10, 50), 1, 2), { lo: 17, hi: 23, centre: 20 })
  // The median ensemble: centre 10.
  const median = fitEnbpi(members, y, { coverage: 0.5, aggregate: 'median' })
  assert.deepEqual(median.predict(0, Float64Array.of(0, 10, 50), 0, 1), { lo: 8, hi: 12, centre: 10 })
  // Too few residuals for 0.9: no bound, by the shared rule.
  const wide = fitEnbpi(members, y, { coverage: 0.9 })
  assert.deepEqual(wide.predict(0, Float64Array.of(0, 10, 50), 0, 1), { lo: -Infinity, hi: Infinity, centre: 20 })
})

test('enbpi refuses bad input and outcomes not known yet, naming the row', () => {
  const enbpi = fitEnbpi(members, y, { coverage: 0.5 })
  assert.throws(() => enbpi.predict(0, Float64Array.of(1, 2), 0, 1), /row 0 has 2 model predictions, not 3/)
  assert.throws(() => enbpi.predict(0, Float64Array.of(1, NaN, 2), 0, 1), /model 1's prediction at row 0 is NaN/)
  enbpi.predict(0, Float64Array.of(1, 2, 3), 0, 5)
  assert.throws(() => enbpi.observe(0, 1, 4), /row 0's label closes at 5; its outcome is not known at 4/)
  assert.throws(() => enbpi.observe(0, Infinity, 5), /row 0's outcome is Infinity/)
  assert.throws(() => enbpi.predict(1, Float64Array.of(1, 2, 3), 5, 6), /row 0's label closed at 5: feed its outcome/)
  assert.throws(() => fitEnbpi(members, Float64Array.of(4, 4, NaN, 1), { coverage: 0.5 }), /target at training row 2/)
  const full = members.map((m) => ({ ...m, inBag: Uint8Array.of(1, 1, 1, 1) }))
  assert.throws(() => fitEnbpi(full, y, { coverage: 0.5 }), /every training row is in all 3 bags/)
  assert.throws(() => fitEnbpi(members, y, { coverage: 0.5, aggregate: 'first' } as never), /invalid parameters/)
  const saved = enbpi.state()
  assert.throws(() => resumeEnbpi({ ...saved, residuals: [1] }), /holds 1 residuals, not its window of 3/)
  assert.throws(() => resumeEnbpi({ ...saved, format: 'mlfactory.aci/1' }), /not a saved EnbPI state: format/)
})

/** Least-squares line through the rows of a bag (repeated rows count as often as they were drawn). */
function fitLine(x: Float64Array, yy: Float64Array, rows: Int32Array): (v: number) => number {
  let sx = 0
  let sy = 0
  let sxx = 0
  let sxy = 0
  for (const i of rows) {
    sx += x[i]
    sy += yy[i]
    sxx += x[i] * x[i]
    sxy += x[i] * yy[i]
  }
  const n = rows.length
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
  const intercept = (sy - slope * sx) / n
  return (v) => intercept + slope * v
}

/** The ensemble fitted on `bags`, and its members' predictions at the fresh rows (row-major, m x B). */
function ensemble(bags: Bag[], train: { x: Float64Array; y: Float64Array }, fresh: Float64Array) {
  const lines = bags.map((bag) => fitLine(train.x, train.y, bag.rows))
  const fitted = bags.map((bag, b) => ({ inBag: bag.inBag, atTrain: train.x.map(lines[b]) }))
  const at = new Float64Array(fresh.length * bags.length)
  fresh.forEach((v, t) => lines.forEach((line, b) => (at[t * bags.length + b] = line(v))))
  return { fitted, at }
}

const clock = (m: number, horizon: number) => {
  const time = Float64Array.from({ length: m }, (_, t) => t)
  return { time, closesAt: time.map((t) => t + horizon) }
}

test('coverage over 200 repetitions of exchangeable data: enbpi at 0.9 with online residual updates', (t) => {
  const g = gauss(61)
  const coverage = 0.9
  const reps = 200
  const covs = { mean: [] as number[], median: [] as number[] }
  for (let r = 0; r < reps; r++) {
    // y = 1 + 2x + N(0, 1); 99 training rows, 30 bags, 200 fresh rows fed as a stream (labels close a step later).
    const rows = (n: number) => {
      const x = Float64Array.from({ length: n }, g)
      return { x, y: x.map((v) => 1 + 2 * v + g()) }
    }
    const train = rows(99)
    const fresh = rows(200)
    const { fitted, at } = ensemble(bootstrapBags(99, 30, r), train, fresh.x)
    for (const how of ['mean', 'median'] as const) {
      const enbpi = fitEnbpi(fitted, train.y, { coverage, aggregate: how })
      const iv = replayEnbpi(enbpi, { ...clock(200, 1), memberPredictions: at, y: fresh.y })
      covs[how].push(fresh.y.reduce((s, v, k) => s + (v >= iv.lo[k] && v <= iv.hi[k] ? 1 : 0), 0) / 200)
    }
  }
  for (const [how, c] of Object.entries(covs)) {
    const mean = c.reduce((s, v) => s + v, 0) / reps
    const se = Math.sqrt(c.reduce((s, v) => s + (v - mean) ** 2, 0) / (reps - 1) / reps)
    t.diagnostic(`enbpi ${how}: mean coverage ${mean.toFixed(4)} (se ${se.toFixed(4)})`)
    // Measured standard error 0.001 (the online window averages out the training draw): 0.01 is ten of them.
    assert.ok(se < 0.0033, `${how}: standard error ${se}`)
    assert.ok(Math.abs(mean - coverage) < 0.01, `${how}: mean coverage ${mean} (se ${se})`)
  }
})

test('enbpi on block-bootstrap bags is deterministic and resumes from JSON mid-stream bit for bit', () => {
  const g = gauss(71)
  // An AR(1) series y_t = 0.7 y_{t-1} + e_t, predicted from y_{t-1}: training rows 0..299, then 400 live rows.
  const series = new Float64Array(701)
  for (let t = 1; t < series.length; t++) series[t] = 0.7 * series[t - 1] + g()
  const x = series.subarray(0, 700)
  const target = series.subarray(1, 701)
  const train = { x: x.slice(0, 300), y: target.slice(0, 300) }
  const fresh = { x: x.slice(300), y: target.slice(300) }
  const bits = (a: Float64Array) => Buffer.from(a.buffer).toString('hex')
  const run = () => {
    const { fitted, at } = ensemble(blockBootstrapBags(300, 20, 10, 3), train, fresh.x)
    return { enbpi: fitEnbpi(fitted, train.y, { coverage: 0.9 }), at }
  }
  const rows = { ...clock(400, 3), y: fresh.y }
  const a = run()
  const whole = replayEnbpi(a.enbpi, { ...rows, memberPredictions: a.at })
  const again = replayEnbpi(run().enbpi, { ...rows, memberPredictions: a.at })
  assert.equal(bits(whole.lo), bits(again.lo))
  assert.equal(bits(whole.hi), bits(again.hi))
  const events = replayOrder(rows.time, rows.closesAt)
  const lo = new Float64Array(400)
  const hi = new Float64Array(400)
  let enbpi: Enbpi = run().enbpi
  events.forEach((e, k) => {
    if (k === 333) {
      assert.ok(enbpi.state().pending.length > 0)
      enbpi = resumeEnbpi(JSON.parse(JSON.stringify(enbpi.state())))
    }
    if (e.kind === 'observe') enbpi.observe(e.row, rows.y[e.row], rows.closesAt[e.row])
    else
      ({ lo: lo[e.row], hi: hi[e.row] } = enbpi.predict(
        e.row,
        a.at.subarray(e.row * 20, e.row * 20 + 20),
        rows.time[e.row],
        rows.closesAt[e.row],
      ))
  })
  assert.equal(bits(lo), bits(whole.lo))
  assert.equal(bits(hi), bits(whole.hi))
})
