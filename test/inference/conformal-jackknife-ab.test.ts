import assert from 'node:assert/strict'
import test from 'node:test'
import { blockBootstrapBags, bootstrapBags, type Bag } from '../../src/inference/conformal/bootstrap.js'
import { jackknifePlusAfterBootstrap, type JabMember } from '../../src/inference/conformal/jackknife-ab.js'
import { conformalBand } from '../../src/inference/conformal/outputs.js'
import { gauss } from '../helpers.js'

test('jackknife+ab on a hand-computed case: a row in every bag is left out and counted', () => {
  // Four training rows, three models; row 3 is in every bag, row 2 in none.
  const members: JabMember[] = [
    { inBag: Uint8Array.of(1, 0, 0, 1), atTrain: Float64Array.of(1, 2, 3, 0), atNew: Float64Array.of(10) },
    { inBag: Uint8Array.of(0, 1, 0, 1), atTrain: Float64Array.of(5, 6, 7, 0), atNew: Float64Array.of(20) },
    { inBag: Uint8Array.of(1, 1, 0, 1), atTrain: Float64Array.of(9, 10, 11, 0), atNew: Float64Array.of(60) },
  ]
  const y = Float64Array.of(4, 4, 4, 100)
  // Left-out aggregates at the training rows: row 0 model 1 (5), row 1 model 0 (2), row 2 all three (mean 7,
  // median 7): residuals 1, 2, 3. At the new row: mu_-0 = 20, mu_-1 = 10, mu_-2 = 30 (mean) or 20 (median).
  // Coverage 0.5 takes rank ceil(4 * 0.5) = 2 of mu + R and rank 4 - 2 = 2 of mu - R.
  const mean = jackknifePlusAfterBootstrap(members, y, { coverage: 0.5 })
  // mu + R: 21, 12, 33 -> 21; mu - R: 19, 8, 27 -> 19.
  assert.deepEqual([mean.lo[0], mean.hi[0], mean.n, mean.inEveryBag], [19, 21, 3, 1])
  const median = jackknifePlusAfterBootstrap(members, y, { coverage: 0.5, aggregate: 'median' })
  // mu + R: 21, 12, 23 -> 21; mu - R: 19, 8, 17 -> 17.
  assert.deepEqual([median.lo[0], median.hi[0]], [17, 21])
  assert.deepEqual([...conformalBand(median).uncertainty], [4])
  // Too few rows for 0.9: both ends unbounded, the width infinite (not NaN).
  const wide = jackknifePlusAfterBootstrap(members, y, { coverage: 0.9 })
  assert.deepEqual([...conformalBand(wide).uncertainty], [Infinity])
})

test('jackknife+ab refuses bad input, naming the model and the row', () => {
  const ok = (): JabMember => ({
    inBag: Uint8Array.of(1, 0),
    atTrain: Float64Array.of(1, 2),
    atNew: Float64Array.of(3),
  })
  const y = Float64Array.of(1, 2)
  assert.throws(
    () => jackknifePlusAfterBootstrap([ok(), { ...ok(), atTrain: Float64Array.of(1, NaN) }], y, { coverage: 0.5 }),
    /model 1's prediction at training row 1 is NaN/,
  )
  assert.throws(
    () => jackknifePlusAfterBootstrap([ok(), { ...ok(), atNew: Float64Array.of(Infinity) }], y, { coverage: 0.5 }),
    /model 1's prediction at new row 0 is Infinity/,
  )
  assert.throws(
    () => jackknifePlusAfterBootstrap([ok()], Float64Array.of(1, NaN), { coverage: 0.5 }),
    /target at training row 1 is NaN/,
  )
  assert.throws(
    () => jackknifePlusAfterBootstrap([ok(), { ...ok(), inBag: Uint8Array.of(1) }], y, { coverage: 0.5 }),
    /model 1's bag mask has 1 rows, not 2/,
  )
  const full = { ...ok(), inBag: Uint8Array.of(1, 1) }
  assert.throws(() => jackknifePlusAfterBootstrap([full, full], y, { coverage: 0.5 }), /every training row is in all 2/)
  assert.throws(() => jackknifePlusAfterBootstrap([], y, { coverage: 0.5 }), /no models/)
  assert.throws(() => conformalBand({ lo: Float64Array.of(0, 2), hi: Float64Array.of(1, 1) }), /row 1 has the band/)
})

