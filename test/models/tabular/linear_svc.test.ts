import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createLinearSvc, linearSvcParams, loadLinearSvc } from '../../../src/models/tabular/linear_svc.js'
import { accuracy, ctx, loadFitData, matrix, plantedClasses } from './helpers.js'

const fit = loadFitData()
const x = matrix(fit.x, fit.n, fit.f)

for (const [name, multiClass] of [
  ['linear_svc_ovr_multiclass', 'ovr'],
  ['linear_svc_ovr_binary', 'ovr'],
  ['linear_svc_crammer_singer', 'crammer_singer'],
] as const) {
  test(`linear_svc reaches liblinear's (scikit-learn LinearSVC) objective: ${name}`, async () => {
    const c = fit.cases[name]
    const y = Float64Array.from(c.labels === 'y2' ? fit.y2 : fit.y3)
    const classes = c.labels === 'y2' ? 2 : 3
    const params = linearSvcParams.parse({
      C: c.C,
      multi_class: multiClass,
      standardize: false,
      tol: 1e-9,
      max_iter: 20000,
    })
    const model = createLinearSvc(params, classes === 2 ? { kind: 'binary' } : { kind: 'multiclass', classes })
    await model.fit({ x, y }, undefined, ctx)
    // Reported objective is the sum form divided by C * n.
    const ours = model.report!.objective * c.C! * fit.n
    assert.ok(ours <= c.objective! * (1 + 1e-6), `objective ${ours} above liblinear's ${c.objective}`)
    assert.ok(ours >= c.objective! * (1 - 1e-4), `objective ${ours} suspiciously far below liblinear's ${c.objective}`)
    const p = model.predict(x).p!
    assert.ok(p.every((v) => v >= 0 && v <= 1))
  })
}

test('linear_svc probabilities are the softmax of decision values; save/load and seeds are exact', async () => {
  const train = plantedClasses(1500, 5, 3, 3)
  const held = plantedClasses(500, 5, 3, 4)
  for (const multiClass of ['ovr', 'crammer_singer'] as const) {
    const params = linearSvcParams.parse({ multi_class: multiClass })
    const a = createLinearSvc(params, { kind: 'multiclass', classes: 3 })
    const b = createLinearSvc(params, { kind: 'multiclass', classes: 3 })
    await a.fit(train, undefined, ctx)
    await b.fit(train, undefined, ctx)
    const pa = a.predict(held.x).p!
    assert.deepEqual(pa, b.predict(held.x).p!)
    assert.ok(accuracy(pa, held.y, 3) > 0.6, `${multiClass} accuracy ${accuracy(pa, held.y, 3)}`)
    // p = softmax(W x + b) on the first row.
    const s = a.scorer()
    const row = held.x.kind === 'feature_matrix' ? held.x.data.subarray(0, 5) : new Float64Array()
    const z = [0, 1, 2].map(
      (k) => s.intercept[k] + [0, 1, 2, 3, 4].reduce((acc, j) => acc + s.coef[k * 5 + j] * row[j], 0),
    )
    const e = z.map((v) => Math.exp(v - Math.max(...z)))
    const sum = e[0] + e[1] + e[2]
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(pa[k] - e[k] / sum) < 1e-12)
    const dir = await mkdtemp(join(tmpdir(), 'mlf-svc-'))
    try {
      await a.save(dir)
      assert.deepEqual((await loadLinearSvc(dir)).predict(held.x).p, pa)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
})
