import { test } from 'node:test'
import assert from 'node:assert/strict'
import { psi, psiTerm } from '../../src/monitor/psi.js'
import { close, driftCases, proportionsOf } from './vectors.js'

test('PSI by hand: [0.5, 0.5] against [0.25, 0.75] is 0.25 ln 3; identical proportions give 0', () => {
  assert.ok(close(psi([0.5, 0.5], [0.25, 0.75]), 0.25 * Math.log(3), 1e-15))
  assert.equal(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), 0)
  // Symmetric, each term non-negative.
  assert.ok(close(psi([0.25, 0.75], [0.5, 0.5]), psi([0.5, 0.5], [0.25, 0.75]), 1e-15))
  assert.ok(psiTerm(0.9, 0.1) > 0 && psiTerm(0.1, 0.9) > 0)
  assert.throws(() => psi([0.5, 0.5], [1]), /2 reference bins and 1 window bins/)
})

test('PSI equals numpy on the smoothed proportions of every fixture case, and is finite with empty bins', () => {
  for (const c of driftCases()) {
    const { p, q } = proportionsOf(c)
    const value = psi(p, q)
    assert.ok(close(value, c.psi), `${c.name}: ${value} vs numpy ${c.psi}`)
    assert.ok(Number.isFinite(value))
  }
  // The empty-bin case has window bins with no value at all, and the reference has empty tail bins.
  const empty = driftCases().find((c) => c.name.startsWith('empty bins'))!
  assert.ok(empty.counts_window.filter((x) => x === 0).length >= 5)
})
