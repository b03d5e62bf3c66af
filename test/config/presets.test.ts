import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.js'
import { repoRoot } from '../helpers.js'

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
  assert.equal(ensemble.ensemble?.kind, 'voting')
  assert.ok(ensemble.base_models.length >= 2)
})
