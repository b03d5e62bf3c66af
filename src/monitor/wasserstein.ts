/**
 * First Wasserstein (earth mover's) distance between two samples of equal-weight points, each sorted ascending:
 * the area between their empirical distribution functions, the integral of |F_u(x) - F_v(x)| dx (what
 * scipy.stats.wasserstein_distance computes). Either sample empty gives 0: there is nothing to compare.
 */
export function wasserstein1(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const n = u.length
  const m = v.length
  if (n === 0 || m === 0) return 0
  let i = 0
  let j = 0
  let area = 0
  let prev = Math.min(u[0], v[0])
  // Walk the merged values; between two of them both distribution functions are constant.
  while (i < n || j < m) {
    const x = j >= m || (i < n && u[i] <= v[j]) ? u[i] : v[j]
    area += Math.abs(i / n - j / m) * (x - prev)
    while (i < n && u[i] === x) i++
    while (j < m && v[j] === x) j++
    prev = x
  }
  return area
}

/**
 * The distance in units of the reference's standard deviation, comparable across features. A constant reference
 * (std 0) leaves it in the feature's own units rather than dividing by zero.
 */
export const scaledWasserstein = (distance: number, referenceStd: number): number =>
  referenceStd > 0 ? distance / referenceStd : distance
