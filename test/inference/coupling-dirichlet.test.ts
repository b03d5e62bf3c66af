import assert from 'node:assert/strict'
import test from 'node:test'
import { logLoss } from '../../src/inference/calibration/metrics.js'
import {
  coupleDirichlet,
  dirichletCouplingStateSchema,
  fitDirichletCoupling,
  tuneAlpha,
} from '../../src/inference/coupling/dirichlet.js'
import { renormalised } from '../../src/inference/coupling/groups.js'
import { assertDistributions, awkwardRows, bracketGroups, rng } from './coupling-data.js'

test('dirichlet coupling is the posterior mean of fractional counts under a symmetric prior (hand-computed)', () => {
  // p = (0.6, 0.3, 0.3), S = 1.2, alpha = 1 (1/3 per outcome): q = (0.6 + 1/3, 0.3 + 1/3, 0.3 + 1/3) / 2.2
  //   = (14/15, 19/30, 19/30) / (11/5) = (28, 19, 19) / 66.
  const q = coupleDirichlet(Float64Array.from([0.6, 0.3, 0.3]), 3, 1)
  const want = [28 / 66, 19 / 66, 19 / 66]
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(q[c] - want[c]) < 1e-15, `${c}: ${q[c]} vs ${want[c]}`)
})

test('dirichlet coupling runs from renormalisation (alpha = 0) to uniform, monotone in alpha, ranking kept', () => {
  const k = 5
  const p = awkwardRows(300, k, 50)
  const plain = renormalised(p, k)
  const q0 = coupleDirichlet(p, k, 0)
  for (let i = 2 * k; i < p.length; i++) assert.ok(Math.abs(q0[i] - plain[i]) < 1e-9)
  for (const v of coupleDirichlet(p, k, 1e6)) assert.ok(Math.abs(v - 1 / k) < 1e-5)
  for (const alpha of [0, 1e-6, 0.1, 1, 10, 1e6]) assertDistributions(coupleDirichlet(p, k, alpha), k, `alpha ${alpha}`)
  const r = rng(51)
  for (let g = 0; g < 100; g++) {
    const row = Float64Array.from({ length: k }, () => Math.round(r() * 20) / 20)
    if (row.every((v) => v === row[0])) continue
    let prevMax = Infinity
    for (const alpha of [0.01, 0.1, 0.5, 1, 2, 10, 100]) {
      const q = coupleDirichlet(row, k, alpha)
      const max = Math.max(...q)
      assert.ok(max < prevMax, `group ${g}: max ${max} after ${prevMax} at alpha ${alpha}`)
      prevMax = max
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) assert.equal(Math.sign(q[a] - q[b]), Math.sign(row[a] - row[b]))
    }
  }
})

test('alpha auto lowers the dev log-loss of overconfident bracket models, and holds on later groups', () => {
  const k = 6
  const dev = bracketGroups(2000, k, 52, { sharpness: 2.5 })
  const later = bracketGroups(2000, k, 53, { sharpness: 2.5 })
  const alpha = tuneAlpha(dev.p, dev.y, k)
  const at = (d: typeof dev, a: number) => logLoss(coupleDirichlet(d.p, k, a), d.y, k)
  assert.ok(alpha > 0.01, `alpha ${alpha}`)
  assert.ok(at(dev, alpha) < at(dev, 0) - 0.02, `dev: ${at(dev, alpha)} vs renormalised ${at(dev, 0)}`)
  assert.ok(at(later, alpha) < at(later, 0) - 0.02, `later: ${at(later, alpha)} vs renormalised ${at(later, 0)}`)
  for (const f of [0.97, 1.03]) assert.ok(at(dev, alpha) <= at(dev, alpha * f))
  const state = fitDirichletCoupling({ alpha: 'auto' }, dev.p, dev.y, k)
  assert.equal(state.alpha, alpha)
  assert.deepEqual(dirichletCouplingStateSchema.parse(JSON.parse(JSON.stringify(state))), state)
})

test('dirichlet coupling refuses bad input, naming the group row, the outcome and the value', () => {
  assert.throws(
    () => coupleDirichlet(Float64Array.from([0.2, 0.3, 0.5, 0.1, Number.NaN, 0.2]), 3, 1),
    /dirichlet: group row 1, outcome 1: probability NaN is not in \[0, 1\]/,
  )
  assert.throws(() => coupleDirichlet(Float64Array.from([0.2, 0.3, 0.5]), 3, -1), /alpha must be >= 0/)
  assert.throws(() => fitDirichletCoupling({ alpha: Number.POSITIVE_INFINITY }, new Float64Array(3), [], 3), /alpha/)
  assert.throws(() => tuneAlpha(new Float64Array(0), [], 3), /no dev groups|none/)
})
