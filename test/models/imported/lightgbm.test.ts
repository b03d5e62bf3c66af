import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { lightgbmModelEntry } from '../../../src/models/imported/lightgbm.js'
import { leafIndex, parseLightgbmText, predictRaw, transformRaw } from '../../../src/models/imported/lightgbm-text.js'
import { tempFile } from '../../helpers.js'
import { LGB_FIXTURES, readTable, XGB_FIXTURES } from '../contract-data.js'

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

  it("another library's model, binary data or a truncated model: the error names the file, never a TypeError", () => {
    const create = (path: string) => () => lightgbmModelEntry.create({ path }, { kind: 'binary' })
    for (const ext of ['json', 'ubj']) {
      const path = join(XGB_FIXTURES, `leaves_agaricus_gbtree.${ext}`)
      assert.throws(
        create(path),
        (e: Error) => e.message.startsWith(`${path}: is `) && /load it with xgboost_model$/.test(e.message),
      )
    }
    const bin = tempFile('model.bin', Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x74, 0x72, 0x65, 0x65]))
    assert.throws(create(bin), { message: `${bin}: is binary data, not a LightGBM text model` })
    const text = readFileSync(file('lg_breast_cancer.txt'), 'utf8')
    // Cut right after a complete tree, so what is left parses as a smaller model.
    const cut = tempFile('cut.txt', text.slice(0, text.indexOf('Tree=3')))
    assert.throws(
      create(cut),
      (e: Error) =>
        e instanceof Error &&
        !(e instanceof TypeError) &&
        e.message.startsWith(`${cut}: tree_sizes: lists 39 trees but the file has 3`),
    )
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

describe('LightGBM random forests: the rule depends on the LightGBM that wrote the file', () => {
  // Two stumps: tree 0 splits f0 at 0.5, tree 1 splits f1 at 0.5; dyadic leaves keep the averages exact.
  const forest = (versionLine: string, leaves0: string, leaves1 = '0.5 0.875') => `tree
${versionLine}num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=1
objective=binary sigmoid:1
average_output
feature_names=f0 f1
tree_sizes=1 1

${[leaves0, leaves1]
  .map(
    (leaves, t) => `Tree=${t}
num_leaves=2
num_cat=0
split_feature=${t}
split_gain=1
threshold=0.5
decision_type=2
left_child=-1
right_child=-2
leaf_value=${leaves}
shrinkage=1
`,
  )
  .join('\n')}
end of trees
`
  const rowsIn = [
    [0, 0],
    [1, 0],
    [1, 1],
    [0, 1],
  ]
  const pUp = (text: string) =>
    Array.from(
      lightgbmModelEntry
        .create({ path: tempFile('rf.txt', text) }, { kind: 'binary' })
        .predict({ kind: 'feature_matrix', n: 4, f: 2, data: Float64Array.from(rowsIn.flat()), names: ['f0', 'f1'] })
        .p_up!,
    )
  // Per row, the mean of the two leaves it reaches: (0.25+0.5)/2, (0.75+0.5)/2, (0.75+0.875)/2, (0.25+0.875)/2.
  const averages = [0.375, 0.625, 0.8125, 0.5625]
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v))

  it('v2/unversioned files (LightGBM < 2.2.3) average probabilities; v3/v4 apply the sigmoid after averaging', () => {
    // Before 2.2.3, RF leaves were label means (or sigmoid of the leaf) and Predict divided by the trees, no sigmoid.
    assert.deepEqual(pUp(forest('version=v2\n', '0.25 0.75')), averages)
    assert.deepEqual(pUp(forest('', '0.25 0.75')), averages)
    // From 2.2.3 on (v3 from 2.3.0), Predict divides the raw sum by the trees, then applies the objective's sigmoid.
    assert.deepEqual(pUp(forest('version=v3\n', '0.25 0.75')), averages.map(sigmoid))
    assert.deepEqual(pUp(forest('version=v4\n', '0.25 0.75')), averages.map(sigmoid))
    // A boosted v2 model (no average_output) keeps its sigmoid of the sum: 0.75, 1.25, 1.625, 1.125.
    const gbdt = forest('version=v2\n', '0.25 0.75').replace('average_output\n', '')
    assert.deepEqual(pUp(gbdt), [0.75, 1.25, 1.625, 1.125].map(sigmoid))
    // A v2 forest with a leaf outside [0, 1] can only be LightGBM 2.2.3's (raw scores): sigmoid of the average.
    // Leaves -1.5 / 2.5 are no probabilities; per row (-1.5+0.5)/2, (2.5+0.5)/2, (2.5+0.875)/2, (-1.5+0.875)/2.
    assert.deepEqual(pUp(forest('version=v2\n', '-1.5 2.5')), [-0.5, 1.5, 1.6875, -0.3125].map(sigmoid))
  })

  it('a truncated file is refused naming the file, never loaded as a smaller model', () => {
    const whole = forest('version=v3\n', '0.25 0.75')
    const cut = whole.slice(0, whole.indexOf('Tree=1'))
    assert.throws(() => parseLightgbmText(cut, 'cut.txt'), /cut\.txt: tree_sizes: lists 2 trees but the file has 1/)
    const noEnd = whole.replace('end of trees\n', '')
    assert.throws(() => parseLightgbmText(noEnd, 'end.txt'), /end\.txt: end of trees: missing after Tree=1/)
    assert.throws(
      () => parseLightgbmText(whole.replace('version=v3', 'version=3.1'), 'v.txt'),
      /v\.txt: version: "3\.1" is not a LightGBM model version/,
    )
  })
})
