import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chronologicalSplit } from '../../src/validation/chronological.js'
import { assemblePaths, combinations, cpcv } from '../../src/validation/cpcv.js'
import { isTrainIndices } from '../../src/validation/indices.js'
import { purgedKFold } from '../../src/validation/kfold.js'
import { checkSpans, spansForHorizon, type LabelSpans } from '../../src/validation/spans.js'
import { walkForward, type WalkForwardOptions } from '../../src/validation/walk-forward.js'
import { rng } from '../labels/helpers.js'

const HOUR = 3_600_000

/** A random event structure: events on a random subset of rows, each with a random label end t1 >= t0. */
function randomSpans(r: () => number): LabelSpans {
  const n = 20 + Math.floor(r() * 130)
  const density = 0.2 + r() * 0.8
  const maxLen = r() < 0.2 ? 80 : 1 + Math.floor(r() * 20)
  const row: number[] = []
  for (let i = 0; row.length < n; i++) if (r() < density) row.push(i)
  const t0 = Float64Array.from(row)
  const t1 = t0.map((v) => v + Math.floor(r() * maxLen))
  return checkSpans({ row: Int32Array.from(row), t0, t1 })
}

/**
 * The leakage contract, checked independently of the implementation: no train span meets a test span, no train
 * sample starts inside (E, E + embargo] after any test block (maximal run of test samples), and every removed
 * candidate really was overlapping or embargoed (nothing dropped without cause).
 */
function assertClean(
  spans: LabelSpans,
  train: Int32Array,
  test: Int32Array,
  candidates: Set<number>,
  counts: { purged: number; embargoed: number },
  embargo: number,
  where: string,
): void {
  assert.ok(isTrainIndices(train), `${where}: train is minted TrainIndices`)
  const pos = new Map<number, number>()
  spans.row.forEach((r, i) => pos.set(r, i))
  const testPos = [...test].map((r) => pos.get(r) as number)
  const isTest = new Set(testPos)
  const blockEnds: number[] = []
  for (let i = 0; i < spans.row.length; i++) {
    if (!isTest.has(i)) continue
    if (i === 0 || !isTest.has(i - 1)) blockEnds.push(-Infinity)
    blockEnds[blockEnds.length - 1] = Math.max(blockEnds[blockEnds.length - 1], spans.t1[i])
  }
  const overlaps = (i: number) => testPos.some((j) => spans.t0[i] <= spans.t1[j] && spans.t0[j] <= spans.t1[i])
  const embargoed = (i: number) => blockEnds.some((e) => spans.t0[i] > e && spans.t0[i] <= e + embargo)
  const trainSet = new Set<number>()
  for (const r of train) {
    const i = pos.get(r)
    assert.ok(i !== undefined, `${where}: train row ${r} is not a sample`)
    assert.ok(!isTest.has(i), `${where}: train row ${r} is also a test row`)
    assert.ok(!overlaps(i), `${where}: train row ${r} span intersects a test span`)
    assert.ok(!embargoed(i), `${where}: train row ${r} lies in an embargo`)
    trainSet.add(i)
  }
  let purged = 0
  let emb = 0
  for (const i of candidates) {
    if (trainSet.has(i)) continue
    if (overlaps(i)) purged++
    else if (embargoed(i)) emb++
    else assert.fail(`${where}: candidate sample ${i} dropped without cause`)
  }
  assert.equal(counts.purged, purged, `${where}: purged count`)
  assert.equal(counts.embargoed, emb, `${where}: embargoed count`)
}

const allBut = (n: number, test: Set<number>) => new Set([...Array(n).keys()].filter((i) => !test.has(i)))

