import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { lightgbmModelEntry } from '../../../src/models/imported/lightgbm.js'
import { leafIndex, parseLightgbmText, predictRaw, transformRaw } from '../../../src/models/imported/lightgbm-text.js'
import { tempFile } from '../../helpers.js'
import { LGB_FIXTURES, readTable } from '../contract-data.js'

const skip = existsSync(LGB_FIXTURES) ? false : `${LGB_FIXTURES} is absent; skipped`
const file = (name: string) => join(LGB_FIXTURES, name)
const rows = (name: string) => readTable(file(name), false)

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ')
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('LightGBM text models (TypeScript predictor) match LightGBM', { skip }, () => {
  it('breast cancer (binary): every leaf index equals LightGBM pred_leaf, p_up = sigmoid(raw)', () => {
    const model = parseLightgbmText(readFileSync(file('lg_breast_cancer.txt'), 'utf8'), 'lg_breast_cancer.txt')
    const ds = rows('lg_breast_cancer_data.txt')
    const leaves = rows('lg_breast_cancer_data_pred_leaves.txt')
    assert.equal(leaves.x.f, model.trees.length)
    for (let i = 0; i < ds.x.n; i++) {
      for (let t = 0; t < model.trees.length; t++) {
        assert.equal(
          leafIndex(model.trees[t], ds.x.data, i * ds.x.f),
          leaves.x.data[i * leaves.x.f + t],
          `row ${i} tree ${t}`,
        )
      }
    }
    const out = lightgbmModelEntry.create({ path: file('lg_breast_cancer.txt') }, { kind: 'binary' }).predict(ds.x)
    const raw = predictRaw(model, ds.x.data, ds.x.n, ds.x.f)
    for (let i = 0; i < ds.x.n; i++) assert.equal(out.p_up![i], 1 / (1 + Math.exp(-raw[i])))
  })

  it('5-class multiclass: raw scores and softmax probabilities within 1e-12', () => {
    const ds = readTable(file('multiclass_test.tsv'), true)
    const model = parseLightgbmText(readFileSync(file('lgmulticlass.model'), 'utf8'))
    assert.equal(model.treesPerIteration, 5)
    const raw = predictRaw(model, ds.x.data, ds.x.n, ds.x.f)
    assert.ok(maxAbsDiff(raw, rows('lgmulticlass_true_raw_predictions.txt').x.data) <= 1e-12)
    const out = lightgbmModelEntry
      .create({ path: file('lgmulticlass.model') }, { kind: 'multiclass', classes: 5 })
      .predict(ds.x)
    assert.equal(out.classes, 5)
    const d = maxAbsDiff(out.p!, rows('lgmulticlass_true_predictions.txt').x.data)
    assert.ok(d <= 1e-12, `max abs diff ${d}`)
  })

  it('Poisson regression with categorical splits (log link): predictions within 1e-12', () => {
    const model = parseLightgbmText(readFileSync(file('genlin_fmtp_poisson_Frequency.model'), 'utf8'))
    assert.ok(
      model.trees.some((t) => t.catBoundaries.length > 0),
      'fixture exercises categorical splits',
    )
    assert.equal(model.transform.kind, 'exp')
    const ds = rows('genlin_fmtp_poisson_Frequency_features.tsv')
    const out = lightgbmModelEntry
      .create({ path: file('genlin_fmtp_poisson_Frequency.model') }, { kind: 'regression' })
      .predict(ds.x)
    const d = maxAbsDiff(out.E_r!, rows('genlin_fmtp_poisson_Frequency_true_predictions.txt').x.data)
    assert.ok(d <= 1e-12, `max abs diff ${d}`)
  })

  it('a bad model names the file and the field; a task that does not fit is refused', () => {
    const text = readFileSync(file('lg_breast_cancer.txt'), 'utf8')
    const broken = text.replace(/^leaf_value=.*$/m, 'leaf_value=1 2')
    assert.throws(() => parseLightgbmText(broken, 'bc.txt'), /bc\.txt: Tree=0 leaf_value: has 2 values, expected 10/)
    assert.throws(
      () => parseLightgbmText(text.replace('objective=binary sigmoid:1', 'objective=lambdarank'), 'r.txt'),
      /r\.txt: objective: "lambdarank" is not supported/,
    )
    assert.throws(() => parseLightgbmText('not a model', 'x.txt'), /x\.txt: line 1: expected "tree"/)
    assert.throws(
      () => parseLightgbmText(text.replace(/^left_child=1 /m, 'left_child=99 '), 'c.txt'),
      /c\.txt: Tree=0 left_child\[0\]: 99 points outside the tree/,
    )
    assert.throws(
      () => lightgbmModelEntry.create({ path: file('lgmulticlass.model') }, { kind: 'binary' }),
      (e: Error) => e.message.includes('lgmulticlass.model') && e.message.includes('field "objective"'),
    )
  })
})

describe('LightGBM predictor semantics on a hand-written model', () => {
  // One numerical split on f0 (NaN missing, default left) then a categorical split on f1 with categories {1, 33}.
  const model = `tree
version=v3
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=regression
average_output
feature_names=a b

Tree=0
num_leaves=3
num_cat=1
split_feature=0 1
split_gain=1 1
threshold=0.5 0
decision_type=10 1
left_child=-1 -2
right_child=1 -3
leaf_value=10 20 30
cat_boundaries=0 2
cat_threshold=2 2
shrinkage=1

Tree=1
num_leaves=1
num_cat=0
split_feature=
split_gain=
threshold=
decision_type=
left_child=
right_child=
leaf_value=4
shrinkage=1

end of trees
`
  const m = parseLightgbmText(model, 'hand.txt')
  const predict = (rowsIn: number[][]) =>
    Array.from(transformRaw(m, predictRaw(m, Float64Array.from(rowsIn.flat()), rowsIn.length, 2)))

  it('routes NaN by default_left, categories by bitset (NaN/negative/unknown right), averages outputs', () => {
    assert.ok(m.averageOutput)
    // (leaf + 4) / 2 iterations
    assert.deepEqual(
      predict([
        [0.2, 0],
        [NaN, 0],
        [0.7, 1],
        [0.7, 33],
        [0.7, 2],
        [0.7, NaN],
        [0.7, -1],
        [0.7, 1000],
      ]),
      [7, 7, 12, 12, 17, 17, 17, 17],
    )
  })

  it('refuses an input of the wrong width', () => {
    const path = tempFile('hand.txt', model)
    const entry = lightgbmModelEntry.create({ path }, { kind: 'regression' })
    const x = { kind: 'feature_matrix' as const, n: 1, f: 3, data: new Float64Array(3), names: ['a', 'b', 'c'] }
    assert.throws(() => entry.predict(x), /expects 2 features, got 3/)
  })
})
