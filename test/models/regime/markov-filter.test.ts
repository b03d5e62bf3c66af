import assert from 'node:assert/strict'
import { test } from 'node:test'
import { allocBars, MINUTE_MS, type Bars } from '../../../src/data/bars.js'
import { auditLeakage, formatFinding, type AuditTarget } from '../../../src/features/audit.js'
import { filterBatch, MarkovFilter } from '../../../src/models/regime/markov-filter.js'
import { smoothedRegimesLeaky } from '../../../src/models/regime/markov-smoother.js'
import {
  fitMarkovSwitching,
  parseMarkovSwitchingParams,
  type MarkovSwitching,
} from '../../../src/models/regime/markov-switching.js'
import { sameBits, sampleMarkovSwitching, twoRegimeModel } from './synthetic.js'

test('markov filter: batch and one-return-at-a-time updates agree bit for bit (with and without AR)', () => {
  for (const ar of ['none', 'switching'] as const) {
    const { r } = sampleMarkovSwitching(twoRegimeModel(ar === 'switching'), 3000, 13)
    const fit = fitMarkovSwitching(r, 3000, parseMarkovSwitchingParams({ regimes: 3, ar, restarts: 2, max_iter: 40 }))
    const batch = filterBatch(fit.model, r, 3000)
    const live = new MarkovFilter(fit.model)
    const stream = new Float64Array(3000 * 3)
    const out = new Float64Array(3)
    for (let t = 0; t < 3000; t++) {
      live.update(r[t], out) // one number at a time, as a live bar's return arrives
      stream.set(out, t * 3)
    }
    assert.ok(sameBits(batch, stream), `${ar}: batch == stream`)
    assert.equal(live.count, 3000)
    live.reset()
    live.update(r[0], out)
    assert.ok(sameBits(out, batch.subarray(0, 3)), 'reset starts over')
    for (let t = 0; t < 3000; t++) {
      let s = 0
      for (let k = 0; k < 3; k++) {
        assert.ok(batch[t * 3 + k] >= 0)
        s += batch[t * 3 + k]
      }
      assert.ok(Math.abs(s - 1) < 1e-12, `row ${t} sums to ${s}`)
    }
    // the last filtered row is the last smoothed row (nothing follows it)
    const smooth = smoothedRegimesLeaky(fit.model, r, 3000)
    for (let k = 0; k < 3; k++) assert.equal(smooth[2999 * 3 + k], batch[2999 * 3 + k])
  }
})

test('markov filter: a missing return gives the prediction (and, with AR, so does the next); outliers stay finite', () => {
  for (const ar of [false, true]) {
    const m = twoRegimeModel(ar)
    const f = new MarkovFilter(m)
    const out = new Float64Array(2)
    const predictFrom = (prev: Float64Array) => [
      prev[0] * m.transmat[0] + prev[1] * m.transmat[2],
      prev[0] * m.transmat[1] + prev[1] * m.transmat[3],
    ]
    f.update(0.1, out)
    f.update(0.3, out)
    let prev = Float64Array.from(out)
    f.update(NaN, out)
    let want = predictFrom(prev)
    for (let k = 0; k < 2; k++) assert.ok(Math.abs(out[k] - want[k]) < 1e-15, `${ar}: missing row`)
    prev = Float64Array.from(out)
    f.update(0.2, out)
    want = predictFrom(prev)
    const unobserved = Math.abs(out[0] - want[0]) < 1e-15 && Math.abs(out[1] - want[1]) < 1e-15
    assert.equal(unobserved, ar, `${ar}: the row after a missing one is unobserved only with an AR term (no lag)`)
    f.update(1e6, out)
    assert.ok(out.every(Number.isFinite) && out[1] > 0.999, `${ar}: a far outlier belongs to the volatile regime`)
    f.update(-Infinity, out)
    assert.ok(out.every(Number.isFinite))
  }
  // regime 1 is absorbing and regime 0 unreachable from it: a return only regime 0 can emit restarts the filter
  const sticky: MarkovSwitching = {
    ...twoRegimeModel(),
    transmat: Float64Array.from([0.5, 0.5, 0, 1]),
    intercepts: Float64Array.from([0, 100]),
    variances: Float64Array.from([1e-4, 1e-4]),
  }
  const g = new MarkovFilter(sticky)
  const out = new Float64Array(2)
  g.update(100, out)
  assert.ok(out[1] > 0.999)
  g.update(0, out)
  assert.ok(out.every(Number.isFinite) && out[0] > 0.999, `${out}`)
  assert.throws(() => g.update(0, new Float64Array(1)), /update 2 writes 2 values at 0, past the 1 given/)
  assert.throws(() => filterBatch(sticky, new Float64Array(5), 4), /5 values, not n = 4/)
})

