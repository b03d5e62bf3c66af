import assert from 'node:assert/strict'
import { test } from 'node:test'
import { memberShares } from '../../src/explain/member-shares.js'
import type { Combiner } from '../../src/ensemble/combiner.js'
import type { Outputs } from '../../src/models/contract.js'
import { seededRandom } from '../../src/core/random.js'

/** A combiner that answers a 0.8 / 0.2 mix of its first two members (a third it ignores). */
const mix: Combiner = {
  method: 'stub',
  members: ['a', 'b', 'c'],
  classes: 2,
  extraFeatures: [],
  predict(outs: readonly Outputs[]) {
    const n = outs[0].n
    const p = Float64Array.from({ length: 2 * n }, (_, i) => 0.8 * outs[0].p![i] + 0.2 * outs[1].p![i])
    return { n, p, classes: 2 }
  },
  save: () => Promise.resolve({ files: [] }),
}

function member(y: Float64Array, skill: number, seed: number): Outputs {
  const rand = seededRandom(seed)
  const p = new Float64Array(2 * y.length)
  y.forEach((v, i) => {
    const up = Math.min(0.95, Math.max(0.05, 0.5 + (v ? skill : -skill) + 0.2 * (rand() - 0.5)))
    p[2 * i] = 1 - up
    p[2 * i + 1] = up
  })
  return { n: y.length, p, classes: 2 }
}

test('member shares: the member the combiner leans on most has the largest share, an ignored one none', () => {
  const rand = seededRandom(3)
  const y = Float64Array.from({ length: 400 }, () => (rand() < 0.5 ? 1 : 0))
  const outs = [member(y, 0.3, 1), member(y, 0.3, 2), member(y, 0.3, 3)]
  const s = memberShares(mix, outs, y, { seed: 5 })
  assert.equal(s.increase[2], 0)
  assert.equal(s.shares[2], 0)
  assert.ok(s.shares[0] > 0.6 && s.shares[1] > 0, `${Array.from(s.shares)}`)
  assert.ok(Math.abs(s.shares.reduce((a, b) => a + b, 0) - 1) < 1e-12)
  // Seeded: the same seed gives the same shares.
  assert.deepEqual(memberShares(mix, outs, y, { seed: 5 }).shares, s.shares)
  assert.throws(() => memberShares({ ...mix, online: true }, outs, y, { seed: 5 }), /learns online/)
})
