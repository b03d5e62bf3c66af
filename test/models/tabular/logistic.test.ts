import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLogistic, loadLogistic, logisticParams } from '../../../src/models/tabular/logistic.js'
import { ctx, loadFitData, logLoss, matrix, maxAbsDiff, plantedClasses, accuracy } from './helpers.js'

const fit = loadFitData()

/** Sum of scikit-learn's sample weights: n, or the sum of "balanced" class weights. */
function totalWeight(y: Float64Array, classes: number, classWeight: string): number {
  if (classWeight !== 'balanced') return y.length
  const counts = new Array<number>(classes).fill(0)
  for (const v of y) counts[v]++
  let s = 0
  for (const v of y) s += y.length / (classes * counts[v])
  return s
}
const x = matrix(fit.x, fit.n, fit.f)

for (const name of [
  'logistic_multinomial_l2',
  'logistic_binary_l2',
  'logistic_multinomial_balanced',
  'logistic_binary_balanced',
]) {
  test(`logistic matches scikit-learn's LogisticRegression: ${name}`, async () => {
    const c = fit.cases[name]
    const y = Float64Array.from(c.labels === 'y2' ? fit.y2 : fit.y3)
    const classes = c.labels === 'y2' ? 2 : 3
    const params = logisticParams.parse({ C: c.C, class_weight: c.class_weight, standardize: false, tol: 1e-9 })
    const model = createLogistic(params, classes === 2 ? { kind: 'binary' } : { kind: 'multiclass', classes })
    await model.fit({ x, y }, undefined, ctx)
    const out = model.predict(x)
    // Same objective (ours divided by the total sample weight): we reach at least scikit-learn's optimum, whose
    // L-BFGS-B stops on its default relative-decrease test, and agree with it to 1e-6 relative.
    const ours = model.report!.objective * totalWeight(y, classes, c.class_weight!)
    assert.ok(ours <= c.objective! * (1 + 1e-9), `objective ${ours} above sklearn's ${c.objective}`)
    assert.ok(ours >= c.objective! * (1 - 1e-6), `objective ${ours} far below sklearn's ${c.objective}`)
    const ll = logLoss(out.p!, y, classes)
    assert.ok(Math.abs(ll - c.log_loss!) < 1e-5, `log-loss ${ll} vs sklearn ${c.log_loss}`)
    assert.ok(maxAbsDiff(out.p!, c.proba!) < 1e-3, `max |p - p_sklearn| = ${maxAbsDiff(out.p!, c.proba!)}`)
    assert.ok(model.report!.converged)
  })
}

for (const name of ['logistic_multinomial_elasticnet', 'logistic_binary_elasticnet']) {
  test(`elastic-net logistic reaches scikit-learn's (saga) objective: ${name}`, async () => {
    const c = fit.cases[name]
    const y = Float64Array.from(c.labels === 'y2' ? fit.y2 : fit.y3)
    const classes = c.labels === 'y2' ? 2 : 3
    const params = logisticParams.parse({ C: c.C, penalty: 'elasticnet', l1_ratio: c.l1_ratio, tol: 1e-8 })
    const model = createLogistic(params, classes === 2 ? { kind: 'binary' } : { kind: 'multiclass', classes })
    await model.fit({ x, y }, undefined, ctx)
    // Our objective is divided by n; scikit-learn's is the sum (both on standardized features).
    const ours = model.report!.objective * fit.n
    assert.ok(Math.abs(ours - c.objective!) < 1e-6 * c.objective!, `objective ${ours} vs sklearn ${c.objective}`)
    const ll = logLoss(model.predict(x).p!, y, classes)
    assert.ok(Math.abs(ll - c.log_loss!) < 1e-5, `log-loss ${ll} vs sklearn ${c.log_loss}`)
  })
}

test('logistic: NaN inputs are imputed with train medians, saved with the model', async () => {
  const d = plantedClasses(300, 4, 3, 11)
  const data = Float64Array.from(d.x.kind === 'feature_matrix' ? d.x.data : [])
  for (let i = 0; i < 300; i += 7) data[i * 4 + 1] = NaN
  const xm = matrix(data, 300, 4)
  const model = createLogistic(logisticParams.parse({}), { kind: 'multiclass', classes: 3 })
  await model.fit({ x: xm, y: d.y }, undefined, ctx)
  const p = model.predict(xm).p!
  assert.ok(p.every((v) => Number.isFinite(v) && v >= 0 && v <= 1))
  // A NaN predicts exactly like the training median of its column.
  const med = model.scorer().preprocess.medians[1]
  const a = matrix([0.3, NaN, -1, 2], 1, 4)
  const b = matrix([0.3, med, -1, 2], 1, 4)
  assert.deepEqual(model.predict(a).p, model.predict(b).p)
  const dir = await mkdtemp(join(tmpdir(), 'mlf-logistic-'))
  try {
    await model.save(dir)
    const loaded = await loadLogistic(dir)
    assert.deepEqual(loaded.predict(a).p, model.predict(a).p)
    assert.deepEqual(loaded.predict(xm).p, p)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('logistic learns a planted signal and rejects bad labels, params and infinities', async () => {
  const train = plantedClasses(2000, 6, 3, 1)
  const testSet = plantedClasses(1000, 6, 3, 2)
  const model = createLogistic(logisticParams.parse({}), { kind: 'multiclass', classes: 3 })
  await model.fit(train, undefined, ctx)
  assert.ok(accuracy(model.predict(testSet.x).p!, testSet.y, 3) > 0.6)
  await assert.rejects(
    model.fit({ x: train.x, y: Float64Array.from(train.y, (v) => v + 1) }, undefined, ctx),
    /label at row \d+ is 3/,
  )
  assert.throws(() => logisticParams.parse({ C: -1 }))
  assert.throws(() => logisticParams.parse({ solver: 'x' }))
  assert.throws(() => model.predict(matrix([1, 2, Infinity, 0, 0, 0], 1, 6)), /feature "f2" at row 0 is Infinity/)
  assert.throws(() => model.predict(matrix([1, 2, 3], 1, 3)), /3 features, the model was fitted on 6/)
})
