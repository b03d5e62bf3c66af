import assert from 'node:assert/strict'
import test from 'node:test'
import { renormalised } from '../../src/inference/coupling/groups.js'
import { coupleFromPairwise, couplePairwise } from '../../src/inference/coupling/pairwise.js'
import { assertDistributions, awkwardRows, rng } from './coupling-data.js'

/** A (k, k) pairwise matrix from its upper triangle r_ij (i < j), with r_ji = 1 - r_ij. */
function pairMatrix(k: number, upper: readonly number[]): Float64Array {
  const r = new Float64Array(k * k)
  let q = 0
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      r[i * k + j] = upper[q]
      r[j * k + i] = 1 - upper[q++]
    }
  }
  return r
}

test('pairwise coupling reproduces a 3-class case solved by hand', () => {
  /*
   * r_12 = 1/2, r_13 = 3/4, r_23 = 1/2 (so r_21 = 1/2, r_31 = 1/4, r_32 = 1/2). Not consistent: a Bradley-Terry
   * model with r_12 = r_23 = 1/2 would have r_13 = 1/2, so no q makes the objective 0.
   *
   * Q_ii = sum_{j != i} r_ji^2, Q_ij = -r_ji r_ij:
   *   Q_11 = 1/4 + 1/16 = 5/16    Q_12 = -(1/2)(1/2) = -4/16   Q_13 = -(1/4)(3/4) = -3/16
   *   Q_22 = 1/4 + 1/4  = 8/16    Q_23 = -(1/2)(1/2) = -4/16
   *   Q_33 = 9/16 + 1/4 = 13/16
   * The optimum solves Q q + b e = 0, e^T q = 1, so q is proportional to Q^-1 e. With M = 16 Q,
   *   M = [[5, -4, -3], [-4, 8, -4], [-3, -4, 13]],  det M = 5*88 + 4*(-64) - 3*40 = 64,
   *   adj M = [[88, 64, 40], [64, 56, 32], [40, 32, 24]]  (symmetric cofactors),
   *   adj M e = (192, 152, 96) = 8 (24, 19, 12),
   * so q = (24, 19, 12) / 55. (Check: (Q q)_i = 128/(16*55) = 8/55 for every i, equal as the KKT system needs.)
   */
  const q = coupleFromPairwise(pairMatrix(3, [0.5, 0.75, 0.5]), 3)
  const want = [24 / 55, 19 / 55, 12 / 55]
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(q[c] - want[c]) < 1e-15, `${c}: ${q[c]} vs ${want[c]}`)
  assertDistributions(q, 3, 'hand case')
})

test('pairwise coupling of consistent pairs recovers the distribution that generated them', () => {
  // r_ij = q_i / (q_i + q_j) for a known q: the objective reaches 0 at q itself.
  const truth = [0.1, 0.4, 0.2, 0.3]
  const r = new Float64Array(16)
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (i !== j) r[i * 4 + j] = truth[i] / (truth[i] + truth[j])
  const q = coupleFromPairwise(r, 4)
  for (let c = 0; c < 4; c++) assert.ok(Math.abs(q[c] - truth[c]) < 1e-14)
})

test('pairwise coupling of bracket probabilities (r_ij = p_i / (p_i + p_j)) is their renormalisation', () => {
  const k = 6
  const p = awkwardRows(300, k, 40)
  const q = couplePairwise(p, k)
  assertDistributions(q, k, 'bracket pairs')
  const plain = renormalised(p, k)
  for (let i = 0; i < q.length; i++) assert.ok(Math.abs(q[i] - plain[i]) < 1e-9, `${i}: ${q[i]} vs ${plain[i]}`)
})

test('pairwise rows sum to 1 within 1e-12 and are non-negative for random inconsistent pairs', () => {
  const r = rng(41)
  for (const k of [2, 3, 5, 8]) {
    const n = 200
    const all = new Float64Array(n * k * k)
    for (let g = 0; g < n; g++) {
      const upper = Array.from({ length: (k * (k - 1)) / 2 }, () => (r() < 0.1 ? [0, 1][Math.floor(r() * 2)] : r()))
      all.set(pairMatrix(k, upper), g * k * k)
    }
    assertDistributions(coupleFromPairwise(all, k), k, `k=${k}`)
  }
})

test('pairwise refuses bad input, naming the group row and the pair or outcome', () => {
  const r = pairMatrix(3, [0.5, 0.75, 0.5])
  const two = new Float64Array(18)
  two.set(r)
  two.set(r, 9)
  two[9 + 1 * 3 + 2] = 0.7 // r_12 of group 1 no longer 1 - r_21 (0.5)
  assert.throws(() => coupleFromPairwise(two, 3), /pairwise: group row 1: r\(1,2\) = 0.7 and r\(2,1\) = 0.5/)
  two[9 + 1 * 3 + 2] = Number.NaN
  assert.throws(() => coupleFromPairwise(two, 3), /group row 1: r\(1,2\)/)
  assert.throws(() => coupleFromPairwise(new Float64Array(10), 3), /not a whole number of 3 x 3 matrices/)
  assert.throws(
    () => couplePairwise(Float64Array.from([0.2, 0.3, Number.NaN]), 3),
    /pairwise: group row 0, outcome 2: probability NaN/,
  )
})