test('property: purged k-fold, walk-forward and CPCV never let a train span touch a test span; embargo honoured', () => {
  const r = rng(20240601)
  const STRUCTURES = 2000
  for (let s = 0; s < STRUCTURES; s++) {
    const spans = randomSpans(r)
    const n = spans.row.length
    const pos = new Map<number, number>()
    spans.row.forEach((row, i) => pos.set(row, i))
    const posSet = (rows: Int32Array) => new Set([...rows].map((x) => pos.get(x) as number))
    const embargo = Math.floor(r() * 10)

    const k = 2 + Math.floor(r() * 5)
    for (const f of purgedKFold(spans, k, embargo)) {
      const t = posSet(f.test)
      assertClean(spans, f.train, f.test, allBut(n, t), f, embargo, `structure ${s} kfold ${f.fold}`)
    }

    const groups = 3 + Math.floor(r() * 4)
    const c = cpcv(spans, groups, 1 + Math.floor(r() * (groups - 1)), embargo)
    for (const sp of c.splits) {
      const t = posSet(sp.test)
      assertClean(spans, sp.train, sp.test, allBut(n, t), sp, embargo, `structure ${s} cpcv ${sp.split}`)
    }

    const time = spans.t0.map((x) => x * HOUR)
    const mode = r() < 0.5 ? 'rolling' : 'expanding'
    const opts: WalkForwardOptions = { mode, trainDays: 1 + r() * 4, testDays: 0.5 + r() * 2 }
    for (const f of walkForward(spans, time, opts, embargo)) {
      const t = posSet(f.test)
      const cand = new Set<number>()
      for (let i = 0; i < n; i++) if (time[i] >= f.trainStart && time[i] < f.testStart) cand.add(i)
      assertClean(spans, f.train, f.test, cand, f, embargo, `structure ${s} walk-forward ${f.fold}`)
      for (const i of t) assert.ok(time[i] >= f.testStart && time[i] < f.testEnd)
    }
  }
})

test('walk-forward: a window gives identical results computed over the whole history or over that window alone', () => {
  const r = rng(77)
  for (let trial = 0; trial < 40; trial++) {
    const spans = randomSpans(r)
    // Irregular sample times (gaps like weekends), one sample per 5..180 minutes.
    const time = new Float64Array(spans.row.length)
    let t = Date.UTC(2023, 7, 1) + Math.floor(r() * 86_400_000)
    for (let i = 0; i < time.length; i++) time[i] = t += (5 + Math.floor(r() * 175)) * 60_000
    const opts: WalkForwardOptions = {
      mode: trial % 2 ? 'rolling' : 'expanding',
      trainDays: 0.5 + r(),
      testDays: 0.1 + r() * 0.3,
    }
    const embargo = Math.floor(r() * 5)
    const whole = walkForward(spans, time, opts, embargo)
    assert.ok(whole.length > 0)
    for (const f of whole) {
      // Only the window's samples, re-indexed from 0 as if the dataset began there.
      const a = time.findIndex((x) => x >= f.trainStart)
      let b = time.length
      while (b > 0 && time[b - 1] >= f.testEnd) b--
      const off = spans.row[a]
      const sub: LabelSpans = {
        row: spans.row.slice(a, b).map((x) => x - off),
        t0: spans.t0.slice(a, b).map((x) => x - off),
        t1: spans.t1.slice(a, b).map((x) => x - off),
      }
      const alone = walkForward(sub, time.slice(a, b), opts, embargo).find((g) => g.testStart === f.testStart)
      assert.ok(alone, `trial ${trial}: window at ${new Date(f.testStart).toISOString()} missing when run alone`)
      assert.deepEqual(
        [...alone.train].map((x) => x + off),
        [...f.train],
      )
      assert.deepEqual(
        [...alone.test].map((x) => x + off),
        [...f.test],
      )
      assert.equal(alone.purged, f.purged)
      assert.equal(alone.embargoed, f.embargoed)
      assert.equal(alone.testEnd, f.testEnd)
    }
  }
})

