/**
 * The one place seeds are derived: a stage, window, fold or model never picks its own seed by hand (seed + 1, ...),
 * so two stages can never share a random stream by accident and a run is reproduced from its root seed alone.
 */

/**
 * A seed in [0, 2^31) from the root seed and a path of labels, e.g. `deriveSeed(root, 'oof', fold, member)`.
 * FNV-1a over the labels' text (each one length-prefixed, so ('ab', 'c') and ('a', 'bc') differ), then a
 * murmur3 finalizer so that nearby roots give unrelated seeds. 31 bits: every engine takes it as a positive int.
 */
export function deriveSeed(root: number, ...path: readonly (string | number)[]): number {
  if (!Number.isSafeInteger(root)) throw new Error(`deriveSeed: root seed must be an integer, got ${root}`)
  let h = 0x811c9dc5
  for (const part of [String(root), ...path.map(String)]) {
    for (const ch of `${part.length}:${part}`) {
      h ^= ch.codePointAt(0)!
      h = Math.imul(h, 0x01000193)
    }
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 1
}
