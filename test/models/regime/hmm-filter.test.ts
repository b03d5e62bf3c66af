import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Bars } from '../../../src/data/bars.js'
import { auditLeakage, formatFinding, type AuditTarget } from '../../../src/features/audit.js'
import { fitGaussianHmm, parseGaussianHmmParams } from '../../../src/models/regime/gaussian-hmm.js'
import { filterBatch, HmmFilter } from '../../../src/models/regime/hmm-filter.js'
import { smoothedProbabilitiesLeaky } from '../../../src/models/regime/hmm-smoother.js'
import { regimeBars, sameBits, sampleHmm, twoStateModel } from './synthetic.js'

test('HMM filter: batch and one-row-at-a-time updates agree bit for bit (diag and full)', () => {
  for (const covariance of ['diag', 'full'] as const) {
    const { x } = sampleHmm(twoStateModel(covariance), 3000, 13)
    const fit = fitGaussianHmm(x, 3000, 2, parseGaussianHmmParams({ states: 3, covariance, restarts: 2, max_iter: 40 }))
    const batch = filterBatch(fit.model, x, 3000)
    const live = new HmmFilter(fit.model)
    const stream = new Float64Array(3000 * 3)
    const out = new Float64Array(3)
    for (let t = 0; t < 3000; t++) {
      live.update([x[t * 2], x[t * 2 + 1]], out) // a plain array, as a live bar's features arrive
      stream.set(out, t * 3)
    }
    assert.ok(sameBits(batch, stream), `${covariance}: batch == stream`)
    assert.equal(live.count, 3000)
    live.reset()
    live.update(x.subarray(0, 2), out)
    assert.ok(sameBits(out, batch.subarray(0, 3)), 'reset starts over')
    for (let t = 0; t < 3000; t++) {
      let s = 0
      for (let k = 0; k < 3; k++) s += batch[t * 3 + k]
      assert.ok(Math.abs(s - 1) < 1e-12, `row ${t} sums to ${s}`)
    }
    // the last filtered row is the last smoothed row (nothing follows it)
    const smooth = smoothedProbabilitiesLeaky(fit.model, x, 3000)
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(smooth[2999 * 3 + k] - batch[2999 * 3 + k]) < 1e-9)
  }
})

test('HMM filter: a missing row gives the prediction; a far outlier and a ruled-out transition stay finite', () => {
  const m = twoStateModel('diag')
  const f = new HmmFilter(m)
  const out = new Float64Array(2)
  f.update([0.1, 0], out)
  const prev = Float64Array.from(out)
  f.update([NaN, 0], out)
  const predicted = [
    prev[0] * m.transmat[0] + prev[1] * m.transmat[2],
    prev[0] * m.transmat[1] + prev[1] * m.transmat[3],
  ]
  for (let k = 0; k < 2; k++) assert.ok(Math.abs(out[k] - predicted[k]) < 1e-15)
  f.update([1e6, -1e6], out)
  assert.ok(out.every(Number.isFinite))
  // state 1 is absorbing and state 0 unreachable from it: a row only state 0 can emit restarts from the emissions
  const sticky = {
    ...m,
    transmat: Float64Array.from([0.5, 0.5, 0, 1]),
    covars: Float64Array.from([1e-4, 1e-4, 1e-4, 1e-4]),
  }
  const g = new HmmFilter(sticky)
  g.update([-0.4, 0.8], out)
  assert.ok(out[1] > 0.999)
  g.update([0.1, 0], out)
  assert.ok(out.every(Number.isFinite) && out[0] > 0.999, `${out}`)
  assert.throws(() => f.update([1, 2, 3], out), /observation 3 has 3 values, the model expects d=2/)
  assert.throws(() => filterBatch(m, new Float64Array(5), 2), /5 values, not n x d = 2 x 2/)
})

/** The observations a regime model reads from the bars (in %): row t uses bars t and t-1 only. */
function observations(bars: Bars): Float64Array {
  const x = new Float64Array(bars.length * 2)
  for (let t = 0; t < bars.length; t++) {
    const before = t === 0 ? bars.open[0] : bars.close[t - 1]
    x[t * 2] = 100 * Math.log(bars.close[t] / before)
    x[t * 2 + 1] = 100 * Math.log(bars.high[t] / bars.low[t])
  }
  return x
}

const TRAIN = 800

/** The audit subject: an HMM fitted on the first TRAIN rows only, then `probs` over every row, as one target. */
function regimeCompute(name: string, probs: typeof filterBatch) {
  return (bars: Bars): AuditTarget[] => {
    const x = observations(bars)
    const params = parseGaussianHmmParams({ states: 2, covariance: 'full', restarts: 2, max_iter: 50, seed: 3 })
    const model = fitGaussianHmm(x.subarray(0, TRAIN * 2), TRAIN, 2, params).model
    const p = probs(model, x, bars.length)
    return [
      {
        name,
        n: bars.length,
        width: 2,
        rowOf: (i) => i,
        read: (i, o) => o.set(p.subarray(i * 2, i * 2 + 2)),
        label: (k) => `p_state${k}`,
      },
    ]
  }
}

test('HMM filter: the generic leakage audit leaves every filtered regime probability at or before T unchanged', () => {
  const bars = regimeBars(3000, 17)
  const result = auditLeakage(bars, regimeCompute('hmm filtered', filterBatch), { cuts: 4, seed: 5 })
  assert.equal(result.findings.length, 0, result.findings.map(formatFinding).join('\n'))
  assert.ok(result.ok && result.cuts.every((c) => c >= TRAIN), 'every cut lies after the training window')
})

test('HMM smoother: the same audit catches smoothed probabilities (the positive control)', () => {
  const bars = regimeBars(3000, 17)
  const result = auditLeakage(bars, regimeCompute('hmm smoothed', smoothedProbabilitiesLeaky), { cuts: 4, seed: 5 })
  assert.equal(result.ok, false)
  assert.equal(result.findings.length, 8, 'caught at every cut, perturbed and truncated')
  for (const f of result.findings) {
    assert.equal(f.target, 'hmm smoothed')
    assert.ok(f.row <= f.cut)
  }
})
