import assert from 'node:assert/strict'
import test from 'node:test'
import { logLoss } from '../../src/inference/calibration/metrics.js'
import { renormalised } from '../../src/inference/coupling/groups.js'
import {
  coupleSoftmaxLogit,
  fitSoftmaxLogit,
  softmaxLogitStateSchema,
  tuneTau,
} from '../../src/inference/coupling/softmax-logit.js'
import { assertDistributions, awkwardRows, bracketGroups, rng } from './coupling-data.js'

const entropy = (q: Float64Array) => -q.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0)

test('softmax_logit at tau = 1 gives each outcome mass in proportion to its odds (hand-computed)', () => {
  // Odds of (0.5, 0.25, 0.2) are (1, 1/3, 1/4), summing to 19/12: q = (12, 4, 3) / 19.
  const q = coupleSoftmaxLogit(Float64Array.from([0.5, 0.25, 0.2]), 3, 1)
  const want = [12 / 19, 4 / 19, 3 / 19]
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(q[c] - want[c]) < 1e-15, `${c}: ${q[c]} vs ${want[c]}`)
  // tau = 2: weights sqrt(odds) = (1, 1/sqrt 3, 1/2).
  const q2 = coupleSoftmaxLogit(Float64Array.from([0.5, 0.25, 0.2]), 3, 2)
  const w = [1, 1 / Math.sqrt(3), 0.5]
  const s = w[0] + w[1] + w[2]
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(q2[c] - w[c] / s) < 1e-15)
})

test('softmax_logit rows sum to 1 within 1e-12 for any tau, exact 0s and 1s included', () => {
  for (const k of [2, 3, 6, 9]) {
    const p = awkwardRows(200, k, 100 + k)
    for (const tau of [0.02, 0.3, 1, 3.7, 50])
      assertDistributions(coupleSoftmaxLogit(p, k, tau), k, `k=${k} tau=${tau}`)
  }
})

test('softmax_logit is monotone in tau: entropy rises and the largest probability falls, for non-uniform groups', () => {
  const k = 6
  const r = rng(7)
  const taus = Array.from({ length: 40 }, (_, i) => Math.exp(-1.5 + (4.5 * i) / 39)) // 0.22 .. 20
  for (let g = 0; g < 200; g++) {
    const p = Float64Array.from({ length: k }, () => 0.02 + 0.96 * r())
    let prevH = -Infinity
    let prevMax = Infinity
    for (const tau of taus) {
      const q = coupleSoftmaxLogit(p, k, tau)
      const h = entropy(q)
      const max = Math.max(...q)
      assert.ok(h > prevH, `group ${g}, tau ${tau}: entropy ${h} after ${prevH}`)
      assert.ok(max < prevMax, `group ${g}, tau ${tau}: max ${max} after ${prevMax}`)
      prevH = h
      prevMax = max
    }
    // The limits: towards uniform as tau grows, towards the top bracket as it shrinks.
    assert.ok(Math.abs(Math.max(...coupleSoftmaxLogit(p, k, 1e4)) - 1 / k) < 1e-3)
  }
  // A uniform group stays uniform at every tau.
  for (const tau of taus) {
    for (const v of coupleSoftmaxLogit(new Float64Array(k).fill(0.3), k, tau)) assert.ok(Math.abs(v - 1 / k) < 1e-15)
  }
})

test('softmax_logit at tau = 1 keeps the ranking of the bracket probabilities, ties included', () => {
  const k = 6
  const r = rng(8)
  for (let g = 0; g < 500; g++) {
    // Values on a coarse grid so that ties happen.
    const p = Float64Array.from({ length: k }, () => Math.round(r() * 20) / 20)
    const q = coupleSoftmaxLogit(p, k, 1)
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        assert.equal(
          Math.sign(q[a] - q[b]),
          Math.sign(p[a] - p[b]),
          `group ${g}: p ${Array.from(p)}, q ${Array.from(q)}`,
        )
      }
    }
  }
})

test('tau auto lowers the dev log-loss of overconfident bracket models below tau = 1, and holds on later groups', () => {
  const k = 6
  const dev = bracketGroups(2000, k, 21, { sharpness: 2 })
  const later = bracketGroups(2000, k, 22, { sharpness: 2 })
  const tau = tuneTau(dev.p, dev.y, k)
  const at = (d: typeof dev, t: number) => logLoss(coupleSoftmaxLogit(d.p, k, t), d.y, k)
  assert.ok(tau > 1.3 && tau < 3, `overconfident by a factor 2 in logit: tau ${tau}`)
  assert.ok(at(dev, tau) < at(dev, 1) - 0.05, `dev: ${at(dev, tau)} vs ${at(dev, 1)}`)
  assert.ok(at(later, tau) < at(later, 1) - 0.05, `later: ${at(later, tau)} vs ${at(later, 1)}`)
  // The tuned tau is a minimum: nudging it either way does not help.
  for (const f of [0.97, 1.03]) assert.ok(at(dev, tau) <= at(dev, tau * f))
  // And the coupling beats the plain renormalisation of the raw probabilities.
  assert.ok(at(later, tau) < logLoss(renormalised(later.p, k), later.y, k))
  // Deterministic, and under-confident models get tau < 1.
  assert.equal(tuneTau(dev.p, dev.y, k), tau)
  const under = bracketGroups(2000, k, 23, { sharpness: 0.5, noise: 0.05 })
  assert.ok(tuneTau(under.p, under.y, k) < 0.8)
})

test('softmax_logit state: fixed or tuned tau, validated on load', () => {
  const d = bracketGroups(300, 4, 30)
  const fixed = fitSoftmaxLogit({ tau: 1.5 }, d.p, [], 4)
  assert.deepEqual(fixed, { method: 'softmax_logit', classes: 4, tau: 1.5 })
  const tuned = fitSoftmaxLogit({ tau: 'auto' }, d.p, d.y, 4)
  assert.deepEqual(softmaxLogitStateSchema.parse(JSON.parse(JSON.stringify(tuned))), tuned)
  assert.throws(() => softmaxLogitStateSchema.parse({ ...tuned, tau: 0 }), /temperature/)
  assert.throws(() => fitSoftmaxLogit({ tau: -1 }, d.p, [], 4), /temperature/)
})

test('softmax_logit refuses bad input, naming the group row, the outcome and the value', () => {
  const p = Float64Array.from([0.2, 0.3, 0.5, 0.1, 0.2, Number.NaN])
  assert.throws(
    () => coupleSoftmaxLogit(p, 3, 1),
    /softmax_logit: group row 1, outcome 2: probability NaN is not in \[0, 1\]/,
  )
  p[5] = 1.5
  assert.throws(() => coupleSoftmaxLogit(p, 3, 1), /group row 1, outcome 2: probability 1.5/)
  p[5] = Number.POSITIVE_INFINITY
  assert.throws(() => coupleSoftmaxLogit(p, 3, 1), /group row 1, outcome 2: probability Infinity/)
  p[5] = -0.01
  assert.throws(() => coupleSoftmaxLogit(p, 3, 1), /probability -0.01/)
  p[5] = 0.3
  assert.throws(() => coupleSoftmaxLogit(p, 4, 1), /not a whole number of rows of 4/)
  assert.throws(() => coupleSoftmaxLogit(p, 3, 0), /tau must be positive/)
  assert.throws(() => coupleSoftmaxLogit(p, 3, Number.NaN), /tau must be positive/)
  assert.throws(() => tuneTau(new Float64Array(0), [], 3), /no(ne| dev groups)/)
  assert.throws(() => tuneTau(p, [0, 3], 3), /group row 1 has outcome 3, not an index 0..2/)
})
