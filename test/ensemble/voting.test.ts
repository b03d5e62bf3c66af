import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FeatureMatrixView, ViewSet } from '../../src/features/views/types.js'
import type { Model, Outputs, Task } from '../../src/models/contract.js'
import { selectColumns, votingEnsemble } from '../../src/ensemble/voting.js'

const TASK: Task = { kind: 'multiclass', classes: 3 }

/** A fixed model: the same class probabilities for every row, recording the columns it was given. */
function constant(p: number[], seen: string[][] = []): Model {
  return {
    spec: {
      name: 'fixed',
      family: 'linear',
      inputView: 'feature_matrix',
      outputs: ['p'],
      tasks: ['multiclass'],
      causal: true,
      zeroShot: false,
    },
    task: TASK,
    fit: async () => {},
    predict(x): Outputs {
      const m = x as FeatureMatrixView
      seen.push([...m.names])
      return { n: m.n, classes: 3, p: Float64Array.from({ length: m.n * 3 }, (_, i) => p[i % 3]) }
    },
    save: async () => ({ files: [] }),
  }
}

const matrix: FeatureMatrixView = {
  kind: 'feature_matrix',
  n: 2,
  f: 2,
  data: Float64Array.from([1, 2, 3, 4]),
  names: ['a', 'b'],
}
const set: ViewSet = { kind: 'view_set', n: 2, views: { feature_matrix: matrix } }

test('weighted soft voting averages member probabilities with normalized weights and feeds each its feature slice', () => {
  const seen: string[][] = []
  const e = votingEnsemble(
    [
      { name: 'a', model: constant([0.2, 0.2, 0.6], seen), weight: 3 },
      { name: 'b', model: constant([0.6, 0.2, 0.2], seen), weight: 1, features: ['b'] },
    ],
    TASK,
  )
  const out = e.predict(set as never)
  assert.deepEqual(
    [...out.p!.subarray(0, 3)].map((x) => +x.toFixed(12)),
    [0.3, 0.2, 0.5],
  )
  assert.deepEqual(
    [...out.p_up!].map((x) => +x.toFixed(12)),
    [0.5, 0.5],
  )
  assert.deepEqual(seen, [['a', 'b'], ['b']])
})

test('an ensemble needs at least two members with positive weights, and the views they take', () => {
  assert.throws(
    () => votingEnsemble([{ name: 'a', model: constant([1, 0, 0]), weight: 1 }], TASK),
    /at least 2 members/,
  )
  assert.throws(
    () =>
      votingEnsemble(
        [
          { name: 'a', model: constant([1, 0, 0]), weight: 1 },
          { name: 'b', model: constant([1, 0, 0]), weight: 0 },
        ],
        TASK,
      ),
    /member "b": weight must be > 0/,
  )
  const e = votingEnsemble(
    [
      { name: 'a', model: constant([1, 0, 0]), weight: 1 },
      { name: 'b', model: constant([1, 0, 0]), weight: 1 },
    ],
    TASK,
  )
  assert.throws(
    () => e.predict({ kind: 'view_set', n: 2, views: {} } as never),
    /member "a" needs a feature_matrix view/,
  )
  assert.throws(() => selectColumns(matrix, ['c']), /feature "c" is not in the feature matrix/)
})

test('a member that gives no valid probabilities is named, not hidden in the average', () => {
  const ensemble = votingEnsemble(
    [
      { name: 'good', weight: 1, model: constant([0.2, 0.3, 0.5]) },
      { name: 'broken', weight: 1, model: constant([NaN, 0.5, 0.5]) },
    ],
    TASK,
  )
  assert.throws(
    () => ensemble.predict(set as never),
    /ensemble member "broken" gave no valid probabilities for sample 0/,
  )
  // Float32 engines drift from a sum of 1 by ~1e-7 per value: that is a distribution.
  const drift = votingEnsemble(
    [
      { name: 'a', weight: 1, model: constant([0.2, 0.3, 0.5 + 3e-6]) },
      { name: 'b', weight: 1, model: constant([0.2, 0.3, 0.5]) },
    ],
    TASK,
  )
  assert.equal(drift.predict(set as never).n, 2)
})
