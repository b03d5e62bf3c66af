import assert from 'node:assert/strict'
import test from 'node:test'
import { logLoss } from '../../src/inference/calibration/metrics.js'
import { applyMetaModel, fitMetaModel, metaModelStateSchema } from '../../src/inference/coupling/meta-model.js'
import { coupleSoftmaxLogit, tuneTau } from '../../src/inference/coupling/softmax-logit.js'
import { assertDistributions, awkwardRows, bracketGroups } from './coupling-data.js'

const k = 5

test('the meta-model uses a context feature the bracket models miss, and beats tuned softmax_logit on later groups', () => {
  const opts = { sharpness: 2, contextShift: 1.5 }
  const train = bracketGroups(3000, k, 60, opts)
  const cal = bracketGroups(1000, k, 61, opts)
  const later = bracketGroups(3000, k, 62, opts)
  const state = fitMetaModel(train, cal, k, 1)
  const q = applyMetaModel(state, later.p, later.context)
  assertDistributions(q, k, 'meta')
  const tau = tuneTau(cal.p, cal.y, k)
  const meta = logLoss(q, later.y, k)
  const softmax = logLoss(coupleSoftmaxLogit(later.p, k, tau), later.y, k)
  const truth = logLoss(later.truth, later.y, k)
  assert.ok(meta < softmax - 0.05, `meta ${meta} vs softmax_logit ${softmax} (truth ${truth})`)
  assert.ok(meta > truth - 0.05, `meta ${meta} cannot beat the truth ${truth} by much`)
  // Outcome 0's weight on the (standardised) context carries the shift the data were built with.
  const f = k + 1
  assert.ok(
    state.weights[k] > 0.5 * state.weights[f + k] + 0.5,
    `context weights ${state.weights.filter((_, i) => i % f === k)}`,
  )
})

test('the meta-model state is plain JSON that loads back and scores the same; the fit is deterministic', () => {
  const train = bracketGroups(800, k, 63)
  const cal = bracketGroups(300, k, 64)
  for (const calibration of ['temperature', 'dirichlet', 'none'] as const) {
    const state = fitMetaModel(train, cal, k, 0, { calibration })
    const loaded = metaModelStateSchema.parse(JSON.parse(JSON.stringify(state)))
    assert.deepEqual(loaded, state)
    const probe = awkwardRows(100, k, 65)
    const q = applyMetaModel(loaded, probe)
    assertDistributions(q, k, calibration)
    assert.deepEqual(q, applyMetaModel(state, probe))
    assert.deepEqual(fitMetaModel(train, cal, k, 0, { calibration }), state)
    assert.equal(state.calibration?.method ?? 'none', calibration)
  }
  const state = fitMetaModel(train, cal, k, 0)
  assert.throws(() => metaModelStateSchema.parse({ ...state, weights: state.weights.slice(1) }), /weights/)
})

test('with little data the ridge keeps the meta-model weights near the softmax-of-logits coupling', () => {
  // Only the weights are pulled towards W0 (own logit 1, others 0); the intercepts stay free to learn base rates.
  const train = bracketGroups(20, k, 66)
  const state = fitMetaModel(train, null, k, 0, { l2: 100, calibration: 'none' })
  for (let j = 0; j < k; j++) {
    for (let m = 0; m < k; m++) {
      const w = state.weights[j * k + m]
      assert.ok(Math.abs(w - (j === m ? 1 : 0)) < 0.01, `W[${j}][${m}] = ${w}`)
    }
  }
})

test('the meta-model refuses bad input, naming the row and the column', () => {
  const train = bracketGroups(50, k, 68, { contextShift: 1 })
  const ctx = Float64Array.from(train.context)
  ctx[7] = Number.NaN
  assert.throws(
    () => fitMetaModel({ ...train, context: ctx }, null, k, 1, { calibration: 'none' }),
    /meta: training group row 7, context column 0: NaN is not finite/,
  )
  const p = Float64Array.from(train.p)
  p[2 * k + 3] = 2
  assert.throws(
    () => fitMetaModel({ ...train, p }, null, k, 1, { calibration: 'none' }),
    /meta: group row 2, outcome 3: probability 2/,
  )
  assert.throws(() => fitMetaModel(train, null, k, 1), /temperature calibration needs a calibration split/)
  assert.throws(() => fitMetaModel(train, null, k, 2, { calibration: 'none' }), /50 context values for 50 rows of 2/)
})
