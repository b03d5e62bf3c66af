import assert from 'node:assert/strict'
import test from 'node:test'
import { argsortFloat64 } from '../../src/core/argsort.js'
import { uniform } from '../helpers.js'

/** The stable order a comparator sort gives (ties by row). */
function reference(x: Float64Array): number[] {
  return Array.from(x.keys()).sort((a, b) => x[a] - x[b] || a - b)
}

test('argsort: stable ascending order, by radix on large inputs and by comparator on small ones', () => {
  const r = uniform(5)
  for (const n of [0, 1, 2, 10, 2047, 2048, 20_000]) {
    // Negative and positive values over many magnitudes, many exact ties, both zeros, huge and tiny values.
    const x = Float64Array.from({ length: n }, (_, i) => {
      const u = r()
      if (i % 7 === 0) return Math.round(u * 20) / 4 - 2
      if (i % 11 === 0) return [0, -0, 1e300, -1e300, 5e-324, -5e-324][i % 6]
      return (u - 0.5) * 10 ** Math.floor(r() * 40 - 20)
    })
    const order = argsortFloat64(x)
    const want = reference(x)
    // -0 and +0 compare equal; the radix sort puts every -0 before every +0, which is still a sorted order.
    for (let j = 1; j < n; j++) assert.ok(x[order[j - 1]] <= x[order[j]], `n=${n} j=${j}`)
    const zeros = (o: ArrayLike<number>) => Array.from(o).filter((i) => x[i] !== 0)
    assert.deepEqual(zeros(order), zeros(want), `n=${n}`)
    assert.equal(new Set(order).size, n)
  }
})

test('argsort: equal values keep their row order (stability, which the tie pooling relies on)', () => {
  const x = Float64Array.from({ length: 5000 }, (_, i) => (i * 7919) % 13)
  const order = argsortFloat64(x)
  for (let j = 1; j < x.length; j++) {
    const [a, b] = [order[j - 1], order[j]]
    assert.ok(x[a] < x[b] || (x[a] === x[b] && a < b))
  }
})
