/**
 * First-touch search over a bounded horizon with sparse tables: level k holds the max (or min) over the 2^k values
 * starting at each index. "Is the barrier touched at all within [a, b]?" is then O(1) (two overlapping blocks),
 * and "where first?" is O(log horizon) by greedy descent over block sizes, instead of a scan of the whole horizon.
 */
export interface SparseTable {
  /** levels[k][i] = extreme of values[i .. i + 2^k - 1] (defined while i + 2^k <= n). */
  readonly levels: readonly Float64Array[]
  readonly n: number
}

/** Table of running maxima (for upper barriers on highs) or minima (lower barriers on lows), for spans up to `span`. */
export function buildSparseTable(values: Float64Array, span: number, kind: 'max' | 'min'): SparseTable {
  const n = values.length
  const levels: Float64Array[] = [values]
  for (let k = 1; 1 << k <= span; k++) {
    const prev = levels[k - 1]
    const half = 1 << (k - 1)
    const m = n - (1 << k) + 1
    if (m <= 0) break
    const cur = new Float64Array(m)
    if (kind === 'max') {
      for (let i = 0; i < m; i++) {
        const a = prev[i]
        const b = prev[i + half]
        cur[i] = a >= b ? a : b
      }
    } else {
      for (let i = 0; i < m; i++) {
        const a = prev[i]
        const b = prev[i + half]
        cur[i] = a <= b ? a : b
      }
    }
    levels.push(cur)
  }
  return { levels, n }
}

function floorLog2(x: number): number {
  return 31 - Math.clz32(x)
}

/** First index j in [a, b] with values[j] >= level, or -1. Requires b - a + 1 <= the table's span. */
export function firstAtLeast(t: SparseTable, a: number, b: number, level: number): number {
  const len = b - a + 1
  if (len <= 0) return -1
  let k = floorLog2(len)
  const lv = t.levels[k]
  const whole = Math.max(lv[a], lv[b - (1 << k) + 1])
  if (!(whole >= level)) return -1
  let pos = a
  // Invariant: no touch in [a, pos); the first touch lies in [pos, b]. Skip whole blocks with no touch.
  for (; k >= 0; k--) {
    const size = 1 << k
    if (pos + size - 1 <= b && t.levels[k][pos] < level) pos += size
  }
  return pos
}

/** First index j in [a, b] with values[j] <= level, or -1. */
export function firstAtMost(t: SparseTable, a: number, b: number, level: number): number {
  const len = b - a + 1
  if (len <= 0) return -1
  let k = floorLog2(len)
  const lv = t.levels[k]
  const whole = Math.min(lv[a], lv[b - (1 << k) + 1])
  if (!(whole <= level)) return -1
  let pos = a
  for (; k >= 0; k--) {
    const size = 1 << k
    if (pos + size - 1 <= b && t.levels[k][pos] > level) pos += size
  }
  return pos
}

/**
 * Block extremes for the two-sided search: blockHigh[k] / blockLow[k] = max high / min low of bars [kB, kB + B).
 * Building them is one pass and n/B memory, much cheaper than sparse tables, and a block whose extremes stay inside
 * both barriers is skipped in one comparison.
 */
export interface BlockExtremes {
  readonly size: number
  readonly high: Float64Array
  readonly low: Float64Array
}

export const TOUCH_BLOCK = 8

export function buildBlockExtremes(high: Float64Array, low: Float64Array, size = TOUCH_BLOCK): BlockExtremes {
  const n = high.length
  const m = Math.ceil(n / size)
  const bh = new Float64Array(m)
  const bl = new Float64Array(m)
  for (let k = 0; k < m; k++) {
    const s = k * size
    const e = Math.min(n, s + size)
    let hi = high[s]
    let lo = low[s]
    for (let i = s + 1; i < e; i++) {
      if (high[i] > hi) hi = high[i]
      if (low[i] < lo) lo = low[i]
    }
    bh[k] = hi
    bl[k] = lo
  }
  return { size, high: bh, low: bl }
}

/**
 * First bar j in [a, b] whose high reaches `up` or whose low reaches `dn`, or -1. Bars are checked one by one up to
 * the next block boundary (most touches happen within a few bars), then whole blocks are skipped while their
 * extremes stay inside both barriers; only the block holding the touch is scanned. Cost: O(B + (b - a) / B).
 */
export function firstTouchEither(
  high: Float64Array,
  low: Float64Array,
  blocks: BlockExtremes,
  a: number,
  b: number,
  up: number,
  dn: number,
): number {
  const B = blocks.size
  let j = a
  const aligned = Math.min(b + 1, Math.ceil(a / B) * B)
  for (; j < aligned; j++) if (high[j] >= up || low[j] <= dn) return j
  const { high: bh, low: bl } = blocks
  while (j + B - 1 <= b) {
    const k = j / B
    if (bh[k] >= up || bl[k] <= dn) {
      for (let i = j; ; i++) if (high[i] >= up || low[i] <= dn) return i
    }
    j += B
  }
  for (; j <= b; j++) if (high[j] >= up || low[j] <= dn) return j
  return -1
}
