/**
 * Order statistics for conformal intervals without a sort per new row. CV+ and jackknife+ take, at every new row, the
 * k-th smallest of n values mu_g + R_i (or mu_g - R_i), where the residuals R fall into G groups that share one shift
 * mu_g. Sorting those n values per row costs n log n; these return the same element (the exact k-th smallest of the
 * same floating-point values) in O(n) (quickselect), or, for few groups, from each group's residuals sorted once.
 */

/** The k-th smallest (1-based) of `a`, which is reordered; Hoare selection with a median-of-three pivot. */
export function kthSmallest(a: Float64Array, k: number): number {
  const n = a.length
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`select: rank ${k} is not in 1..${n}`)
  let lo = 0
  let hi = n - 1
  const target = k - 1
  while (hi > lo) {
    const mid = (lo + hi) >> 1
    // Median of three moved to `mid`, so already sorted and constant runs stay linear.
    if (a[mid] < a[lo]) swap(a, mid, lo)
    if (a[hi] < a[lo]) swap(a, hi, lo)
    if (a[hi] < a[mid]) swap(a, hi, mid)
    const pivot = a[mid]
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i] < pivot) i++
      while (a[j] > pivot) j--
      if (i <= j) {
        swap(a, i, j)
        i++
        j--
      }
    }
    // [lo, j] <= pivot, [i, hi] >= pivot, and anything strictly between equals the pivot.
    if (target <= j) hi = j
    else if (target >= i) lo = i
    else return a[target]
  }
  return a[target]
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]
  a[i] = a[j]
  a[j] = t
}

/**
 * The k-th smallest (1-based) of { shift[g] + sign * sorted[g][j] } over every group g and index j, where each
 * `sorted[g]` is in increasing order and sign is +1 or -1. Values are computed exactly as written (so the answer is
 * the element a sort of the same values would give: floating-point addition is monotone in each operand). Each
 * group's values are monotone in j, so a count of values <= v is one binary search per group, and the answer is the
 * smallest group candidate whose count reaches k: O(G^2 log^2 n) per call, for few groups.
 */
export function kthOfShiftedSorted(
  sorted: readonly Float64Array[],
  shift: Float64Array,
  sign: 1 | -1,
  k: number,
): number {
  const groups = sorted.length
  let total = 0
  for (const s of sorted) total += s.length
  if (!(Number.isInteger(k) && k >= 1 && k <= total)) throw new Error(`select: rank ${k} is not in 1..${total}`)
  // The value of group g at its position p in increasing order of value.
  const valueAt = (g: number, p: number) =>
    sign === 1 ? shift[g] + sorted[g][p] : shift[g] - sorted[g][sorted[g].length - 1 - p]
  const countAtMost = (v: number): number => {
    let c = 0
    for (let g = 0; g < groups; g++) {
      let a = 0
      let b = sorted[g].length
      while (a < b) {
        const mid = (a + b) >> 1
        if (valueAt(g, mid) <= v) a = mid + 1
        else b = mid
      }
      c += a
    }
    return c
  }
  let best = Infinity
  for (let g = 0; g < groups; g++) {
    // The first position of group g whose value has at least k values at or below it.
    let a = 0
    let b = sorted[g].length
    while (a < b) {
      const mid = (a + b) >> 1
      if (countAtMost(valueAt(g, mid)) >= k) b = mid
      else a = mid + 1
    }
    if (a < sorted[g].length) best = Math.min(best, valueAt(g, a))
  }
  return best
}
