/** How far a row's probabilities may sum from 1: float32 engines and averages of many members drift by ~1e-6. */
export const SUM_TOLERANCE = 1e-4

/**
 * The first row of row-major (n, k) probabilities that is not a distribution (a value that is not finite or
 * outside [0, 1], or a sum farther than SUM_TOLERANCE from 1), with its values; null when every row is one.
 */
export function firstBadDistribution(p: Float64Array, k: number): { row: number; values: number[] } | null {
  for (let i = 0; i * k < p.length; i++) {
    let sum = 0
    let ok = true
    for (let c = 0; c < k; c++) {
      const v = p[i * k + c]
      // Written so that NaN fails it.
      if (!(v >= 0 && v <= 1)) ok = false
      sum += v
    }
    if (!ok || !(Math.abs(sum - 1) <= SUM_TOLERANCE))
      return { row: i, values: Array.from(p.subarray(i * k, i * k + k)) }
  }
  return null
}
