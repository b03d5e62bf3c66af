import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createLinearSvc, linearSvcParams } from '../../../src/models/tabular/linear_svc.js'
import { createLogistic, logisticParams } from '../../../src/models/tabular/logistic.js'
import { maxAbsDiff, plantedClasses } from './helpers.js'

// 45k rows: above the 20k-rows-per-thread threshold, so threads: 2 really runs a worker.
const train = plantedClasses(45_000, 8, 3, 41)
const held = plantedClasses(500, 8, 3, 42)

test('threaded fits: deterministic for a thread count, same optimum as one thread', async () => {
  for (const make of [
    () => createLogistic(logisticParams.parse({ tol: 1e-9 }), { kind: 'multiclass', classes: 3 }),
    () => createLinearSvc(linearSvcParams.parse({ tol: 1e-9 }), { kind: 'multiclass', classes: 3 }),
  ]) {
    const one = make()
    const twoA = make()
    const twoB = make()
    await one.fit(train, undefined, { seed: 1, threads: 1 })
    await twoA.fit(train, undefined, { seed: 1, threads: 2 })
    await twoB.fit(train, undefined, { seed: 1, threads: 2 })
    const p1 = one.predict(held.x).p!
    const p2 = twoA.predict(held.x).p!
    assert.deepEqual(twoB.predict(held.x).p, p2, `${one.spec.name}: two threads twice`)
    // Different summation order, same problem: the same optimum up to the solver tolerance.
    assert.ok(maxAbsDiff(p1, p2) < 1e-6, `${one.spec.name}: |p1 - p2| = ${maxAbsDiff(p1, p2)}`)
    assert.ok(Math.abs(one.report!.objective - twoA.report!.objective) < 1e-10 * Math.abs(one.report!.objective))
  }
})