test('bootstrap bags are seeded per model; moving blocks keep runs of consecutive rows', () => {
  const a = bootstrapBags(50, 4, 7)
  const b = bootstrapBags(50, 6, 7)
  // Bag b depends on the seed and b only, not on how many bags are drawn.
  for (let k = 0; k < 4; k++) assert.deepEqual(a[k].rows, b[k].rows)
  assert.notDeepEqual(a[0].rows, a[1].rows)
  assert.notDeepEqual(bootstrapBags(50, 1, 8)[0].rows, a[0].rows)
  for (const bag of a) {
    assert.equal(bag.rows.length, 50)
    bag.rows.forEach((r) => assert.equal(bag.inBag[r], 1))
    assert.equal(
      bag.inBag.reduce((s, v) => s + v, 0),
      new Set(bag.rows).size,
    )
  }
  const blocks = blockBootstrapBags(23, 3, 5, 1)
  assert.deepEqual(blocks, blockBootstrapBags(23, 3, 5, 1))
  for (const bag of blocks) {
    assert.equal(bag.rows.length, 23)
    // Within each block of 5 (the last one cut at 3), rows are consecutive and within [0, 23).
    for (let k = 0; k < 23; k++) {
      assert.ok(bag.rows[k] >= 0 && bag.rows[k] < 23)
      if (k % 5 !== 0) assert.equal(bag.rows[k], bag.rows[k - 1] + 1)
    }
  }
  assert.throws(() => blockBootstrapBags(4, 1, 5, 0), /block length 5 is longer than the 4 rows/)
  assert.throws(() => bootstrapBags(0, 1, 0), /number of rows is 0/)
})

/** Least-squares line through the rows of a bag (repeated rows count as often as they were drawn). */
function fitLine(x: Float64Array, y: Float64Array, rows: Int32Array): (v: number) => number {
  let sx = 0
  let sy = 0
  let sxx = 0
  let sxy = 0
  for (const i of rows) {
    sx += x[i]
    sy += y[i]
    sxx += x[i] * x[i]
    sxy += x[i] * y[i]
  }
  const n = rows.length
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
  const intercept = (sy - slope * sx) / n
  return (v) => intercept + slope * v
}

/** y = 1 + 2x + N(0, 1), x ~ N(0, 1): exchangeable rows. */
function rows(g: () => number, n: number): { x: Float64Array; y: Float64Array } {
  const x = Float64Array.from({ length: n }, g)
  return { x, y: x.map((v) => 1 + 2 * v + g()) }
}

function members(bags: Bag[], train: { x: Float64Array; y: Float64Array }, fresh: Float64Array): JabMember[] {
  return bags.map((bag) => {
    const line = fitLine(train.x, train.y, bag.rows)
    return { inBag: bag.inBag, atTrain: train.x.map(line), atNew: fresh.map(line) }
  })
}

test('coverage over 200 repetitions of exchangeable data: jackknife+ab at 0.9, mean and median aggregates', (t) => {
  const g = gauss(41)
  const coverage = 0.9
  const reps = 200
  const covs = { mean: [] as number[], median: [] as number[] }
  let inEveryBag = 0
  for (let r = 0; r < reps; r++) {
    // 99 training rows (rank ceil(100 * 0.9) = 90 is exactly 90% of n + 1 when no row is in every bag), 30 bags,
    // 200 fresh rows per repetition.
    const train = rows(g, 99)
    const fresh = rows(g, 200)
    const ms = members(bootstrapBags(99, 30, r), train, fresh.x)
    for (const how of ['mean', 'median'] as const) {
      const iv = jackknifePlusAfterBootstrap(ms, train.y, { coverage, aggregate: how })
      covs[how].push(fresh.y.reduce((s, v, k) => s + (v >= iv.lo[k] && v <= iv.hi[k] ? 1 : 0), 0) / fresh.y.length)
      if (how === 'mean') inEveryBag += iv.inEveryBag
    }
  }
  // A row is in all 30 bags with probability about 0.632^30 = 1e-6: none of the 19800 should be.
  assert.equal(inEveryBag, 0)
  for (const [how, c] of Object.entries(covs)) {
    const mean = c.reduce((s, v) => s + v, 0) / reps
    const se = Math.sqrt(c.reduce((s, v) => s + (v - mean) ** 2, 0) / (reps - 1) / reps)
    // The Monte-Carlo standard error of the mean coverage (measured: 0.0025) is well under a third of the 0.01
    // tolerance, so the tolerance tests the method and not the luck of the draw.
    assert.ok(se < 0.0033, `${how}: standard error ${se}`)
    assert.ok(Math.abs(mean - coverage) < 0.01, `${how}: mean coverage ${mean} (se ${se})`)
    // The finite-sample guarantee of jackknife+ab is 1 - 2 alpha in the worst case.
    assert.ok(mean >= 1 - 2 * (1 - coverage), `${how}: mean coverage ${mean} under 1 - 2 alpha`)
    t.diagnostic(`jackknife+ab ${how}: mean coverage ${mean.toFixed(4)} (se ${se.toFixed(4)})`)
  }
})
