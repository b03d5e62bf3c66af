import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createElasticNet, elasticNetParams, loadElasticNet } from '../../../src/models/tabular/elastic_net.js'
import { createRidge, loadRidge, ridgeParams } from '../../../src/models/tabular/ridge.js'
import { ctx, loadFitData, matrix, maxAbsDiff } from './helpers.js'

const fit = loadFitData()
const x = matrix(fit.x, fit.n, fit.f)
const y = Float64Array.from(fit.yr)

test("ridge equals scikit-learn's Ridge (coefficients, intercept, predictions)", async () => {
  const c = fit.cases.ridge
  const model = createRidge(ridgeParams.parse({ alpha: c.alpha, standardize: false }), { kind: 'regression' })
  await model.fit({ x, y }, undefined, ctx)
  const s = model.scorer()
  assert.ok(maxAbsDiff(s.coef, c.coef!) < 1e-10, `coef ${s.coef} vs ${c.coef}`)
  assert.ok(Math.abs(s.intercept[0] - c.intercept!) < 1e-10)
  assert.ok(maxAbsDiff(model.predict(x).E_r!, c.prediction!) < 1e-9)
})

test("elastic_net equals scikit-learn's ElasticNet (coordinate descent to the same optimum)", async () => {
  const c = fit.cases.elastic_net
  const params = elasticNetParams.parse({ alpha: c.alpha, l1_ratio: c.l1_ratio, standardize: false, tol: 1e-13 })
  const model = createElasticNet(params, { kind: 'regression' })
  await model.fit({ x, y }, undefined, ctx)
  const s = model.scorer()
  assert.ok(maxAbsDiff(s.coef, c.coef!) < 1e-8, `coef ${s.coef} vs ${c.coef}`)
  assert.ok(Math.abs(s.intercept[0] - c.intercept!) < 1e-8)
  assert.ok(maxAbsDiff(model.predict(x).E_r!, c.prediction!) < 1e-7)
})

test('ridge/elastic_net: standardized fits, NaN imputation, save/load identity, regression only', async () => {
  for (const [create, load, params] of [
    [createRidge, loadRidge, ridgeParams.parse({ alpha: 3 })],
    [createElasticNet, loadElasticNet, elasticNetParams.parse({ alpha: 0.05 })],
  ] as const) {
    const model = (create as typeof createRidge)(params as never, { kind: 'regression' })
    const data = Float64Array.from(fit.x)
    for (let i = 0; i < data.length; i += 13) data[i] = NaN
    const xm = matrix(data, fit.n, fit.f)
    await model.fit({ x: xm, y }, undefined, ctx)
    const out = model.predict(xm).E_r!
    assert.ok(out.every(Number.isFinite))
    // Still a good fit of the planted linear target.
    let ss = 0
    let tot = 0
    const mean = y.reduce((a, b) => a + b, 0) / y.length
    for (let i = 0; i < y.length; i++) {
      ss += (y[i] - out[i]) ** 2
      tot += (y[i] - mean) ** 2
    }
    assert.ok(1 - ss / tot > 0.8, `R^2 ${1 - ss / tot}`)
    const dir = await mkdtemp(join(tmpdir(), 'mlf-reg-'))
    try {
      await model.save(dir)
      assert.deepEqual((await load(dir)).predict(xm).E_r, out)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    assert.throws(() => (create as typeof createRidge)(params as never, { kind: 'binary' }), /only regression/)
  }
  await assert.rejects(
    createRidge(ridgeParams.parse({}), { kind: 'regression' }).fit(
      { x, y: Float64Array.from(y).fill(NaN, 5, 6) },
      undefined,
      ctx,
    ),
    /target at row 5 is NaN/,
  )
  assert.throws(() => elasticNetParams.parse({ l1_ratio: 2 }))
})
