/** Input checks shared by the label builders; errors name the row and its time. */

export function formatRow(i: number, ts?: Float64Array): string {
  return ts && i < ts.length && Number.isFinite(ts[i]) ? `row ${i} (${new Date(ts[i]).toISOString()})` : `row ${i}`
}

/**
 * A volatility series may be NaN only during its leading warm-up; afterwards every value must be finite and > 0
 * (a zero would put both barriers on the entry price).
 */
export function checkVolatility(vol: Float64Array, ts: Float64Array | undefined, what: string): void {
  let i = 0
  while (i < vol.length && Number.isNaN(vol[i])) i++
  if (i === vol.length) throw new Error(`${what}: volatility is NaN on every row (warm-up longer than the data?)`)
  const warm = i
  for (; i < vol.length; i++) {
    const v = vol[i]
    if (Number.isNaN(v))
      throw new Error(`${what}: volatility is NaN at ${formatRow(i, ts)}, after warm-up ended at row ${warm}`)
    if (!(v > 0) || v === Infinity) {
      throw new Error(`${what}: volatility must be finite and > 0, got ${v} at ${formatRow(i, ts)}`)
    }
  }
}
