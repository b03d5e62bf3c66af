/**
 * The run forms of CV+, jackknife+-after-bootstrap, EnbPI and ACI (src/inference/conformal/plus.ts, online.ts): they
 * must give exactly what the library functions give on the same inputs (whose coverage the library's tests check over
 * 200 repetitions), and the online ones must learn an outcome only after its label closes.
 */
import assert from 'node:assert/strict'
import test from 'node:test'
import { blockBootstrapBags } from '../../src/inference/conformal/bootstrap.js'
import { fitEnbpi, replayEnbpi } from '../../src/inference/conformal/enbpi.js'
import { jackknifePlusAfterBootstrap } from '../../src/inference/conformal/jackknife-ab.js'
import { aciEntry, enbpiEntry, NEVER_CLOSES } from '../../src/inference/conformal/online.js'
import { applyPlus, cvPlusEntry, fitPlus, jackknifePlusAbEntry } from '../../src/inference/conformal/plus.js'
import { cvPlusIntervals } from '../../src/inference/conformal/regression.js'
import { kthOfShiftedSorted, kthSmallest } from '../../src/inference/conformal/select.js'
import { createAci, replayAci } from '../../src/inference/conformal/aci.js'
import { absoluteResiduals } from '../../src/inference/conformal/regression.js'
import { seededRandom } from '../../src/core/random.js'
import type { Outputs } from '../../src/models/contract.js'
import { gauss } from '../helpers.js'

test('kthSmallest and kthOfShiftedSorted give the element a sort gives, ties and signs included', () => {
  // Numeric equality: a sort orders -0 before 0, selection treats them as the same value.
  const same = (a: number, b: number, what = '') => assert.ok(a === b, `${a} !== ${b} ${what}`)
  const u = seededRandom(11)
  for (let rep = 0; rep < 200; rep++) {
    const n = 1 + Math.floor(u() * 60)
    // Coarse values make ties common.
    const a = Float64Array.from({ length: n }, () => Math.round((u() - 0.5) * 20) / 4)
    const sorted = Float64Array.from(a).sort()
    const k = 1 + Math.floor(u() * n)
    same(kthSmallest(Float64Array.from(a), k), sorted[k - 1])
    const groups = 1 + Math.floor(u() * 5)
    const parts = Array.from({ length: groups }, () =>
      Float64Array.from({ length: Math.floor(u() * 8) }, () => Math.round(u() * 12) / 3).sort(),
    )
    if (parts.every((p) => p.length === 0)) parts[0] = Float64Array.of(1)
    const shift = Float64Array.from({ length: groups }, () => (u() - 0.5) * 3)
    for (const sign of [1, -1] as const) {
      const all = Float64Array.from(parts.flatMap((p, g) => [...p].map((r) => shift[g] + sign * r))).sort()
      const r = 1 + Math.floor(u() * all.length)
      same(kthOfShiftedSorted(parts, shift, sign, r), all[r - 1], `rep ${rep} sign ${sign} rank ${r}`)
    }
  }
  assert.throws(() => kthSmallest(new Float64Array(3), 4), /rank 4 is not in 1\.\.3/)
})

/** Held-out predictions as the run hands them: NaN where resample k saw row i. */
function calibration(pred: Float64Array[], heldOut: (i: number, k: number) => boolean, n: number): Outputs {
  const K = pred.length
  const predictions = new Float64Array(n * K)
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) predictions[i * K + k] = heldOut(i, k) ? pred[k][i] : NaN
  return { n, resampled: { models: K, predictions } }
}

const rowMajor = (cols: Float64Array[], m: number) => {
  const K = cols.length
  const out = new Float64Array(m * K)
  cols.forEach((c, k) => c.forEach((v, t) => (out[t * K + k] = v)))
  return out
}

test('cv_plus gives exactly the library CV+ intervals (folds: the few-groups path)', () => {
  const g = gauss(5)
  const n = 203
  const m = 57
  const folds = 5
  const y = Float64Array.from({ length: n }, () => g())
  const foldOf = Int32Array.from({ length: n }, (_, i) => Math.floor((i * folds) / n))
  // Fold k's model: a made-up predictor per fold, at the training rows and the new rows.
  const atTrain = Array.from({ length: folds }, () => Float64Array.from({ length: n }, () => 0.3 * g()))
  const atNew = Array.from({ length: folds }, () => Float64Array.from({ length: m }, () => g()))
  const residuals = Float64Array.from(y, (v, i) => Math.abs(v - atTrain[foldOf[i]][i]))
  for (const coverage of [0.9, 0.5, 0.995]) {
    const want = cvPlusIntervals(residuals, foldOf, rowMajor(atNew, m), folds, coverage)
    const state = cvPlusEntry.fit(
      cvPlusEntry.params.parse({ coverage }),
      calibration(atTrain, (i, k) => foldOf[i] === k, n),
      y,
    )
    assert.equal(state.groups.length, folds)
    const got = cvPlusEntry.apply(state, { n: m, resampled: { models: folds, predictions: rowMajor(atNew, m) } })
    assert.deepEqual(got.q_lo, want.lo, `coverage ${coverage}`)
    assert.deepEqual(got.q_hi, want.hi, `coverage ${coverage}`)
    assert.deepEqual(
      got.uncertainty,
      want.hi.map((h, t) => h - want.lo[t]),
    )
  }
})

