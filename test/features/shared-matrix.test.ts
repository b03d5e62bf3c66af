import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isSubsetView, sharedMatrix } from '../../src/features/views/shared.js'
import type { FeatureMatrixView } from '../../src/features/views/types.js'

/** (n, f) matrix whose value at (i, j) is 100 * i + j, with a missing value in row 2. */
function base(n: number, f: number): FeatureMatrixView {
  const data = Float64Array.from({ length: n * f }, (_, k) => 100 * Math.floor(k / f) + (k % f))
  data[2 * f + 1] = NaN
  return { kind: 'feature_matrix', n, f, data, names: Array.from({ length: f }, (_, j) => `c${j}`) }
}

/** Engine copies that count what was made and freed. */
function counter() {
  const made: string[] = []
  const freed: string[] = []
  return {
    made,
    freed,
    make: (label: string) => () => (made.push(label), label),
    free: (label: string) => void freed.push(label),
  }
}

describe('shared matrix (one training-window matrix, row subsets for folds)', () => {
  // Dataset rows 10, 12, ..., 28 are the base's 10 rows.
  const rows = Int32Array.from({ length: 10 }, (_, i) => 10 + 2 * i)

  it('a subset reads the rows it names, missing values included; the same rows array gives the same view', () => {
    const shared = sharedMatrix(base(10, 3), rows)
    const want = Int32Array.of(12, 14, 20)
    const v = shared.subset(want)!
    assert.ok(isSubsetView(v))
    assert.deepEqual([...v.subsetOf.positions], [1, 2, 5])
    assert.equal(v.n, 3)
    assert.deepEqual([...v.data], [100, 101, 102, 200, NaN, 202, 500, 501, 502])
    assert.equal(shared.subset(want), v)
    assert.notEqual(shared.subset(Int32Array.of(12, 14, 20)), v, 'another array is another view')
  })

  it('rows outside the base, or not increasing, give no subset (the caller builds its own view)', () => {
    const shared = sharedMatrix(base(10, 3), rows)
    assert.equal(shared.subset(Int32Array.of(12, 13)), null)
    assert.equal(shared.subset(Int32Array.of(30)), null)
    assert.equal(shared.subset(Int32Array.of(14, 12)), null)
    assert.throws(() => sharedMatrix(base(3, 1), Int32Array.of(1, 1, 2)), /strictly increasing/)
    assert.throws(() => sharedMatrix(base(3, 1), Int32Array.of(1, 2)), /2 rows for a base of 3/)
  })

  it('engine copies: the base once; one subset copy per key, the newest; all freed on dispose, none after', () => {
    const shared = sharedMatrix(base(10, 3), rows)
    const c = counter()
    const fold1 = shared.subset(Int32Array.of(10, 12))!
    const fold2 = shared.subset(Int32Array.of(14, 16))!
    assert.equal(shared.engineCopy(shared.base, 'k', c.make('base'), c.free), 'base')
    assert.equal(shared.engineCopy(shared.base, 'k', c.make('base again'), c.free), 'base')
    assert.equal(shared.engineCopy(fold1, 'k', c.make('fold1'), c.free), 'fold1')
    assert.equal(shared.engineCopy(fold1, 'k', c.make('fold1 again'), c.free), 'fold1', 'the next model reuses it')
    assert.equal(shared.engineCopy(fold1, 'other', c.make('fold1 other'), c.free), 'fold1 other')
    assert.equal(shared.engineCopy(fold2, 'k', c.make('fold2'), c.free), 'fold2')
    assert.deepEqual(c.made, ['base', 'fold1', 'fold1 other', 'fold2'])
    assert.deepEqual(c.freed, ['fold1'], "a newer subset frees the key's previous copy")
    shared.dispose()
    assert.deepEqual(c.freed.sort(), ['base', 'fold1', 'fold1 other', 'fold2'])
    assert.equal(shared.engineCopy(fold1, 'k', c.make('late'), c.free), undefined)
    assert.equal(c.made.length, 4)
    assert.deepEqual([...fold2.data], [200, NaN, 202, 300, 301, 302], 'views still read their rows')
    const other = sharedMatrix(base(10, 3), rows)
    assert.throws(() => other.engineCopy(fold1, 'k', c.make('x'), c.free), /not this shared matrix/)
  })
})
