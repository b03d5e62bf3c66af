import { test } from 'node:test'
import assert from 'node:assert/strict'
import { klDivergence } from '../../src/monitor/kl.js'
import { close, driftCases, proportionsOf } from './vectors.js'

test('KL by hand: KL([0.25, 0.75] || [0.5, 0.5]) = 0.25 ln 0.5 + 0.75 ln 1.5; zero for equal inputs', () => {
  const expected = 0.25 * Math.log(0.5) + 0.75 * Math.log(1.5)
  assert.ok(close(klDivergence([0.25, 0.75], [0.5, 0.5]), expected, 1e-15))
  assert.ok(Math.abs(expected - 0.130812) < 1e-7)
  assert.equal(klDivergence([0.3, 0.7], [0.3, 0.7]), 0)
  // Not symmetric.
  assert.notEqual(klDivergence([0.5, 0.5], [0.25, 0.75]), klDivergence([0.25, 0.75], [0.5, 0.5]))
  assert.throws(() => klDivergence([1], [0.5, 0.5]), /1 and 2 bins/)
})

test('KL(window || reference) equals scipy.stats.entropy(q, p) on every fixture case', () => {
  for (const c of driftCases()) {
    const { p, q } = proportionsOf(c)
    const value = klDivergence(q, p)
    assert.ok(close(value, c.kl), `${c.name}: ${value} vs scipy ${c.kl}`)
  }
})