/** Bars whose log returns (in %) follow a 2-regime Markov switching model; the regime model reads those returns. */
function regimeBars(n: number, seed: number): Bars {
  const { r } = sampleMarkovSwitching(twoRegimeModel(true), n, seed)
  const bars = allocBars(n)
  let prev = 100
  for (let t = 0; t < n; t++) {
    const close = prev * Math.exp(0.01 * r[t])
    bars.ts[t] = Date.UTC(2024, 0, 1) + t * MINUTE_MS
    bars.open[t] = prev
    bars.close[t] = close
    bars.high[t] = Math.max(prev, close) * 1.0005
    bars.low[t] = Math.min(prev, close) * 0.9995
    bars.volume[t] = 1
    prev = close
  }
  return bars
}

/** Row t's return (in %) uses bars t and t-1 only. */
function returns(bars: Bars): Float64Array {
  const r = new Float64Array(bars.length)
  for (let t = 0; t < bars.length; t++)
    r[t] = 100 * Math.log(bars.close[t] / (t === 0 ? bars.open[0] : bars.close[t - 1]))
  return r
}

const TRAIN = 800

/** The audit subject: a model fitted on the first TRAIN returns only, then `probs` over every row, as one target. */
function regimeCompute(name: string, probs: typeof filterBatch, ar: 'none' | 'switching') {
  return (bars: Bars): AuditTarget[] => {
    const r = returns(bars)
    const params = parseMarkovSwitchingParams({ ar, restarts: 2, max_iter: 50, seed: 3 })
    const model = fitMarkovSwitching(r.subarray(0, TRAIN), TRAIN, params).model
    const p = probs(model, r, bars.length)
    return [
      {
        name,
        n: bars.length,
        width: 2,
        rowOf: (i) => i,
        read: (i, o) => o.set(p.subarray(i * 2, i * 2 + 2)),
        label: (k) => `p_regime${k}`,
      },
    ]
  }
}

for (const ar of ['none', 'switching'] as const) {
  test(`markov filter (ar ${ar}): the generic leakage audit leaves every regime probability at or before T unchanged`, () => {
    const bars = regimeBars(3000, 17)
    const result = auditLeakage(bars, regimeCompute('markov filtered', filterBatch, ar), { cuts: 4, seed: 5 })
    assert.equal(result.findings.length, 0, result.findings.map(formatFinding).join('\n'))
    assert.ok(result.ok && result.cuts.every((c) => c >= TRAIN), 'every cut lies after the training window')
  })

  test(`markov smoother (ar ${ar}): the same audit catches smoothed probabilities (the positive control)`, () => {
    const bars = regimeBars(3000, 17)
    const result = auditLeakage(bars, regimeCompute('markov smoothed', smoothedRegimesLeaky, ar), { cuts: 4, seed: 5 })
    assert.equal(result.ok, false)
    assert.equal(result.findings.length, 8, 'caught at every cut, perturbed and truncated')
    for (const f of result.findings) {
      assert.equal(f.target, 'markov smoothed')
      assert.ok(f.row <= f.cut)
    }
  })
}
