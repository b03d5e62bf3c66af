import assert from 'node:assert/strict'
import test from 'node:test'
import { seededRandom } from '../../src/core/random.js'
import { purgedBag } from '../../src/validation/bags.js'
import { isTrainIndices } from '../../src/validation/indices.js'
import { spansFromT1Index } from '../../src/validation/spans.js'

/**
 * The definition, pair by pair: sample i outside the bag is held out unless a bag sample j has a span within `purge`
 * bars of i's ([t0_j, t1_j + purge] meets [t0_i, t1_i + purge]) or starts within `embargo` bars after i's widened end.
 */
function heldOutByDefinition(t0: Float64Array, t1: Float64Array, inBag: Uint8Array, purge: number, embargo: number) {
  return Uint8Array.from(inBag, (b, i) => {
    if (b) return 0
    for (let j = 0; j < inBag.length; j++) {
      if (!inBag[j]) continue
      const meets = t0[j] <= t1[i] + purge && t0[i] <= t1[j] + purge
      const embargoed = t0[j] > t1[i] + purge && t0[j] <= t1[i] + purge + embargo
      if (meets || embargoed) return 0
    }
    return 1
  })
}

test('purgedBag holds out exactly the samples no bag sample comes near (purge and embargo), by brute force', () => {
  const u = seededRandom(21)
  for (let rep = 0; rep < 300; rep++) {
    const bars = 40 + Math.floor(u() * 60)
    const h = 1 + Math.floor(u() * 6)
    // Fixed-horizon spans with gaps (rows without a label), as the E_r head's are.
    const t1Index = Int32Array.from({ length: bars }, (_, t) => (t + h < bars && u() > 0.2 ? t + h : -1))
    const spans = spansFromT1Index(t1Index)
    const n = spans.row.length
    const inBag = Uint8Array.from({ length: n }, () => (u() < 0.4 ? 1 : 0))
    if (!inBag.some((b) => b)) inBag[0] = 1
    const purge = Math.floor(u() * 3)
    const embargo = Math.floor(u() * 4)
    const bag = purgedBag(spans, inBag, purge, embargo)
    const want = heldOutByDefinition(spans.t0, spans.t1, inBag, purge, embargo)
    assert.deepEqual(bag.heldOut, want, `rep ${rep}`)
    const outside = inBag.reduce((s, b) => s + (b ? 0 : 1), 0)
    assert.equal(bag.purged, outside - want.reduce((s, v) => s + v, 0))
    assert.deepEqual(
      [...bag.train],
      [...spans.row].filter((_, i) => inBag[i]),
    )
    assert.ok(isTrainIndices(bag.train))
  }
})

test('purgedBag refuses an empty bag, a mask of the wrong length and a negative purge', () => {
  const spans = spansFromT1Index(Int32Array.of(2, 3, 4, -1, -1))
  assert.throws(() => purgedBag(spans, new Uint8Array(3), 0, 0), /no sample was drawn/)
  assert.throws(() => purgedBag(spans, new Uint8Array(4), 0, 0), /a mask of 4 samples for 3 spans/)
  assert.throws(() => purgedBag(spans, Uint8Array.of(1, 0, 0), -1, 0), /purge_bars must be an integer >= 0, got -1/)
})
