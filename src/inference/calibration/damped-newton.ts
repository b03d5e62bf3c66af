/**
 * Damped Newton minimisation of a smooth, strictly convex objective over a few parameters (the calibration maps of
 * beta and Dirichlet calibration: 1 to a few hundred). No random start and a fixed order of every loop: the same
 * inputs give bitwise the same answer.
 */

export interface ConvexObjective {
  /** The objective alone (for the line search). */
  value(theta: Float64Array): number
  /** Value, gradient and Hessian (dim x dim, row-major) at `theta`. */
  derivatives(theta: Float64Array): { value: number; grad: Float64Array; hess: Float64Array }
}

export interface NewtonResult {
  readonly theta: Float64Array
  readonly iterations: number
}

/** Stop once the Newton decrement (the quadratic model's predicted gain) is this small relative to the value. */
const DECREMENT_TOL = 1e-15
/** Armijo constant: a step must gain at least this share of what the quadratic model predicts. */
const ARMIJO = 1e-4
const MAX_HALVINGS = 60

/**
 * Minimise from `start` with Newton steps and a backtracking (halving) line search. A convex objective with a
 * positive definite Hessian converges globally, quadratically near the optimum; it stops when the predicted gain is
 * below rounding, when no step length lowers the value (rounding again), or after `maxIter` steps.
 */
export function minimiseNewton(objective: ConvexObjective, start: Float64Array, maxIter = 100): NewtonResult {
  let theta = Float64Array.from(start)
  const d = theta.length
  const cand = new Float64Array(d)
  let it = 0
  for (; it < maxIter; it++) {
    const { value, grad, hess } = objective.derivatives(theta)
    const step = solveSpd(hess, grad, d)
    let decrement = 0
    for (let j = 0; j < d; j++) decrement += grad[j] * step[j]
    if (!(decrement > 2 * DECREMENT_TOL * (1 + Math.abs(value)))) break
    let t = 1
    let accepted = false
    for (let h = 0; h < MAX_HALVINGS; h++, t /= 2) {
      for (let j = 0; j < d; j++) cand[j] = theta[j] - t * step[j]
      const v = objective.value(cand)
      // NaN and Infinity fail this test, so a step into overflow is shortened like any other.
      if (v <= value - ARMIJO * t * decrement) {
        accepted = true
        break
      }
    }
    if (!accepted) break
    theta = Float64Array.from(cand)
  }
  return { theta, iterations: it }
}

/**
 * Solve A x = b for a symmetric positive definite A (d x d, row-major) by Cholesky. A matrix that is not numerically
 * positive definite gets a growing ridge on its diagonal (deterministic), so a nearly flat direction gives a short
 * step instead of a NaN.
 */
export function solveSpd(a: Float64Array, b: Float64Array, d: number): Float64Array {
  let scale = 0
  for (let j = 0; j < d; j++) scale = Math.max(scale, Math.abs(a[j * d + j]))
  scale = scale > 0 && Number.isFinite(scale) ? scale : 1
  const l = new Float64Array(d * d)
  for (let attempt = 0; attempt < 20; attempt++) {
    const ridge = attempt === 0 ? 0 : scale * 1e-14 * 10 ** attempt
    if (cholesky(a, d, ridge, scale * 1e-14, l)) {
      const x = new Float64Array(d)
      // Forward then back substitution: L y = b, L^T x = y.
      for (let i = 0; i < d; i++) {
        let s = b[i]
        for (let j = 0; j < i; j++) s -= l[i * d + j] * x[j]
        x[i] = s / l[i * d + i]
      }
      for (let i = d - 1; i >= 0; i--) {
        let s = x[i]
        for (let j = i + 1; j < d; j++) s -= l[j * d + i] * x[j]
        x[i] = s / l[i * d + i]
      }
      return x
    }
  }
  throw new Error('damped Newton: the Hessian is not positive definite even with a ridge (non-finite inputs?)')
}

/** Lower Cholesky factor of A + ridge I into `l`; false when a pivot is not above `minPivot` (rounding noise). */
function cholesky(a: Float64Array, d: number, ridge: number, minPivot: number, l: Float64Array): boolean {
  l.fill(0)
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j] + (i === j ? ridge : 0)
      for (let m = 0; m < j; m++) s -= l[i * d + m] * l[j * d + m]
      if (i === j) {
        if (!(s > minPivot) || !Number.isFinite(s)) return false
        l[i * d + i] = Math.sqrt(s)
      } else {
        l[i * d + j] = s / l[j * d + j]
      }
    }
  }
  return true
}
