import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyParams, gridValues, valueAt } from '../../src/sweep/space.js'

test('applyParams writes values at their paths into a copy, creating mappings, never the base', () => {
  const base = { base_models: [{ name: 'xgboost' }], features: { ablate: [] } }
  const out = applyParams(base, { 'base_models.0.config.max_depth': 4, 'features.ablate': ['volume'] })
  assert.deepEqual(out, {
    base_models: [{ name: 'xgboost', config: { max_depth: 4 } }],
    features: { ablate: ['volume'] },
  })
  assert.deepEqual(base, { base_models: [{ name: 'xgboost' }], features: { ablate: [] } })
  const model = { name: 'logistic', config: { C: 2 } }
  const chosen = applyParams(base, { 'base_models.0': model })
  model.config.C = 3
  assert.deepEqual(chosen.base_models, [{ name: 'logistic', config: { C: 2 } }], 'values are copied')
})

test('applyParams names the path when a list item or a mapping is missing from the base', () => {
  assert.throws(
    () => applyParams({ base_models: [{ name: 'xgboost' }] }, { 'base_models.1.name': 'x' }),
    /space\.base_models\.1\.name: base_models has 1 item/,
  )
  assert.throws(
    () => applyParams({}, { 'base_models.0.name': 'x' }),
    /space\.base_models\.0\.name: base_models is not a list/,
  )
  assert.throws(() => applyParams({ seed: 3 }, { 'seed.x': 1 }), /space\.seed\.x: seed is not a mapping/)
})

test('grid values: choices, integers by step, points along a range (log-spaced for log_uniform)', () => {
  assert.deepEqual(gridValues({ path: 'a', param: { type: 'int', low: 2, high: 8, step: 3 } }), [2, 5, 8])
  assert.deepEqual(gridValues({ path: 'a', param: { type: 'choice', values: ['x', [1]] } }), ['x', [1]])
  const log = gridValues({ path: 'a', param: { type: 'log_uniform', low: 0.01, high: 1, points: 3 } }) as number[]
  assert.ok(Math.abs(log[1] - 0.1) < 1e-12 && Math.abs(log[0] - 0.01) < 1e-15 && Math.abs(log[2] - 1) < 1e-12)
  assert.match(gridValues({ path: 'a', param: { type: 'uniform', low: 0, high: 1 } }) as string, /needs points/)
})

test('valueAt maps [0, 1) onto the whole range, integers uniformly over their steps', () => {
  const p = { type: 'int', low: 1, high: 3, step: 1 } as const
  assert.deepEqual(
    [0, 0.34, 0.67, 0.999999].map((u) => valueAt(p, u)),
    [1, 2, 3, 3],
  )
  assert.ok(Math.abs((valueAt({ type: 'log_uniform', low: 1, high: 100 }, 0.5) as number) - 10) < 1e-12)
  assert.equal(valueAt({ type: 'choice', values: ['a', 'b'] }, 0.5), 'b')
})
