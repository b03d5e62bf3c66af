/**
 * The scores an online conformal method ranks (ACI's rolling window, EnbPI's residuals): the state keeps them in
 * arrival order (plain data, saved as is), and a sorted copy beside it, derived and never saved, answers the
 * conformal quantile by the shared rank rule (./quantile.ts) without a sort per prediction.
 */
import { conformalRank } from './quantile.js'

export interface ScoreWindow {
  /** The conformal quantile of the scores at `coverage` in (0, 1): +Infinity when the rank exceeds their count. */
  quantile(coverage: number): number
  /** Adds a score (finite, >= 0); beyond `capacity` the oldest one leaves. */
  push(score: number): void
}

/** The first index of `sorted` whose value is >= v. */
function lowerBound(sorted: readonly number[], v: number): number {
  let a = 0
  let b = sorted.length
  while (a < b) {
    const mid = (a + b) >> 1
    if (sorted[mid] < v) a = mid + 1
    else b = mid
  }
  return a
}

/** A window over `scores` (the state's array, oldest first, changed in place); capacity null never drops any. */
export function scoreWindow(scores: number[], capacity: number | null): ScoreWindow {
  const sorted = [...scores].sort((a, b) => a - b)
  return {
    quantile(coverage) {
      const rank = conformalRank(sorted.length, coverage)
      return rank > sorted.length ? Infinity : sorted[rank - 1]
    },
    push(score) {
      scores.push(score)
      sorted.splice(lowerBound(sorted, score), 0, score)
      if (capacity !== null && scores.length > capacity) sorted.splice(lowerBound(sorted, scores.shift()!), 1)
    },
  }
}
