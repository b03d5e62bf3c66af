import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closest, didYouMean, editDistance, maxDistance, similar } from '../../src/core/suggest.js'

test('editDistance counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
  assert.equal(editDistance('', ''), 0)
  assert.equal(editDistance('abc', ''), 3)
  assert.equal(editDistance('', 'ab'), 2)
  assert.equal(editDistance('xgboost', 'xgbost'), 1)
  assert.equal(editDistance('kitten', 'sitting'), 3)
  assert.equal(editDistance('lstm', 'lsmt'), 1) // a swap is one edit (plain Levenshtein: 2)
  assert.equal(editDistance('ca', 'abc'), 3) // optimal string alignment: no edits of a swapped pair
  assert.equal(editDistance('seed', 'seed'), 0)
})

test('maxDistance grows with the length of the name', () => {
  assert.deepEqual(
    [3, 5, 6, 8, 9, 20].map((n) => maxDistance(n)),
    [1, 1, 2, 2, 3, 3],
  )
})

test('closest picks the nearest name, case- and separator-insensitively, and nothing when none is near', () => {
  const models = ['xgboost', 'xgboost_leafwise', 'random_forest', 'lstm', 'gru', 'mlp', 'patchtst', 'tcn']
  assert.equal(closest('xgbost', models), 'xgboost')
  assert.equal(closest('XGBoost', models), 'xgboost')
  assert.equal(closest('random-forest', models), 'random_forest')
  assert.equal(closest('lsmt', models), 'lstm')
  assert.equal(closest('patch', models), 'patchtst') // a prefix
  assert.equal(closest('transformer', models), null)
  assert.equal(closest('gbm', models), null) // three letters: one edit at most
  assert.equal(closest('xgboost', models), null) // a known name is no typo
  assert.equal(closest('', models), null)
})

test('similar lists close names nearest first, typos before prefixes', () => {
  const features = ['rsi_14_1m', 'rsi_14_5m', 'rsi_14_1h', 'atr_14_1m', 'ret_1_1m']
  assert.deepEqual(similar('rsi_14_1n', features), ['rsi_14_1m', 'rsi_14_1h', 'rsi_14_5m'])
  assert.deepEqual(similar('rsi_14', features), ['rsi_14_1m', 'rsi_14_5m', 'rsi_14_1h'])
  assert.deepEqual(similar('rsi_14', features, 1), ['rsi_14_1m'])
  assert.deepEqual(similar('macd', features), [])
})

test('didYouMean says the closest name, or nothing', () => {
  assert.equal(didYouMean('isotonc', ['temperature', 'isotonic', 'platt']), 'did you mean "isotonic"?')
  assert.equal(didYouMean('isotonc', ['isotonic'], ' '), 'did you mean "isotonic"? ')
  assert.equal(didYouMean('zzz', ['isotonic'], ' '), '')
})
