import assert from 'node:assert/strict'
import test from 'node:test'
import { minimiseNewton, solveSpd } from '../../src/inference/calibration/damped-newton.js'

test('solveSpd solves a positive definite system, and a singular one gets a ridge instead of a NaN', () => {
  // A = [[4, 2], [2, 3]], b = [2, 1]: x = [0.5, 0].
  const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2)
  assert.ok(Math.abs(x[0] - 0.5) < 1e-15 && Math.abs(x[1]) < 1e-15, String(x))
  const singular = solveSpd(Float64Array.from([1, 1, 1, 1]), Float64Array.from([1, 1]), 2)
  assert.ok(singular.every(Number.isFinite), String(singular))
})

test('minimiseNewton reaches the minimum of a smooth convex function from far away, with the line search', () => {
  // f(t) = sum_j softplus(t_j - j) + softplus(j - t_j) (log-cosh-like, minimum at t_j = j): a plain Newton step from
  // far away overshoots; the halving line search keeps every step downhill.
  const sp = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)))
  const sg = (z: number) => 1 / (1 + Math.exp(-z))
  const d = 3
  const value = (t: Float64Array) => t.reduce((s, v, j) => s + sp(v - j) + sp(j - v), 0)
  const { theta, iterations } = minimiseNewton(
    {
      value,
      derivatives(t) {
        const grad = new Float64Array(d)
        const hess = new Float64Array(d * d)
        for (let j = 0; j < d; j++) {
          grad[j] = sg(t[j] - j) - sg(j - t[j])
          hess[j * d + j] = 2 * sg(t[j] - j) * sg(j - t[j])
        }
        return { value: value(t), grad, hess }
      },
    },
    Float64Array.from([40, -30, 25]),
  )
  for (let j = 0; j < d; j++) assert.ok(Math.abs(theta[j] - j) < 1e-8, `${theta}`)
  assert.ok(iterations < 100, `${iterations} iterations`)
})
