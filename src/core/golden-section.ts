/**
 * Golden-section search for the minimum of a unimodal function on [a, b]: each step keeps the bracket holding the
 * lower of two interior points, shrinking it by the golden ratio, until it is narrower than `tol` (or after
 * `maxIter` steps). Deterministic: the same function and bracket give the same bracket, bit for bit. Returns the
 * final bracket; its midpoint is the estimate.
 */
const PHI = (Math.sqrt(5) - 1) / 2

export function goldenSectionBracket(
  f: (x: number) => number,
  lo: number,
  hi: number,
  tol = 1e-7,
  maxIter = 80,
): { a: number; b: number } {
  let a = lo
  let b = hi
  let c = b - PHI * (b - a)
  let d = a + PHI * (b - a)
  let fc = f(c)
  let fd = f(d)
  for (let it = 0; it < maxIter && b - a > tol; it++) {
    if (fc <= fd) {
      b = d
      d = c
      fd = fc
      c = b - PHI * (b - a)
      fc = f(c)
    } else {
      a = c
      c = d
      fc = fd
      d = a + PHI * (b - a)
      fd = f(d)
    }
  }
  return { a, b }
}
