/**
 * `mlf models` says which models mlf run can train, with which heads: for every registry entry, that answer agrees
 * with what the config accepts at load (a model listed as run-ready with a head loads with it; one listed as not is
 * refused), so the listing can never promise what a run refuses.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import test from 'node:test'
import { runReadiness } from '../../src/cli/models.js'
import { resolveConfig } from '../../src/config/load.js'
import { registry } from '../../src/models/registry.js'
import { repoRoot } from '../helpers.js'

const OUTPUTS: Record<string, string[]> = {
  p: ['p'],
  p_up: ['p_up'],
  E_r: ['E_r'],
  'q05/q50/q95': ['q05', 'q50', 'q95'],
  tradeable: ['tradeable'],
  direction: ['direction'],
  strength: ['strength'],
  reach: ['reach'],
}

/** The load error of a config with this member beside an xgboost p member, or null when it loads. */
function loadError(name: string, outputs: string[]): string | null {
  const members = outputs[0] === 'p' ? [{ name, outputs }] : [{ name: 'xgboost' }, { name, outputs }]
  try {
    resolveConfig({ base_models: members })
    return null
  } catch (err) {
    return (err as Error).message
  }
}

for (const [name, entry] of registry) {
  test(`mlf models: ${name}'s run-readiness agrees with what a config accepts`, () => {
    const run = runReadiness(entry)
    if ('heads' in run) {
      for (const head of run.heads) {
        const error = loadError(name, OUTPUTS[head])
        // Imported models need a file path: that is the only error a run-ready model may get here.
        if (error) assert.match(error, /base_models\.\d\.config\.path: /, `${name} on ${head}: ${error}`)
      }
    } else {
      assert.match(
        loadError(name, ['p']) ?? 'loaded',
        /mlf run does not build|cannot produce/,
        `${name}: ${run.refused}`,
      )
    }
  })
}

test('mlf models --run-ready lists only run-ready models, each with its heads', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), 'models', '--run-ready'], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /\nridge +\[linear\] +available +mlf run: outputs E_r, strength\n/)
  assert.match(
    r.stdout,
    /xgboost +\[gradient_boosting\] +available +mlf run: outputs p, p_up, E_r, tradeable, direction, strength, reach\n/,
  )
  assert.match(r.stdout, /quantile_rnn .*mlf run: outputs q05\/q50\/q95\n/)
  // Zero-shot foundation models take part on the return heads (their tasks have no 3-class p).
  assert.match(r.stdout, /chronos_bolt +\[foundation\] +available +mlf run: outputs E_r, q05\/q50\/q95\n/)
  assert.match(r.stdout, /timesfm +\[foundation\] +available +mlf run: outputs E_r, q05\/q50\/q95\n/)
  assert.doesNotMatch(r.stdout, /mlf run: no/)
  assert.match(r.stdout, /models available; \d+ can take part in mlf run\n$/)
})
