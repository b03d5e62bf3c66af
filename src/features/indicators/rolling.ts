/**
 * Fixed-length rolling window over scalars keeping power sums up to `order`. Sums are rebuilt from the ring every
 * `size` pushes, so floating-point drift cannot accumulate over long histories; the rebuild is deterministic, so
 * batch and live still agree bit for bit.
 */
export interface RollingSums {
  readonly size: number
  readonly order: 1 | 2 | 3 | 4
  readonly buf: Float64Array
  pos: number
  filled: number
  sincePrune: number
  s1: number
  s2: number
  s3: number
  s4: number
}

export function createRollingSums(size: number, order: 1 | 2 | 3 | 4 = 1): RollingSums {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`rolling window size must be a positive integer, got ${size}`)
  return { size, order, buf: new Float64Array(size), pos: 0, filled: 0, sincePrune: 0, s1: 0, s2: 0, s3: 0, s4: 0 }
}

export function pushRolling(r: RollingSums, x: number): void {
  const old = r.buf[r.pos]
  const full = r.filled === r.size
  r.buf[r.pos] = x
  r.pos = r.pos + 1 === r.size ? 0 : r.pos + 1
  if (!full) r.filled++
  if (++r.sincePrune >= r.size) {
    rebuildSums(r)
    return
  }
  const x2 = x * x
  r.s1 += x - (full ? old : 0)
  if (r.order >= 2) r.s2 += x2 - (full ? old * old : 0)
  if (r.order >= 3) r.s3 += x2 * x - (full ? old * old * old : 0)
  if (r.order >= 4) r.s4 += x2 * x2 - (full ? old * old * old * old : 0)
}

function rebuildSums(r: RollingSums): void {
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let s4 = 0
  for (let k = 0; k < r.filled; k++) {
    const x = r.buf[k]
    const x2 = x * x
    s1 += x
    s2 += x2
    s3 += x2 * x
    s4 += x2 * x2
  }
  r.s1 = s1
  r.s2 = s2
  r.s3 = s3
  r.s4 = s4
  r.sincePrune = 0
}

/** The value pushed `lag` pushes ago (lag 0 = latest); only valid for lag < filled. */
export function lagged(r: RollingSums, lag: number): number {
  let k = r.pos - 1 - lag
  if (k < 0) k += r.size
  return r.buf[k]
}

export function rollingMax(r: RollingSums): number {
  let m = Number.NEGATIVE_INFINITY
  for (let k = 0; k < r.filled; k++) if (r.buf[k] > m) m = r.buf[k]
  return m
}

export function rollingMin(r: RollingSums): number {
  let m = Number.POSITIVE_INFINITY
  for (let k = 0; k < r.filled; k++) if (r.buf[k] < m) m = r.buf[k]
  return m
}

/** Mean and population variance of the window (variance clipped at 0 against rounding). */
export function rollingMean(r: RollingSums): number {
  return r.s1 / r.filled
}

export function rollingVariance(r: RollingSums): number {
  const m = r.s1 / r.filled
  const v = r.s2 / r.filled - m * m
  return v > 0 ? v : 0
}

/**
 * Rank of a value among the last `size` finite values, kept as a sorted copy of the ring (binary search plus one
 * block move per push: O(size) worst case with a tiny constant, no allocation).
 */
export interface RollingRank {
  readonly size: number
  readonly ring: Float64Array
  readonly sorted: Float64Array
  pos: number
  filled: number
}

export function createRollingRank(size: number): RollingRank {
  return { size, ring: new Float64Array(size), sorted: new Float64Array(size), pos: 0, filled: 0 }
}

function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

function upperBound(a: Float64Array, n: number, x: number): number {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (a[mid] <= x) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Pushes a finite `x` and returns the fraction of window values at or below it, in (0, 1]. */
export function pushRank(r: RollingRank, x: number): number {
  const s = r.sorted
  if (r.filled === r.size) {
    const old = r.ring[r.pos]
    const k = lowerBound(s, r.filled, old)
    s.copyWithin(k, k + 1, r.filled)
    r.filled--
  }
  r.ring[r.pos] = x
  r.pos = r.pos + 1 === r.size ? 0 : r.pos + 1
  const k = upperBound(s, r.filled, x)
  s.copyWithin(k + 1, k, r.filled)
  s[k] = x
  r.filled++
  return upperBound(s, r.filled, x) / r.filled
}
