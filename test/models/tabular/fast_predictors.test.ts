import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { createFastEnsemble } from '../../../src/models/fast/ensemble.js'
import { fastFromGaussianNb } from '../../../src/models/fast/gaussian_nb.js'
import { createFastLinear, fastFromScorer } from '../../../src/models/fast/linear.js'
import { fastFromSklearn } from '../../../src/models/fast/sklearn.js'
import type { FastPredictor } from '../../../src/models/fast/types.js'
import { parseSklearnJson } from '../../../src/models/imported/sklearn.js'
import { createGaussianNb, gaussianNbParams } from '../../../src/models/tabular/gaussian_nb.js'
import { createLinearSvc, linearSvcParams } from '../../../src/models/tabular/linear_svc.js'
import { createLogistic, logisticParams } from '../../../src/models/tabular/logistic.js'
import { ctx, matrix, plantedClasses, sklearnFixtures } from './helpers.js'

const train = plantedClasses(800, 5, 3, 31)
const held = plantedClasses(100, 5, 3, 32)
const heldData = held.x.kind === 'feature_matrix' ? Float64Array.from(held.x.data) : new Float64Array()
for (let i = 0; i < heldData.length; i += 9) heldData[i] = NaN // exercise median imputation
const heldX = matrix(heldData, 100, 5)

function agree(fast: FastPredictor, batch: Float64Array, tol: number): void {
  const K = fast.classes
  for (let i = 0; i < heldX.n; i++) {
    const p = fast.predict(heldData, i * 5)
    assert.equal(p, fast.out, 'returns its preallocated buffer')
    for (let k = 0; k < K; k++)
      assert.ok(Math.abs(p[k] - batch[i * K + k]) < tol, `row ${i} class ${k}: ${p[k]} vs ${batch[i * K + k]}`)
  }
}

test('fast linear equals batch predict of logistic (standardization folded in) and linear_svc, NaN -> median', async () => {
  const lr = createLogistic(logisticParams.parse({}), { kind: 'multiclass', classes: 3 })
  await lr.fit(train, undefined, ctx)
  agree(fastFromScorer(lr.scorer()), lr.predict(heldX).p!, 1e-12)
  const bin = createLogistic(logisticParams.parse({}), { kind: 'binary' })
  await bin.fit({ x: train.x, y: Float64Array.from(train.y, (v) => (v === 2 ? 1 : 0)) }, undefined, ctx)
  agree(fastFromScorer(bin.scorer()), bin.predict(heldX).p!, 1e-12)
  const svc = createLinearSvc(linearSvcParams.parse({}), { kind: 'multiclass', classes: 3 })
  await svc.fit(train, undefined, ctx)
  agree(fastFromScorer(svc.scorer()), svc.predict(heldX).p!, 1e-12)
})

test('fast gaussian NB equals batch predict', async () => {
  const nb = createGaussianNb(gaussianNbParams.parse({}), { kind: 'multiclass', classes: 3 })
  await nb.fit(train, undefined, ctx)
  agree(fastFromGaussianNb(nb.state()), nb.predict(heldX).p!, 1e-12)
})

test('fast predictors of scikit-learn exports reproduce scikit-learn probabilities', () => {
  for (const file of [
    'export_logistic_multiclass.json',
    'export_svm_linear_multiclass.json',
    'export_gaussian_nb_multiclass.json',
  ]) {
    const text = readFileSync(join(sklearnFixtures, file), 'utf8')
    const json = JSON.parse(text) as { test_inputs: number[][]; test_proba: number[][] }
    const fast = fastFromSklearn(parseSklearnJson(text, file))
    const x = Float64Array.from(json.test_inputs.flat())
    json.test_proba.forEach((row, i) => {
      const p = fast.predict(x, i * fast.features)
      row.forEach((v, k) => assert.ok(Math.abs(p[k] - v) < 1e-6, `${file} row ${i}`))
    })
  }
})

test('fast ensemble is the normalized weighted average of its members', () => {
  const a = createFastLinear({ coef: Float64Array.of(1, 0, 0, 1), intercept: Float64Array.of(0, 0), link: 'softmax' })
  const b = createFastLinear({
    coef: Float64Array.of(0, -1, 2, 0),
    intercept: Float64Array.of(0.5, 0),
    link: 'softmax',
  })
  const e = createFastEnsemble([a, b], [3, 1])
  const x = Float64Array.of(0.3, -0.7)
  const pa = Float64Array.from(a.predict(x))
  const pb = Float64Array.from(b.predict(x))
  const p = e.predict(x)
  for (let k = 0; k < 2; k++) assert.ok(Math.abs(p[k] - (0.75 * pa[k] + 0.25 * pb[k])) < 1e-15)
  assert.throws(() => createFastEnsemble([a, b], [1]), /1 weights for 2 members/)
  assert.throws(
    () =>
      createFastEnsemble(
        [a, createFastLinear({ coef: Float64Array.of(1), intercept: Float64Array.of(0), link: 'sigmoid' })],
        [1, 1],
      ),
    /member 1 has 1 features/,
  )
})