test('jackknife_plus_ab gives exactly the library J+aB intervals (bags: the many-groups path), mean and median', () => {
  const g = gauss(9)
  const n = 150
  const m = 40
  const B = 12
  const bags = blockBootstrapBags(n, B, 7, 3)
  const y = Float64Array.from({ length: n }, () => g())
  const members = bags.map((bag) => ({
    inBag: bag.inBag,
    atTrain: Float64Array.from({ length: n }, () => 0.2 * g()),
    atNew: Float64Array.from({ length: m }, () => g()),
  }))
  for (const aggregate of ['mean', 'median'] as const) {
    const want = jackknifePlusAfterBootstrap(members, y, { coverage: 0.9, aggregate })
    const cal = calibration(
      members.map((x) => x.atTrain),
      (i, k) => members[k].inBag[i] === 0,
      n,
    )
    const state = jackknifePlusAbEntry.fit(jackknifePlusAbEntry.params.parse({ coverage: 0.9, aggregate }), cal, y)
    assert.ok(state.groups.length > 12, `${state.groups.length} groups take the quickselect path`)
    assert.equal(state.n, want.n)
    assert.equal(state.seenByAll, want.inEveryBag)
    const got = applyPlus(
      state,
      {
        n: m,
        resampled: {
          models: B,
          predictions: rowMajor(
            members.map((x) => x.atNew),
            m,
          ),
        },
      },
      'j',
    )
    assert.deepEqual(got.q_lo, want.lo, aggregate)
    assert.deepEqual(got.q_hi, want.hi, aggregate)
  }
})

test('plus methods refuse what they cannot use, naming the row or the count', () => {
  const cal = calibration([Float64Array.of(1, 2)], () => false, 2)
  assert.throws(
    () => fitPlus(cal, Float64Array.of(1, 2), { coverage: 0.9, aggregate: 'mean' }, 'cv_plus'),
    /no calibration row was held out by any of the 1 resamples/,
  )
  assert.throws(
    () =>
      cvPlusEntry.apply(
        cvPlusEntry.fit(
          cvPlusEntry.params.parse({}),
          calibration([Float64Array.of(1, 2)], () => true, 2),
          Float64Array.of(0, 0),
        ),
        { n: 1 },
      ),
    /no resampled predictions/,
  )
  const state = cvPlusEntry.fit(
    cvPlusEntry.params.parse({}),
    calibration([Float64Array.of(1, 2)], () => true, 2),
    Float64Array.of(0, 0),
  )
  // Two calibration rows are too few for 0.9: both ends are unbounded, never made up.
  const out = cvPlusEntry.apply(state, { n: 1, resampled: { models: 1, predictions: Float64Array.of(3) } })
  assert.deepEqual([out.q_lo![0], out.q_hi![0], out.uncertainty![0]], [-Infinity, Infinity, Infinity])
  assert.throws(
    () => cvPlusEntry.apply(state, { n: 1, resampled: { models: 2, predictions: Float64Array.of(3, 4) } }),
    /fitted on 1 resamples, given 2/,
  )
  assert.throws(
    () => cvPlusEntry.apply(state, { n: 1, resampled: { models: 1, predictions: Float64Array.of(NaN) } }),
    /resample 0's prediction at row 0 is NaN/,
  )
})

/** A stream of m rows a minute apart whose labels close `h` minutes later; the last h never close within the data. */
function stream(m: number, h: number, seed: number) {
  const g = gauss(seed)
  const time = Float64Array.from({ length: m }, (_, t) => 60_000 * t)
  const closesAt = Float64Array.from(time, (v, t) => (t + h < m ? v + h * 60_000 : NEVER_CLOSES))
  const y = Float64Array.from({ length: m }, (_, t) => (t + h < m ? g() * (t > m / 2 ? 3 : 1) : NaN))
  const point = Float64Array.from({ length: m }, () => 0.1 * g())
  return { time, closesAt, y, point }
}

