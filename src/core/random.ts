/** Deterministic uniform [0, 1) generator (mulberry32) from an explicit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw from two uniforms of `rand` (Box-Muller, cosine branch). */
export function standardNormal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
}

/** A seeded permutation (Fisher-Yates over seededRandom): the same seed always gives the same order. */
export function shuffled<T extends Float64Array | Int32Array>(values: T, seed: number): T {
  const rand = seededRandom(seed)
  const out = values.slice() as T
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const tmp = out[i]
    out[i] = out[j]
    out[j] = tmp
  }
  return out
}

/** Deterministic standard normal draws (Box-Muller over seededRandom) from an explicit seed. */
export function seededNormal(seed: number): () => number {
  const rand = seededRandom(seed)
  return () => standardNormal(rand)
}
