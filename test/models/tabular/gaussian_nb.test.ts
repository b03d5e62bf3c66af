import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createGaussianNb, gaussianNbParams, loadGaussianNb } from '../../../src/models/tabular/gaussian_nb.js'
import { accuracy, ctx, loadFitData, matrix, maxAbsDiff, plantedClasses } from './helpers.js'

const fit = loadFitData()
const x = matrix(fit.x, fit.n, fit.f)

for (const name of ['gaussian_nb_multiclass', 'gaussian_nb_binary']) {
  test(`gaussian_nb fits exactly like scikit-learn's GaussianNB: ${name}`, async () => {
    const c = fit.cases[name]
    const y = Float64Array.from(c.labels === 'y2' ? fit.y2 : fit.y3)
    const classes = c.labels === 'y2' ? 2 : 3
    const model = createGaussianNb(
      gaussianNbParams.parse({}),
      classes === 2 ? { kind: 'binary' } : { kind: 'multiclass', classes },
    )
    await model.fit({ x, y }, undefined, ctx)
    const s = model.state()
    assert.ok(maxAbsDiff(s.theta, c.theta!) < 1e-12, 'means')
    assert.ok(maxAbsDiff(s.variance, c.var!) < 1e-11, 'variances (with var_smoothing)')
    assert.ok(maxAbsDiff(model.predict(x).p!, c.proba!) < 1e-10, 'probabilities')
  })
}

test('gaussian_nb: planted signal, NaN imputation, save/load identity, bad params', async () => {
  const train = plantedClasses(2000, 4, 3, 5)
  const held = plantedClasses(500, 4, 3, 6)
  const model = createGaussianNb(gaussianNbParams.parse({}), { kind: 'multiclass', classes: 3 })
  await model.fit(train, undefined, ctx)
  const p = model.predict(held.x).p!
  assert.ok(accuracy(p, held.y, 3) > 0.5)
  const med = model.state().preprocess.medians[2]
  assert.deepEqual(model.predict(matrix([1, 0, NaN, -1], 1, 4)).p, model.predict(matrix([1, 0, med, -1], 1, 4)).p)
  const dir = await mkdtemp(join(tmpdir(), 'mlf-gnb-'))
  try {
    await model.save(dir)
    assert.deepEqual((await loadGaussianNb(dir)).predict(held.x).p, p)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  assert.throws(() => gaussianNbParams.parse({ var_smoothing: -1 }))
  // A class absent from training gets probability 0, never NaN.
  const twoOnly = { x: train.x, y: Float64Array.from(train.y, (v) => (v === 2 ? 1 : v)) }
  const m3 = createGaussianNb(gaussianNbParams.parse({}), { kind: 'multiclass', classes: 3 })
  await m3.fit(twoOnly, undefined, ctx)
  const p3 = m3.predict(held.x).p!
  assert.ok(p3.every((v) => Number.isFinite(v)))
  for (let i = 0; i < held.y.length; i++) assert.equal(p3[i * 3 + 2], 0)
})
