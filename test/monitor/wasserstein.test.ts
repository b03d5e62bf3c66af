import { test } from 'node:test'
import assert from 'node:assert/strict'
import { scaledWasserstein, wasserstein1 } from '../../src/monitor/wasserstein.js'
import { quantileSorted } from '../../src/core/quantile.js'
import { REFERENCE_QUANTILES } from '../../src/monitor/reference.js'
import { close, driftCases, finiteSorted } from './vectors.js'

test('Wasserstein-1 by hand: a shift moves every point, ties and unequal sizes are handled', () => {
  assert.equal(wasserstein1([0, 1], [1, 2]), 1)
  assert.equal(wasserstein1([0, 1, 2], [0, 1, 2]), 0)
  // Half the mass moves from 0 to 2: 1; one point at 1 against {0, 2}: half the mass moves 1 each way.
  assert.equal(wasserstein1([0, 0], [0, 2]), 1)
  assert.equal(wasserstein1([1], [0, 2]), 1)
  assert.equal(wasserstein1([0, 0, 0, 3], [0, 3, 3, 3]), 1.5)
  assert.equal(wasserstein1([], [1, 2]), 0)
  assert.equal(scaledWasserstein(3, 2), 1.5)
  assert.equal(scaledWasserstein(3, 0), 3)
})

test('Wasserstein-1 equals scipy.stats.wasserstein_distance on every fixture case, sample and quantile forms', () => {
  for (const c of driftCases()) {
    const ref = finiteSorted(c.reference)
    const win = finiteSorted(c.window)
    assert.ok(close(wasserstein1(ref, win), c.wasserstein_raw, 1e-10), `${c.name} (samples)`)
    const q = Array.from({ length: REFERENCE_QUANTILES }, (_, i) =>
      quantileSorted(ref, (i + 0.5) / REFERENCE_QUANTILES),
    )
    q.forEach((x, i) => assert.ok(close(x, c.quantiles[i]), `${c.name}: quantile ${i}`))
    assert.ok(close(wasserstein1(c.quantiles, win), c.wasserstein_ref, 1e-10), `${c.name} (quantiles)`)
  }
})
