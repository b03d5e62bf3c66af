import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { xgboostAvailability } from '../../src/engines/xgboost/index.js'
import { xgboostSpec } from '../../src/models/tabular/xgboost.js'
import { loadXgbModel } from '../../src/engines/xgboost/model.js'
import { createModel } from '../../src/models/registry.js'
import type { FeatureMatrixView } from '../../src/features/views/types.js'
import {
  beeswarmPoints,
  contributionsOf,
  explainRow,
  hasShap,
  meanAbsShap,
  topIndices,
  type Contributions,
  type ExplainableModel,
} from '../../src/explain/shap.js'
import { syntheticSplit } from '../models/contract-data.js'

const availability = xgboostAvailability()
const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'shap')

interface Vectors {
  rows: number
  features: number
  x: (number | null)[]
  shape: number[]
  contribs: number[]
  margin: number[]
}

const vectorsOf = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name, 'vectors.json'), 'utf8')) as Vectors

/**
 * Every (row, group)'s contributions plus bias equal the margin, to 1e-6 relative to the margin's size (at least 1):
 * XGBoost computes both in float32 (about 7 digits) and sums them in different orders, so a margin of 2.4 can differ
 * from its contributions' sum by 1e-6 in absolute terms.
 */
function assertAdditive(model: ExplainableModel, x: FeatureMatrixView): void {
  const c = contributionsOf(model, x, x.f)
  const margin = model.margins(x)
  assert.equal(margin.length, c.rows * c.groups)
  for (let i = 0; i < c.rows; i++)
    for (let g = 0; g < c.groups; g++) {
      const e = explainRow(c, i, g, 0)
      const m = margin[i * c.groups + g]
      const tolerance = 1e-6 * Math.max(1, Math.abs(m))
      assert.ok(Math.abs(e.margin - m) <= tolerance, `row ${i} group ${g}: SHAP sums to ${e.margin}, margin ${m}`)
    }
}

describe('SHAP values through XGBoost TreeSHAP', { skip: availability.ok ? false : availability.hint }, () => {
  for (const name of ['multiclass', 'binary']) {
    it(`${name}: equal python3-xgboost's pred_contribs and output_margin on the same model (fixture)`, async () => {
      const v = vectorsOf(name)
      const model = await loadXgbModel(xgboostSpec, join(FIXTURES, name))
      assert.ok(hasShap(model))
      const x: FeatureMatrixView = {
        kind: 'feature_matrix',
        n: v.rows,
        f: v.features,
        data: Float64Array.from(v.x, (a) => (a === null ? Number.NaN : a)),
        names: Array.from({ length: v.features }, (_, j) => `x${j}`),
      }
      const c = contributionsOf(model, x, v.features)
      assert.deepEqual([c.rows, c.groups, c.features + 1], v.shape)
      for (let i = 0; i < v.contribs.length; i++)
        assert.ok(Math.abs(c.values[i] - v.contribs[i]) <= 1e-6, `value ${i}: ${c.values[i]} vs ${v.contribs[i]}`)
      const margin = model.margins(x)
      for (let i = 0; i < v.margin.length; i++) assert.ok(Math.abs(margin[i] - v.margin[i]) <= 1e-6, `margin ${i}`)
      assertAdditive(model, x)
    })
  }

  for (const task of [{ kind: 'binary' as const }, { kind: 'multiclass' as const, classes: 3 }]) {
    it(`${task.kind}: a model fitted here adds up, contributions plus bias equal the margin for every row`, async () => {
      const split = syntheticSplit('feature_matrix', task)
      const model = createModel('xgboost', { n_estimators: 40, max_depth: 4 }, task)
      await model.fit(split.train, split.val, { seed: 5, threads: 1 })
      assert.ok(hasShap(model))
      assertAdditive(model, split.test.x as FeatureMatrixView)
    })
  }
})

describe('SHAP summaries', () => {
  // 2 rows, 2 groups, 3 features + bias.
  const c: Contributions = {
    rows: 2,
    groups: 2,
    features: 3,
    values: Float64Array.from([
      // row 0: group 0, group 1
      0.5, -0.25, 0, 1, /**/ -0.5, 0.25, 0.125, -1,
      // row 1
      -1.5, 0, 0.25, 1, /**/ 0.5, 0, -0.25, -1,
    ]),
  }

  it('mean |SHAP| per feature sums |values| over classes and averages over rows', () => {
    assert.deepEqual(Array.from(meanAbsShap(c)), [
      (0.5 + 0.5 + 1.5 + 0.5) / 2,
      (0.25 + 0.25) / 2,
      (0.125 + 0.25 + 0.25) / 2,
    ])
  })

  it('a row is explained by its largest |SHAP| features, and its values add up to the margin', () => {
    const e = explainRow(c, 1, 0, 2)
    assert.equal(e.bias, 1)
    assert.equal(e.margin, -1.5 + 0 + 0.25 + 1)
    assert.deepEqual(e.top, [
      { feature: 0, shap: -1.5 },
      { feature: 2, shap: 0.25 },
    ])
    assert.deepEqual(topIndices([1, 3, 3, 0], 3), [1, 2, 0])
  })

  it('beeswarm points carry the SHAP value and the rank of the feature value among the rows', () => {
    const x = { data: Float64Array.from([5, 0, 0, /**/ 2, 0, 0]), f: 3 }
    assert.deepEqual(beeswarmPoints(c, x, [0], 1, [0, 1]), [
      [0, -0.5, 1],
      [0, 0.5, 0],
    ])
  })
})
