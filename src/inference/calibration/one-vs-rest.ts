/**
 * One-vs-rest plumbing shared by the per-class calibrators (platt, isotonic): which classes get a calibrator, the
 * column and binary target of a class, and the rows put back together as distributions.
 */

/**
 * Binary outputs (k = 2) calibrate the positive (last) class alone and give the other class the complement, as a
 * binary calibrator does: a second fit on the complement would only repeat the first, up to rounding. k > 2: one
 * calibrator per class.
 */
export function calibratedClasses(k: number): number {
  return k === 2 ? 1 : k
}

/** The class a calibrator `j` of `calibratedClasses(k)` acts on. */
export function classOf(j: number, k: number): number {
  return k === 2 ? 1 : j
}

/** Column `c` of row-major (n, k) probabilities. */
export function classColumn(p: Float64Array, k: number, c: number): Float64Array {
  const n = p.length / k
  const col = new Float64Array(n)
  for (let i = 0; i < n; i++) col[i] = p[i * k + c]
  return col
}

/** Checks `p` (n, k) and labels `y` (class indices 0..k-1) before a fit; errors name `name` and the row. */
export function checkFitInputs(name: string, p: Float64Array, y: Float64Array, k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new Error(`${name}: needs at least 2 classes, given ${k}`)
  if (y.length === 0) throw new Error(`${name}: the validation split is empty`)
  if (p.length !== y.length * k)
    throw new Error(`${name}: ${p.length / k} rows of probabilities for ${y.length} labels`)
  for (let i = 0; i < y.length; i++) {
    const c = y[i]
    if (!(Number.isInteger(c) && c >= 0 && c < k))
      throw new Error(`${name}: the label of row ${i} is ${c}; expected a class index 0..${k - 1}`)
  }
  for (let i = 0; i < p.length; i++) {
    // Written so that NaN fails it.
    if (!(p[i] >= 0 && p[i] <= 1))
      throw new Error(`${name}: the probability of row ${Math.floor(i / k)}, class ${i % k} is ${p[i]}`)
  }
}

/** 1 where the label is class `c`, else 0. */
export function oneVsRest(y: Float64Array, c: number): Float64Array {
  return Float64Array.from(y, (v) => (v === c ? 1 : 0))
}

/**
 * Rows from the calibrated columns `q` (one per calibrated class, values in [0, 1]). Binary: [1 - q, q]. k > 2: each
 * row divided by its sum. A row whose calibrated values are all 0 (every class's calibrator says "never" there: an
 * isotonic step at 0 or a sigmoid that underflows) carries no information to renormalise, so the model's own row is
 * kept (renormalised; uniform if it too sums to 0) rather than inventing a distribution: never NaN.
 */
export function assembleRows(q: readonly Float64Array[], raw: Float64Array, k: number): Float64Array {
  const n = raw.length / k
  const out = new Float64Array(n * k)
  if (k === 2) {
    const up = q[0]
    for (let i = 0; i < n; i++) {
      out[i * 2] = 1 - up[i]
      out[i * 2 + 1] = up[i]
    }
    return out
  }
  for (let i = 0; i < n; i++) {
    let sum = 0
    for (let c = 0; c < k; c++) sum += q[c][i]
    if (sum > 0) {
      for (let c = 0; c < k; c++) out[i * k + c] = q[c][i] / sum
      continue
    }
    let rawSum = 0
    for (let c = 0; c < k; c++) rawSum += raw[i * k + c]
    for (let c = 0; c < k; c++) out[i * k + c] = rawSum > 0 ? raw[i * k + c] / rawSum : 1 / k
  }
  return out
}

/** `p_up` of the calibrated rows: the last class, as every class-probability post-processor keeps it. */
export function lastClass(p: Float64Array, k: number): Float64Array {
  return classColumn(p, k, k - 1)
}
