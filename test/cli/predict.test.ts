import assert from 'node:assert/strict'
import { test } from 'node:test'
import { explainOptions } from '../../src/cli/predict.js'
import { explainPath } from '../../src/pipeline/explain.js'

test('--explain: shap when bare, a method by name, --top a positive whole number; anything else refused by name', () => {
  assert.equal(explainOptions(undefined, '5'), null)
  assert.deepEqual(explainOptions(true, '5'), { method: 'shap', top: 5 })
  assert.deepEqual(explainOptions('permutation', '3'), { method: 'permutation', top: 3 })
  assert.throws(() => explainOptions('lime', '5'), /--explain lime: expected one of shap, permutation/)
  for (const bad of ['0', '-2', '2.5', 'ten'])
    assert.throws(() => explainOptions(true, bad), new RegExp(`--top ${bad}: expected a whole number`))
})

test('the explanations go beside the predictions', () => {
  assert.equal(explainPath('out/preds.csv', 'shap'), 'out/preds.explain.csv')
  assert.equal(explainPath('out/preds.CSV', 'permutation'), 'out/preds.importance.csv')
  assert.equal(explainPath('preds', 'shap'), 'preds.explain.csv')
})
