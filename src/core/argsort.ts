/**
 * A stable ascending sort permutation of finite float64 values: `order[j]` is the row of the j-th smallest value,
 * equal values in row order. Large inputs go through an LSD radix sort on the IEEE-754 bits (four 16-bit digits),
 * which is linear in n; a comparator sort would be the slowest step of an isotonic fit on a million rows.
 */

/** Below this many values a comparator sort is faster than clearing and walking four 65,536-bucket histograms. */
const RADIX_FROM = 2048

const DIGITS = 4
const BUCKETS = 1 << 16

/** The order of `x` (finite values: the caller rejects NaN; -0 sorts just before +0, which compare equal). */
export function argsortFloat64(x: Float64Array): Uint32Array {
  return sortFloat64(x).order
}

/** The values of `x` in ascending order with their stable sort permutation: `sorted[j] === x[order[j]]`. */
export function sortFloat64(x: Float64Array): { sorted: Float64Array; order: Uint32Array } {
  const n = x.length
  if (n < RADIX_FROM) {
    const order = Uint32Array.from({ length: n }, (_, i) => i)
    order.sort((a, b) => x[a] - x[b] || a - b)
    return { sorted: Float64Array.from(order, (i) => x[i]), order }
  }
  return radixSort(x)
}

/**
 * Keys as two unsigned 32-bit words whose unsigned order is the numeric order: a positive float gets its sign bit
 * set, a negative one has every bit flipped (larger magnitude, smaller key).
 */
function sortableKeys(x: Float64Array): { lo: Uint32Array; hi: Uint32Array } {
  const n = x.length
  const words = new Uint32Array(Float64Array.from(x).buffer)
  // Little-endian word order is what every platform Node runs on uses for float64 in typed arrays.
  const lo = new Uint32Array(n)
  const hi = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1]
    const l = words[2 * i]
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0
      lo[i] = ~l >>> 0
    } else {
      hi[i] = (h | 0x80000000) >>> 0
      lo[i] = l
    }
  }
  return { lo, hi }
}

function radixSort(x: Float64Array): { sorted: Float64Array; order: Uint32Array } {
  const n = x.length
  let { lo, hi } = sortableKeys(x)
  let order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  // One pass over the keys fills all four histograms.
  const counts = new Uint32Array(DIGITS * BUCKETS)
  for (let i = 0; i < n; i++) {
    counts[lo[i] & 0xffff]++
    counts[BUCKETS + (lo[i] >>> 16)]++
    counts[2 * BUCKETS + (hi[i] & 0xffff)]++
    counts[3 * BUCKETS + (hi[i] >>> 16)]++
  }
  let lo2: Uint32Array = new Uint32Array(n)
  let hi2: Uint32Array = new Uint32Array(n)
  let order2 = new Uint32Array(n)
  for (let d = 0; d < DIGITS; d++) {
    const base = d * BUCKETS
    // Digit d is bits [16 (d mod 2), 16 (d mod 2) + 16) of the low word (d < 2) or the high word.
    const shift = (d & 1) * 16
    const word = d < 2 ? lo : hi
    // A digit that is the same for every key leaves the order as it is.
    if (counts[base + ((word[0] >>> shift) & 0xffff)] === n) continue
    let sum = 0
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b]
      counts[base + b] = sum
      sum += c
    }
    // Keys travel with the rows, so each pass reads them in order (no gather through `order`).
    for (let i = 0; i < n; i++) {
      const at = counts[base + ((word[i] >>> shift) & 0xffff)]++
      lo2[at] = lo[i]
      hi2[at] = hi[i]
      order2[at] = order[i]
    }
    ;[lo, lo2] = [lo2, lo]
    ;[hi, hi2] = [hi2, hi]
    ;[order, order2] = [order2, order]
  }
  // The values back from their sorted keys, read in order: cheaper than gathering x through the permutation.
  const sorted = new Float64Array(n)
  const words = new Uint32Array(sorted.buffer)
  for (let i = 0; i < n; i++) {
    const h = hi[i]
    if (h & 0x80000000) {
      words[2 * i + 1] = (h & 0x7fffffff) >>> 0
      words[2 * i] = lo[i]
    } else {
      words[2 * i + 1] = ~h >>> 0
      words[2 * i] = ~lo[i] >>> 0
    }
  }
  return { sorted, order }
}
