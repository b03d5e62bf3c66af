import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { OPENMP_SPIN_COUNT } from '../../src/engines/openmp.js'

const moduleUrl = new URL('../../src/engines/openmp.js', import.meta.url).href

/** GOMP_SPINCOUNT and what the module reports after applyOpenMpDefaults, in a fresh process with `env`. */
function inChild(env: Record<string, string>): { spin: string | null; applied: string[] } {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'GOMP_SPINCOUNT' && k !== 'OMP_WAIT_POLICY'),
  )
  const code =
    `const m = await import(${JSON.stringify(moduleUrl)}); m.applyOpenMpDefaults(); m.applyOpenMpDefaults();` +
    `console.log(JSON.stringify({ spin: process.env.GOMP_SPINCOUNT ?? null, applied: m.openMpDefaultsApplied() }))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...base, ...env },
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout) as { spin: string | null; applied: string[] }
}

test('OpenMP defaults: a short spin where the user set none, the user setting otherwise', () => {
  assert.deepEqual(inChild({}), { spin: OPENMP_SPIN_COUNT, applied: ['GOMP_SPINCOUNT'] })
  assert.deepEqual(inChild({ GOMP_SPINCOUNT: '300000' }), { spin: '300000', applied: [] })
  assert.deepEqual(inChild({ OMP_WAIT_POLICY: 'active' }), { spin: null, applied: [] })
})
