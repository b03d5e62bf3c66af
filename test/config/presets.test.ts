import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.js'
import { repoRoot } from '../helpers.js'
import { runConfigProblems } from '../../src/pipeline/problems.js'
import { runReadiness } from '../../src/cli/models.js'
import { headsOf } from '../../src/config/heads.js'
import { registry } from '../../src/models/registry.js'

test('every preset validates against the schema (model parameters included)', () => {
  const dir = join(repoRoot, 'configs/presets')
  const presets = readdirSync(dir).filter((f) => f.endsWith('.yaml'))
  assert.ok(presets.includes('fast_baseline.yaml') && presets.includes('tabular_ensemble.yaml'))
  for (const file of presets) {
    const config = loadConfig(join(dir, file))
    assert.match(config.hash, /^[0-9a-f]{64}$/, file)
    assert.ok(config.base_models.length >= 1, file)
  }
  const ensemble = loadConfig(join(dir, 'tabular_ensemble.yaml'))
  assert.ok(ensemble.ensemble && 'kind' in ensemble.ensemble && ensemble.ensemble.kind === 'voting')
  assert.ok(ensemble.base_models.length >= 2)
  // Stacking's params are parsed in, defaults included, so they are hashed and written to config.resolved.yaml.
  const stacking = loadConfig(join(dir, 'tabular_stacking.yaml'))
  assert.deepEqual(stacking.ensemble, {
    method: 'stacking',
    meta_learner: 'ridge',
    meta_params: { alpha: 1, fit_intercept: true, standardize: true },
    oof: { n_folds: 5, purge_bars: 60, embargo_bars: 1440 },
    guard: 'fallback',
    regime_features: [],
  })
})

test('every preset is a run mlf run can do: nothing in it refused', () => {
  const dir = join(repoRoot, 'configs/presets')
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    assert.deepEqual(runConfigProblems(loadConfig(join(dir, file))), [], file)
  }
  const walk = loadConfig(join(dir, 'walk_forward.yaml'))
  assert.equal(walk.splits.method, 'walk_forward')
  assert.deepEqual(walk.evaluation.walk_forward, {
    mode: 'rolling',
    train: '60d',
    test: '7d',
    step: '7d',
    val: 0.15,
    anchor: '1970-01-01T00:00:00Z',
  })
})

test('heterogeneous_trio: a head changed to one its member cannot produce is refused at load, before any training', () => {
  const file = join(repoRoot, 'configs/presets/heterogeneous_trio.yaml')
  const trio = loadConfig(file)
  assert.deepEqual(
    trio.base_models.map((m) => [m.name, m.outputs]),
    [
      ['xgboost_leafwise', ['p']],
      ['tcn', ['E_r']],
      ['patchtst', ['p', 'E_r']],
    ],
  )
  const swapped = (i: number, outputs: string[]) => ({
    base_models: trio.base_models.map((m, k) => ({
      name: m.name,
      config: m.config,
      outputs: k === i ? outputs : m.outputs,
    })),
  })
  assert.throws(
    () => loadConfig(file, swapped(1, ['q05', 'q50', 'q95'])),
    /base_models\.1\.outputs: model "tcn" cannot produce q05\/q50\/q95/,
  )
  assert.throws(
    () => loadConfig(file, swapped(0, ['E_r', 'q05', 'q50', 'q95'])),
    /model "xgboost_leafwise" cannot produce q05\/q50\/q95/,
  )
})

test('research_comparison: every run-ready model, each trained alone once, except the foundation and imported ones', () => {
  const config = loadConfig(join(repoRoot, 'configs/presets/research_comparison.yaml'))
  assert.equal(config.evaluation.compare, true)
  // From the registry, so a model added to it and left out of the preset fails here.
  const ready = [...registry.values()].filter((e) => 'heads' in runReadiness(e))
  const expected = ready
    .filter((e) => e.spec.family !== 'foundation' && e.spec.family !== 'imported')
    .map((e) => e.spec.name)
    .sort()
  const names = config.base_models.map((m) => m.name)
  assert.deepEqual([...names].sort(), expected)
  assert.ok(expected.length >= 20 && ready.length > expected.length)
  // Each model on one head: the class probabilities whenever it can produce them, so every classifier is traded.
  for (const m of config.base_models) {
    const heads = headsOf(m.outputs)
    assert.equal(heads.length, 1, m.name)
    if (registry.get(m.name)!.spec.tasks.includes('multiclass')) assert.deepEqual(heads, ['p'], m.name)
  }
  assert.ok(config.ensemble && 'kind' in config.ensemble && config.ensemble.kind === 'voting')
})
