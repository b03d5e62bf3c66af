/**
 * What a conformal regression method hands the chain: q_lo and q_hi per row at the configured coverage, and the
 * band's width as `uncertainty` for the policy. An unbounded end stays infinite (the width is then +Infinity): too
 * few calibration scores must read as "no bound", never as a made-up one. Never NaN.
 */
import type { Interval } from './regression.js'

export interface ConformalBand {
  readonly q_lo: Float64Array
  readonly q_hi: Float64Array
  /** q_hi - q_lo: 0 for an empty (ACI) set, +Infinity when an end is unbounded. */
  readonly uncertainty: Float64Array
}

export function conformalBand(iv: Interval): ConformalBand {
  const m = iv.lo.length
  if (iv.hi.length !== m) throw new Error(`conformal: ${m} lower and ${iv.hi.length} upper ends`)
  const uncertainty = new Float64Array(m)
  for (let t = 0; t < m; t++) {
    // NaN fails both comparisons, so it is caught here too.
    if (!(iv.lo[t] <= iv.hi[t]) || iv.lo[t] === Infinity || iv.hi[t] === -Infinity)
      throw new Error(`conformal: row ${t} has the band [${iv.lo[t]}, ${iv.hi[t]}]`)
    uncertainty[t] = iv.hi[t] - iv.lo[t]
  }
  return { q_lo: iv.lo, q_hi: iv.hi, uncertainty }
}
