import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.js'
import { repoRoot } from '../helpers.js'
import { runConfigProblems } from '../../src/pipeline/problems.js'

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