test('walk-forward windows sit on a calendar grid: rolling trains on trainDays before the test, expanding on all', () => {
  const n = 24 * 20
  const spans = spansForHorizon(n + 1, 1) // rows 0..n-1, each label ends one bar later
  const time = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * HOUR)
  const roll = walkForward(spans, time, { mode: 'rolling', trainDays: 3, testDays: 1 })
  assert.equal(roll.length, 19, 'test days 2..20 (day 1 has no training data before it)')
  const f = roll[5]
  assert.equal(f.testStart - f.trainStart, 3 * 86_400_000)
  assert.equal(f.test.length, 24)
  assert.equal(f.train.length, 3 * 24 - 1, 'the last training hour is purged: its label ends inside the test day')
  assert.equal(f.purged, 1)
  const exp = walkForward(spans, time, { mode: 'expanding', trainDays: 3, testDays: 1 })
  assert.equal(exp[5].train.length, 6 * 24 - 1)
  assert.equal(exp[5].train[0], 0)
})

test('chronological 70/15/15: blocks in order, train purged against val and test, val against test', () => {
  const spans = spansForHorizon(1010, 10) // 1000 samples, each label spans 10 bars
  const s = chronologicalSplit(spans, { train: 0.7, val: 0.15, test: 0.15 }, 5)
  assert.equal(s.test.length, 150)
  assert.equal(s.test[0], 850)
  assert.equal(s.train[s.train.length - 1], 689, 'rows 690..699 reach into val (starts at 700)')
  assert.equal(s.purged, 10)
  assert.equal(s.val[0], 700)
  assert.equal(s.val[s.val.length - 1], 839)
  assert.equal(s.valPurged, 10)
  assert.ok(isTrainIndices(s.train))
  assert.ok(!isTrainIndices(s.val), 'val rows are not trainable')
  assert.throws(() => chronologicalSplit(spans, { train: 0.7, val: 0.2, test: 0.2 }), /sum to 1/)
})

test('purged k-fold on known spans: purge on both sides of the test block and embargo after it', () => {
  const spans = spansForHorizon(103, 3) // 100 samples, [i, i+3]
  const folds = purgedKFold(spans, 5, 4)
  const f = folds[2] // test rows 40..59
  assert.deepEqual([f.test[0], f.test[f.test.length - 1]], [40, 59])
  const train = new Set(f.train)
  for (const r of [37, 38, 39]) assert.ok(!train.has(r), `row ${r} overlaps row 40's span`)
  assert.ok(train.has(36))
  // Test block's last label ends at 62: rows 60..62 overlap it (purged), 63..66 are embargoed, 67 trains.
  for (let r = 60; r <= 66; r++) assert.ok(!train.has(r), `row ${r}`)
  assert.ok(train.has(67))
  assert.equal(f.purged, 6)
  assert.equal(f.embargoed, 4)
})

test('CPCV: C(N,k) splits, C(N-1,k-1) paths, each path covers every group exactly once', () => {
  const spans = spansForHorizon(605, 5)
  const c = cpcv(spans, 6, 2, 3)
  assert.equal(c.splits.length, 15)
  assert.equal(c.paths.length, 5)
  assert.deepEqual(combinations(4, 2), [
    [0, 1],
    [0, 2],
    [0, 3],
    [1, 2],
    [1, 3],
    [2, 3],
  ])
  for (const p of c.paths) {
    p.forEach((split, g) => assert.ok(c.splits[split].testGroups.includes(g), `group ${g} tested in split ${split}`))
  }
  // Every (group, split) pair in which the group is tested is used by exactly one path.
  const used = new Set(c.paths.flatMap((p) => p.map((s, g) => `${g}:${s}`)))
  assert.equal(used.size, 6 * 5)
  // Predictions equal to the row index reassemble into 0..n-1 on every path.
  const preds = c.splits.map((s) => Float64Array.from(s.test))
  for (const path of assemblePaths(c, preds)) assert.deepEqual([...path], [...Array(600).keys()])
  assert.throws(() => cpcv(spans, 4, 4), /testGroups < groups/)
})
