import assert from 'node:assert/strict'
import { test } from 'node:test'
import { permutationImportance } from '../../src/explain/permutation.js'
import type { FeatureMatrixView } from '../../src/features/views/types.js'
import type { Model } from '../../src/models/contract.js'
import { logLoss } from '../../src/inference/calibration/metrics.js'
import { seededRandom } from '../../src/core/random.js'

/** A model that reads feature 0 only: P(class 1) = sigmoid(3 x0), two classes. */
function firstFeatureModel(): Model & { calls: number } {
  const m = {
    calls: 0,
    spec: {
      name: 'stub',
      family: 'linear',
      inputView: 'feature_matrix',
      outputs: ['p'],
      tasks: ['multiclass'],
      causal: true,
      zeroShot: false,
    },
    task: { kind: 'multiclass', classes: 2 },
    fit: () => Promise.resolve(),
    save: () => Promise.resolve({ files: [] }),
    predict(view: FeatureMatrixView) {
      m.calls++
      const p = new Float64Array(view.n * 2)
      for (let i = 0; i < view.n; i++) {
        const up = 1 / (1 + Math.exp(-3 * view.data[i * view.f]))
        p[2 * i] = 1 - up
        p[2 * i + 1] = up
      }
      return { n: view.n, p, classes: 2 }
    },
  }
  return m as unknown as Model & { calls: number }
}

function data(n: number): { x: FeatureMatrixView; y: Float64Array } {
  const rand = seededRandom(4)
  const values = new Float64Array(n * 3)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) values[i * 3 + j] = rand() * 2 - 1
    y[i] = values[i * 3] + 0.3 * (rand() - 0.5) > 0 ? 1 : 0
  }
  return { x: { kind: 'feature_matrix', n, f: 3, data: values, names: ['a', 'b', 'c'] }, y }
}

test('permutation importance: the feature the model reads raises log-loss when shuffled, the others exactly 0', () => {
  const { x, y } = data(300)
  const before = x.data.slice()
  const model = firstFeatureModel()
  const r = permutationImportance(model, x, y, 2, { seed: 9, repeats: 3 })
  assert.equal(r.rows, 300)
  assert.equal(model.calls, 1 + 3 * 3)
  const p = model.predict(x).p!
  assert.equal(r.baseline, logLoss(p, y, 2))
  assert.ok(r.increase[0] > 0.3, `a: ${r.increase[0]}`)
  assert.equal(r.increase[1], 0)
  assert.equal(r.increase[2], 0)
  assert.deepEqual(x.data, before, 'the input is left as it was')
})

test('permutation importance is seeded: the same seed gives the same numbers, another seed others', () => {
  const { x, y } = data(200)
  const a = permutationImportance(firstFeatureModel(), x, y, 2, { seed: 1, repeats: 1 })
  const b = permutationImportance(firstFeatureModel(), x, y, 2, { seed: 1, repeats: 1 })
  const c = permutationImportance(firstFeatureModel(), x, y, 2, { seed: 2, repeats: 1 })
  assert.deepEqual(a.increase, b.increase)
  assert.notEqual(a.increase[0], c.increase[0])
  assert.throws(
    () => permutationImportance(firstFeatureModel(), x, y.subarray(1), 2, { seed: 1, repeats: 1 }),
    /199 labels for 200 rows/,
  )
  assert.throws(() => permutationImportance(firstFeatureModel(), x, y, 2, { seed: 1, repeats: 0 }), /repeats/)
})