test('aci as a post-processor: static before its stream starts, then exactly the library replay', () => {
  const s = stream(300, 5, 4)
  const g = gauss(8)
  const calY = Float64Array.from({ length: 200 }, () => g())
  const calPoint = new Float64Array(200)
  const params = aciEntry.params.parse({ coverage: 0.8, gamma: 0.02 })
  const from = s.time[100]
  const state = aciEntry.fit(params, { n: 200, E_r: calPoint }, calY, { onlineFrom: from })
  const out = aciEntry.apply(state, { n: 300, E_r: s.point, timeline: { time: s.time, closesAt: s.closesAt, y: s.y } })
  const margin = Float64Array.from(absoluteResiduals(calPoint, calY)).sort()[Math.ceil(201 * 0.8) - 1]
  for (let t = 0; t < 100; t++) assert.equal(out.q_hi![t], s.point[t] + margin)
  const want = replayAci(createAci(params, absoluteResiduals(calPoint, calY)), {
    time: s.time.subarray(100),
    closesAt: s.closesAt.subarray(100),
    prediction: s.point.subarray(100),
    y: s.y.subarray(100),
  })
  assert.deepEqual(out.q_lo!.subarray(100), want.lo)
  assert.deepEqual(out.q_hi!.subarray(100), want.hi)
  assert.throws(() => aciEntry.fit(params, { n: 200, E_r: calPoint }, calY), /needs the time its stream starts/)
  assert.throws(() => aciEntry.apply(state, { n: 300, E_r: s.point }), /needs each row's time, label close and outcome/)
})

test('online methods learn an outcome only after its label closes: outcomes closing after T change nothing at or before T', () => {
  const s = stream(400, 7, 12)
  const g = gauss(2)
  const K = 6
  const bags = blockBootstrapBags(150, K, 10, 5)
  const calPred = new Float64Array(150 * K)
  for (let i = 0; i < 150; i++) for (let k = 0; k < K; k++) calPred[i * K + k] = bags[k].inBag[i] ? NaN : 0.1 * g()
  const calY = Float64Array.from({ length: 150 }, () => g())
  const newPred = Float64Array.from({ length: 400 * K }, () => 0.1 * g())
  const enbpiParams = enbpiEntry.params.parse({ coverage: 0.9, models: K })
  const enbpiState = enbpiEntry.fit(enbpiParams, { n: 150, resampled: { models: K, predictions: calPred } }, calY, {
    onlineFrom: 0,
  })
  const aciState = aciEntry.fit(aciEntry.params.parse({ gamma: 0.05 }), { n: 150, E_r: new Float64Array(150) }, calY, {
    onlineFrom: 0,
  })
  const run = (y: Float64Array) => ({
    enbpi: enbpiEntry.apply(enbpiState, {
      n: 400,
      resampled: { models: K, predictions: newPred },
      timeline: { time: s.time, closesAt: s.closesAt, y },
    }),
    aci: aciEntry.apply(aciState, { n: 400, E_r: s.point, timeline: { time: s.time, closesAt: s.closesAt, y } }),
  })
  const base = run(s.y)
  for (const T of [50, 200, 333].map((t) => s.time[t])) {
    const poisoned = Float64Array.from(s.y, (v, j) => (s.closesAt[j] > T ? v + 50 : v))
    const after = run(poisoned)
    for (const method of ['enbpi', 'aci'] as const) {
      let changedLater = false
      for (let t = 0; t < 400; t++) {
        const same =
          after[method].q_lo![t] === base[method].q_lo![t] && after[method].q_hi![t] === base[method].q_hi![t]
        if (s.time[t] <= T) assert.ok(same, `${method}: row ${t} at or before ${T} changed`)
        else if (!same) changedLater = true
      }
      // The poison reaches later rows, so the check above can fail.
      if (T < s.time[333]) assert.ok(changedLater, `${method}: poisoned outcomes never reached a later row (T ${T})`)
    }
  }
  // EnbPI as a post-processor is the library's EnbPI on the same held-out residuals.
  const members = bags.map((bag, k) => ({
    inBag: bag.inBag,
    atTrain: Float64Array.from({ length: 150 }, (_, i) => (bag.inBag[i] ? 0 : calPred[i * K + k])),
  }))
  const want = replayEnbpi(fitEnbpi(members, calY, { coverage: 0.9 }), {
    time: s.time,
    closesAt: s.closesAt,
    memberPredictions: newPred,
    y: s.y,
  })
  assert.deepEqual(base.enbpi.q_lo, want.lo)
  assert.deepEqual(base.enbpi.q_hi, want.hi)
})
