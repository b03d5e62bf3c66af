/**
 * The finite-sample conformal quantile, shared by every conformal method. With n calibration scores exchangeable with a
 * new one, the score of rank ceil((n + 1) * coverage) in increasing order bounds the new score with probability at
 * least `coverage` (and at most coverage + 1 / (n + 1) without ties). When that rank exceeds n, no calibration score
 * is high enough: the quantile is +Infinity (an interval without bound), never a silently lower score, which is how
 * small calibration sets used to under-cover (MAPIE#451).
 */

/** The 1-based rank of the conformal quantile among n scores: ceil((n + 1) * coverage); above n when n is too small. */
export function conformalRank(n: number, coverage: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`conformal: ${n} calibration scores is not a count`)
  if (!(coverage > 0 && coverage < 1)) throw new Error(`conformal: coverage ${coverage} is not in (0, 1)`)
  // The product can land a rounding error above a whole number ((n + 1) * 0.07 for n = 99 is 7.000000000000001):
  // ceil would then skip a rank. A margin far below 1 / (n + 1) keeps the exact rule.
  return Math.ceil((n + 1) * coverage - 1e-9)
}

/** The fewest calibration scores for which the conformal quantile at `coverage` is finite. */
export function minCalibrationScores(coverage: number): number {
  // rank <= n  <=>  (n + 1) * coverage <= n  <=>  n >= coverage / (1 - coverage).
  let n = Math.max(1, Math.floor(coverage / (1 - coverage)) - 1)
  while (conformalRank(n, coverage) > n) n++
  return n
}

/**
 * The conformal quantile of `scores` at `coverage`: the score of rank ceil((n + 1) * coverage), or +Infinity when
 * that rank exceeds n. A non-finite or NaN score is an error naming its row.
 */
export function conformalQuantile(scores: Float64Array, coverage: number): number {
  const n = scores.length
  const rank = conformalRank(n, coverage)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i])) throw new Error(`conformal: calibration row ${i} is not finite (${scores[i]})`)
  }
  if (rank > n) return Infinity
  return Float64Array.from(scores).sort()[rank - 1]
}
