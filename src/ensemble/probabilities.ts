import { firstBadDistribution } from '../core/probabilities.js'
import type { Outputs } from '../models/contract.js'

/**
 * A member's class probabilities as a row-major (n, k) array: its `p` when it has k classes, else (two classes) built
 * from `p_up`. Every row is checked to be a distribution (finite, non-negative, summing to 1): a combiner must never
 * turn a member's NaN into a confident answer. `who` names the member in errors.
 */
export function classProbabilitiesOf(o: Outputs, k: number, n: number, who: string): Float64Array {
  if (o.n !== n) throw new Error(`${who}: gave ${o.n} rows of outputs for ${n} rows`)
  let p: Float64Array
  if (o.p && o.classes === k) p = o.p
  else if (o.p_up && k === 2) {
    p = new Float64Array(2 * n)
    for (let i = 0; i < n; i++) {
      p[2 * i] = 1 - o.p_up[i]
      p[2 * i + 1] = o.p_up[i]
    }
  } else throw new Error(`${who}: gives no class probabilities for ${k} classes`)
  if (p.length !== n * k) throw new Error(`${who}: p has ${p.length} values, expected ${n} rows x ${k} classes`)
  checkDistributions(p, k, who)
  return p
}

export function checkDistributions(p: Float64Array, k: number, who: string): void {
  const bad = firstBadDistribution(p, k)
  if (bad) throw new Error(`${who}: gave no valid probabilities for row ${bad.row}: [${bad.values.join(', ')}]`)
}

/** Outputs for row-major (n, k) class probabilities: `p`, `classes`, and `p_up` (the last class). */
export function probabilityOutputs(p: Float64Array, k: number): Outputs {
  const n = p.length / k
  return { n, p, classes: k, p_up: Float64Array.from({ length: n }, (_, i) => p[i * k + k - 1]) }
}

/** Class labels 0..k-1 of `rows` from targets indexed by dataset row; errors name the row. */
export function classLabelsAt(y: Float64Array, rows: Int32Array, k: number, who: string): Float64Array {
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    if (r >= y.length) throw new Error(`${who}: row ${r} has no target (targets cover ${y.length} rows)`)
    const v = y[r]
    if (!Number.isInteger(v) || v < 0 || v >= k)
      throw new Error(`${who}: row ${r} has target ${v}, not a class 0..${k - 1}`)
    out[i] = v
  }
  return out
}
