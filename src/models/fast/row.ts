/**
 * NaN handling off the hot path: a NaN input propagates to the scores, so predictors compute first and only when
 * a score is NaN look at the row again, either imputing it into a scratch row (when the model has training
 * medians) or rejecting it with the offending column.
 */
export function imputeRow(
  x: Float64Array,
  offset: number,
  medians: Float64Array | undefined,
  scratch: Float64Array,
  who: string,
): Float64Array {
  for (let j = 0; j < scratch.length; j++) {
    const v = x[offset + j]
    if (v === v) scratch[j] = v
    else if (medians) scratch[j] = medians[j]
    else throw new Error(`${who}: input column ${j} is NaN and this model has no imputation values`)
  }
  return scratch
}

/** Split row-major (rows, f) into one Float64Array per row: separate arrays keep the hot loops monomorphic. */
export function splitRows(a: Float64Array, rows: number, f: number): Float64Array[] {
  return Array.from({ length: rows }, (_, k) => a.slice(k * f, k * f + f))
}
