import type { ObjectiveWithGradient } from './lbfgs.js'
import { maxAbs } from './lbfgs.js'

/**
 * Accelerated proximal gradient (FISTA with backtracking and adaptive restart) for
 *   min_x smooth(x) + sum_j l1[j] * |x_j|,
 * used for elastic-net penalties, where the L1 part is not differentiable and L-BFGS does not apply.
 */
export interface ProximalOptions {
  /** Stop when the gradient mapping L * |x - prox(x - grad / L)| is at most this in every coordinate. */
  readonly tol: number
  readonly maxIter: number
}

export interface ProximalResult {
  readonly x: Float64Array
  /** Smooth part plus the L1 part at x. */
  readonly f: number
  readonly iterations: number
  readonly converged: boolean
}

export function minimizeProximal(
  smooth: ObjectiveWithGradient,
  l1: Float64Array,
  x0: Float64Array,
  options: ProximalOptions,
): ProximalResult {
  const n = x0.length
  let x = Float64Array.from(x0)
  const y = Float64Array.from(x0)
  let xNew = new Float64Array(n)
  const gy = new Float64Array(n)
  const gx = new Float64Array(n)
  const mapping = new Float64Array(n)
  let lipschitz = 1
  let t = 1
  let fx = smooth(x, gx) + l1Norm(l1, x)
  for (let iter = 1; iter <= options.maxIter; iter++) {
    const fy = smooth(y, gy)
    let fNewSmooth: number
    // Backtracking: grow L until the quadratic model at y upper-bounds the smooth part at the prox step.
    for (;;) {
      for (let i = 0; i < n; i++) xNew[i] = softThreshold(y[i] - gy[i] / lipschitz, l1[i] / lipschitz)
      fNewSmooth = smooth(xNew, gx)
      let lin = 0
      let sq = 0
      for (let i = 0; i < n; i++) {
        const dlt = xNew[i] - y[i]
        lin += gy[i] * dlt
        sq += dlt * dlt
      }
      if (fNewSmooth <= fy + lin + 0.5 * lipschitz * sq + 1e-12 * Math.abs(fy) || sq === 0) break
      lipschitz *= 2
      if (!Number.isFinite(lipschitz)) throw new Error('proximal gradient: step size underflow (objective not smooth?)')
    }
    for (let i = 0; i < n; i++) mapping[i] = lipschitz * (y[i] - xNew[i])
    const fNew = fNewSmooth + l1Norm(l1, xNew)
    if (maxAbs(mapping) <= options.tol) {
      return { x: xNew, f: fNew, iterations: iter, converged: true }
    }
    // Restart the momentum when it points uphill (O'Donoghue & Candes), which keeps convergence monotone-ish.
    let uphill = 0
    for (let i = 0; i < n; i++) uphill += (y[i] - xNew[i]) * (xNew[i] - x[i])
    if (uphill > 0 || fNew > fx) {
      t = 1
      y.set(xNew)
    } else {
      const tNew = (1 + Math.sqrt(1 + 4 * t * t)) / 2
      const beta = (t - 1) / tNew
      for (let i = 0; i < n; i++) y[i] = xNew[i] + beta * (xNew[i] - x[i])
      t = tNew
    }
    ;[x, xNew] = [xNew, x]
    fx = fNew
    // Let the step grow again slowly: the local curvature is often much smaller than the worst seen so far.
    lipschitz *= 0.95
  }
  return { x, f: fx, iterations: options.maxIter, converged: false }
}

function softThreshold(v: number, k: number): number {
  return v > k ? v - k : v < -k ? v + k : 0
}

function l1Norm(w: Float64Array, x: Float64Array): number {
  let s = 0
  for (let i = 0; i < x.length; i++) s += w[i] * Math.abs(x[i])
  return s
}
