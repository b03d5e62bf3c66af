/**
 * The q-quantile of ascending finite values by linear interpolation between order statistics (the common "type 7"
 * definition, numpy's default). `sorted` must be non-empty and `q` in [0, 1].
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}
