/** Small helpers shared by the class-probability calibrators: reading and rewriting Outputs. */
import type { Outputs } from '../../models/contract.js'

/** Row-major (n, k) class probabilities of `out`; the error names the calibrator. */
export function classProbabilitiesOf(out: Outputs, name: string): { p: Float64Array; k: number } {
  if (!out.p || !out.classes) throw new Error(`${name}: the model gives no class probabilities (p)`)
  return { p: out.p, k: out.classes }
}

/** Targets as class indices 0..k-1, checked: a label outside would silently index another row's probabilities. */
export function classLabelsOf(y: Float64Array, n: number, k: number, name: string): Int32Array {
  if (y.length === 0) throw new Error(`${name}: the validation split is empty`)
  if (y.length !== n) throw new Error(`${name}: ${y.length} targets for ${n} rows of probabilities`)
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const v = y[i]
    if (!Number.isInteger(v) || v < 0 || v >= k)
      throw new Error(`${name}: target ${v} at row ${i} is not a class 0..${k - 1}`)
    out[i] = v
  }
  return out
}

/** `out` with calibrated probabilities, and `p_up` (the last class, as the model contract has it) to match. */
export function withProbabilities(out: Outputs, p: Float64Array, k: number): Outputs {
  const pUp = Float64Array.from({ length: out.n }, (_, i) => p[i * k + k - 1])
  return { ...out, p, p_up: pUp }
}

/** The calibrator was fitted on `fitted` classes; applying it to another count is refused. */
export function checkClasses(name: string, fitted: number, given: number): void {
  if (fitted !== given) throw new Error(`${name}: fitted on ${fitted} classes, given ${given}`)
}
