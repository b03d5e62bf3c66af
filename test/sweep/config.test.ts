import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { stringify } from 'yaml'
import { loadSweep, resolveSweep, trialConfig } from '../../src/sweep/config.js'
import { repoRoot, tempDir } from '../helpers.js'
import { smallBase, smallSweep } from './fixture.js'

test('a sweep resolves with defaults, a frozen hash and trial configs carrying its values', () => {
  const s = smallSweep()
  assert.equal(s.sampler.kind, 'random')
  assert.equal(s.pruner, null)
  assert.deepEqual(s.objective, { metric: 'log_loss', direction: 'minimize' })
  assert.equal(s.seed, 7, 'the base config seed by default')
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.space))
  assert.equal(smallSweep().hash, s.hash)
  assert.notEqual(smallSweep({ seed: 8 }).hash, s.hash)
  const c = trialConfig(s, { 'base_models.0.config.max_depth': 2, 'base_models.0.config.learning_rate': 0.1 })
  assert.equal(c.base_models[0].config.max_depth, 2)
  assert.equal(c.base_models[0].config.n_estimators, 30)
  assert.deepEqual(resolveSweep({ ...sweepInput(), objective: { metric: 'bt_sharpe' } }).objective, {
    metric: 'bt_sharpe',
    direction: 'maximize',
  })
})

function sweepInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    base: smallBase(),
    space: { 'base_models.0.config.max_depth': { type: 'int', low: 2, high: 4 } },
    budget: { trials: 3 },
    objective: { metric: 'log_loss' },
    ...over,
  }
}

test('model choice and feature-group ablation are spaces like any other', () => {
  const s = resolveSweep(
    sweepInput({
      space: {
        'base_models.0': {
          type: 'choice',
          values: [{ name: 'xgboost', config: { n_estimators: 10 } }, { name: 'logistic' }],
        },
        'features.ablate': { type: 'choice', values: [[], ['volume'], ['momentum', 'stats']] },
      },
    }),
  )
  const c = trialConfig(s, { 'base_models.0': { name: 'logistic' }, 'features.ablate': ['volume'] })
  assert.equal(c.base_models[0].name, 'logistic')
  assert.deepEqual(c.features.ablate, ['volume'])
})

test('refused at load: bad values and paths, frozen sections, nested paths, unknown kinds, unused keys', () => {
  const refused = (over: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => resolveSweep(sweepInput(over)), pattern)
  refused(
    { space: { 'base_models.0.config.max_depth': { type: 'int', low: 0, high: 4 } } },
    /space\.base_models\.0\.config\.max_depth: with 0: .*max_depth/,
  )
  refused(
    { space: { 'base_models.0.config.max_dept': { type: 'int', low: 2, high: 4 } } },
    /with 2: .*did you mean "max_depth"/,
  )
  refused(
    { space: { 'base_models.0.name': { type: 'choice', values: ['xgboost', 'xgbost'] } } },
    /with "xgbost": .*unknown model "xgbost"/,
  )
  refused({ space: { seed: { type: 'int', low: 1, high: 4 } } }, /space\.seed: seed cannot be searched/)
  refused({ space: { 'backtest.fees': { type: 'uniform', low: 0, high: 4 } } }, /backtest cannot be searched: costs/)
  refused({ space: { 'splits.walkForward.trainDays': { type: 'int', low: 1, high: 4 } } }, /splits cannot be searched/)
  refused(
    {
      space: {
        'base_models.0': { type: 'choice', values: [{ name: 'xgboost' }] },
        'base_models.0.config.max_depth': { type: 'int', low: 2, high: 4 },
      },
    },
    /base_models\.0\.config\.max_depth is inside base_models\.0/,
  )
  refused({ space: { 'base_models.2.name': { type: 'choice', values: ['xgboost'] } } }, /base_models has 1 item/)
  refused({ space: { x: { type: 'uniform', low: 1, high: 1 } } }, /high \(1\) must be greater than low \(1\)/)
  refused({ space: { 'features.ablate': { type: 'choice', values: [[], []] } } }, /\[\] is listed twice/)
  refused({ space: {} }, /at least one parameter/)
  refused({ sampler: { kind: 'tpee' } }, /unknown sampler "tpee"; did you mean "tpe"/)
  refused({ sampler: { kind: 'tpe', gama: 0.2 } }, /did you mean "gamma"/)
  refused(
    {
      sampler: { kind: 'grid' },
      space: { 'base_models.0.config.learning_rate': { type: 'uniform', low: 0.1, high: 0.3 } },
    },
    /the grid sampler needs points/,
  )
  refused(
    { space: { 'base_models.0.config.learning_rate': { type: 'uniform', low: 0.1, high: 0.3, points: 3 } } },
    /points is for the grid sampler; the tpe sampler/,
  )
  refused(
    { pruner: { kind: 'median' }, base: smallBase({ base_models: [{ name: 'logistic' }] }) },
    /pruner: no base model .* reports a learning curve/,
  )
  refused({ objective: { metric: 'sharpe' } }, /objective\.metric/)
  refused({ budget: { trials: 3, time: '10 minutes' } }, /budget\.time: a duration/)
  refused({ budgett: { trials: 3 } }, /did you mean "budget"/)
})

test('a sweep file: base and data relative to it, errors with the line of the bad field', () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'base.yaml'), stringify(smallBase()))
  const file = join(dir, 'sweep.yaml')
  writeFileSync(file, stringify({ ...sweepInput({ base: 'base.yaml', data: 'bars.csv' }) }))
  const s = loadSweep(file)
  assert.equal(s.dataFile, join(dir, 'bars.csv'))
  assert.equal(s.base.base_models[0].name, 'xgboost')
  writeFileSync(
    file,
    'base: base.yaml\nspace:\n  base_models.0.config.max_depth: {type: int, low: 2, high: 4}\nbudget: {trials: 0}\nobjective: {metric: log_loss}\n',
  )
  assert.throws(() => loadSweep(file), /sweep\.yaml:4: budget\.trials/)
  writeFileSync(
    file,
    'base: missing.yaml\nspace:\n  x: {type: int, low: 2, high: 4}\nbudget: {trials: 1}\nobjective: {metric: log_loss}\n',
  )
  assert.throws(() => loadSweep(file), /cannot read config .*missing\.yaml/)
})

test('the shipped sweeps load', () => {
  const s = loadSweep(join(repoRoot, 'configs/sweeps/fast_baseline.yaml'))
  assert.equal(s.base.source, join(repoRoot, 'configs/presets/fast_baseline.yaml'))
  assert.equal(s.space.length, 4)
})
