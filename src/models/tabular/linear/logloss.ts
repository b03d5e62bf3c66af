import { expNonPositive } from '../../fast/exp.js'
import type { ObjectiveWithGradient } from './lbfgs.js'
import { parallelKernel, type ClosableKernel } from './parallel.js'

/**
 * Penalized logistic objectives, divided by the total sample weight S (so tolerances do not depend on n; the
 * minimizer is that of scikit-learn's sum-form objective):
 *   (1/S) [ sum_i s_i * logloss_i + 0.5 * l2 * ||W||^2 ]       (intercepts are not penalized, as in scikit-learn)
 * Parameters are laid out as W (rows, f) followed by the intercepts (rows) when fitted. With `center`/`scale`
 * the parameters act on standardized features (x - c) / s, but the data is never copied: each evaluation maps them
 * to effective raw-feature weights W' = W / s, b' = b - W' c and chains the gradient back.
 */
export interface LogisticProblem {
  /** Row-major (n, f) raw features, NaN already imputed. */
  readonly x: Float64Array
  readonly n: number
  readonly f: number
  readonly labels: Int32Array
  readonly weights: Float64Array
  readonly l2: number
  readonly fitIntercept: boolean
  readonly center?: Float64Array
  readonly scale?: Float64Array
}

export function totalWeight(w: Float64Array): number {
  let s = 0
  for (let i = 0; i < w.length; i++) s += w[i]
  if (!(s > 0)) throw new Error('sample weights sum to zero')
  return s
}

/** Sum of weighted losses at effective raw weights; writes their gradient (gw: rows*f, gb: rows). */
export type Kernel = (w: Float64Array, b: Float64Array, gw: Float64Array, gb: Float64Array) => number

/** Objective over `rows` weight rows: 1 = binary sigmoid, K >= 3 = softmax over K classes. */
export function logisticObjective(p: LogisticProblem, rows: number, threads = 1): ClosableObjective {
  return linearObjective(p, rows, parallelKernel(p, { loss: 'logistic', rows }, threads), false)
}

/** An objective whose kernel may hold worker threads: call `close` when done minimizing. */
export type ClosableObjective = ObjectiveWithGradient & { close(): void }

/** The single-threaded logistic kernel for `rows` weight rows. */
export function logisticKernel(p: LogisticProblem, rows: number): Kernel {
  return rows === 1 ? binaryKernel(p) : rows === 3 ? softmax3Kernel(p) : softmaxKernel(p, rows)
}

/**
 * (1/S) [ kernel loss at the effective raw weights + 0.5 * l2 * (||W||^2 (+ ||b||^2 when `penalizeIntercept`)) ]
 * and its gradient with respect to the (possibly standardized-space) parameters.
 */
export function linearObjective(
  p: LogisticProblem,
  rows: number,
  kernel: ClosableKernel,
  penalizeIntercept: boolean,
): ClosableObjective {
  const { f, l2, fitIntercept, center, scale } = p
  const nw = rows * f
  const invS = 1 / totalWeight(p.weights)
  const we = new Float64Array(nw)
  const be = new Float64Array(rows)
  const gwe = new Float64Array(nw)
  const gbe = new Float64Array(rows)
  const objective = (theta: Float64Array, g: Float64Array): number => {
    effectiveInto(theta, rows, f, fitIntercept, center, scale, we, be)
    gwe.fill(0)
    gbe.fill(0)
    const loss = kernel(we, be, gwe, gbe)
    // Chain rule back to theta, then the penalty on the (standardized) weights.
    let sq = 0
    for (let k = 0; k < rows; k++) {
      for (let j = 0; j < f; j++) {
        let gj = gwe[k * f + j]
        if (center) gj -= gbe[k] * center[j]
        if (scale) gj /= scale[j]
        const t = theta[k * f + j]
        sq += t * t
        g[k * f + j] = (gj + l2 * t) * invS
      }
      if (fitIntercept) {
        const b = theta[nw + k]
        if (penalizeIntercept) sq += b * b
        g[nw + k] = (gbe[k] + (penalizeIntercept ? l2 * b : 0)) * invS
      }
    }
    return (loss + 0.5 * l2 * sq) * invS
  }
  return Object.assign(objective, { close: () => kernel.close?.() })
}

/** Raw-feature weights (rows, f) and intercepts (rows) equivalent to parameters acting on (x - c) / s. */
export function effectiveWeights(
  theta: Float64Array,
  rows: number,
  f: number,
  fitIntercept: boolean,
  center?: Float64Array,
  scale?: Float64Array,
): { coef: Float64Array; intercept: Float64Array } {
  const coef = new Float64Array(rows * f)
  const intercept = new Float64Array(rows)
  effectiveInto(theta, rows, f, fitIntercept, center, scale, coef, intercept)
  return { coef, intercept }
}

function effectiveInto(
  theta: Float64Array,
  rows: number,
  f: number,
  fitIntercept: boolean,
  center: Float64Array | undefined,
  scale: Float64Array | undefined,
  we: Float64Array,
  be: Float64Array,
): void {
  const nw = rows * f
  for (let k = 0; k < rows; k++) {
    let b = fitIntercept ? theta[nw + k] : 0
    for (let j = 0; j < f; j++) {
      const w = scale ? theta[k * f + j] / scale[j] : theta[k * f + j]
      we[k * f + j] = w
      if (center) b -= w * center[j]
    }
    be[k] = b
  }
}

function binaryKernel(p: LogisticProblem): Kernel {
  const { x, n, f, labels, weights } = p
  return (w, b, gw, gb) => {
    let loss = 0
    let gb0 = 0
    const b0 = b[0]
    for (let i = 0; i < n; i++) {
      const s = weights[i]
      if (s === 0) continue
      const xo = i * f
      let z = b0
      for (let j = 0; j < f; j++) z += w[j] * x[xo + j]
      // softplus(z) - y z without overflow; sigmoid(z) for the gradient.
      const y = labels[i]
      const ez = Math.exp(-Math.abs(z))
      loss += s * ((z > 0 ? z : 0) + Math.log1p(ez) - y * z)
      const r = s * ((z >= 0 ? 1 / (1 + ez) : ez / (1 + ez)) - y)
      gb0 += r
      for (let j = 0; j < f; j++) gw[j] += r * x[xo + j]
    }
    gb[0] = gb0
    return loss
  }
}

/**
 * Softmax cross-entropy for three classes (the {-1, 0, 1} case), computed from score differences against class 0:
 * the loss depends on z only through d_k = z_k - z_0 = (w_k - w_0) x + (b_k - b_0), and since a row's residuals
 * r_k = s (p_k - [y = k]) sum to zero, class 0's gradient is minus the sum of the others'. So each row takes two
 * dot products and two gradient updates instead of three (a third fewer floating-point operations). Difference
 * weights are interleaved per feature and rows are taken four at a time, so each weight load and gradient store
 * serves four rows. This is the fallback of the WebAssembly kernel (wasm/logistic.ts).
 */
function softmax3Kernel(p: LogisticProblem): Kernel {
  const { x, n, f, labels, weights } = p
  const wt = new Float64Array(2 * f)
  const gt = new Float64Array(2 * f)
  const d = new Float64Array(8)
  const r = new Float64Array(12)
  /**
   * Loss of the `count` rows from i, whose score differences (d1, d2) are in d, writing their residuals into r.
   * One call site with a loop inside, so that V8 inlines it (and the exps) into the kernel: it did not inline a
   * second call site.
   */
  const rows = (i: number, count: number): number => {
    let loss = 0
    for (let t = 0; t < count; t++) {
      const s = weights[i + t]
      const y = labels[i + t]
      const d1 = d[2 * t]
      const d2 = d[2 * t + 1]
      const max = d1 > d2 ? (d1 > 0 ? d1 : 0) : d2 > 0 ? d2 : 0
      const e0 = expNonPositive(-max)
      const e1 = expNonPositive(d1 - max)
      const e2 = expNonPositive(d2 - max)
      const sum = e0 + e1 + e2
      const inv = s / sum
      r[3 * t] = e0 * inv - (y === 0 ? s : 0)
      r[3 * t + 1] = e1 * inv - (y === 1 ? s : 0)
      r[3 * t + 2] = e2 * inv - (y === 2 ? s : 0)
      // A zero-weight row contributes nothing (and its scores are finite, so 0 * loss is 0).
      if (s !== 0) loss += s * (max + Math.log(sum) - (y === 0 ? 0 : y === 1 ? d1 : d2))
    }
    return loss
  }
  return (w, b, gw, gb) => {
    for (let j = 0; j < f; j++) {
      wt[2 * j] = w[f + j] - w[j]
      wt[2 * j + 1] = w[2 * f + j] - w[j]
    }
    const c1 = b[1] - b[0]
    const c2 = b[2] - b[0]
    gt.fill(0)
    let loss = 0
    let i = 0
    for (; i + 3 < n; i += 4) {
      const xa = i * f
      const xb = xa + f
      const xc = xb + f
      const xd = xc + f
      let a1 = c1
      let a2 = c2
      let b1 = c1
      let b2 = c2
      let g1 = c1
      let g2 = c2
      let h1 = c1
      let h2 = c2
      for (let j = 0, q = 0; j < f; j++, q += 2) {
        const w1 = wt[q]
        const w2 = wt[q + 1]
        const va = x[xa + j]
        a1 += w1 * va
        a2 += w2 * va
        const vb = x[xb + j]
        b1 += w1 * vb
        b2 += w2 * vb
        const vc = x[xc + j]
        g1 += w1 * vc
        g2 += w2 * vc
        const vd = x[xd + j]
        h1 += w1 * vd
        h2 += w2 * vd
      }
      d[0] = a1
      d[1] = a2
      d[2] = b1
      d[3] = b2
      d[4] = g1
      d[5] = g2
      d[6] = h1
      d[7] = h2
      loss += rows(i, 4)
      const ra1 = r[1]
      const ra2 = r[2]
      const rb1 = r[4]
      const rb2 = r[5]
      const rc1 = r[7]
      const rc2 = r[8]
      const rd1 = r[10]
      const rd2 = r[11]
      gb[0] += r[0] + r[3] + r[6] + r[9]
      gb[1] += ra1 + rb1 + rc1 + rd1
      gb[2] += ra2 + rb2 + rc2 + rd2
      for (let j = 0, q = 0; j < f; j++, q += 2) {
        const va = x[xa + j]
        const vb = x[xb + j]
        const vc = x[xc + j]
        const vd = x[xd + j]
        gt[q] += ra1 * va + rb1 * vb + (rc1 * vc + rd1 * vd)
        gt[q + 1] += ra2 * va + rb2 * vb + (rc2 * vc + rd2 * vd)
      }
    }
    for (; i < n; i++) {
      // The last rows (n mod 4) one at a time.
      const xa = i * f
      let a1 = c1
      let a2 = c2
      for (let j = 0, q = 0; j < f; j++, q += 2) {
        const va = x[xa + j]
        a1 += wt[q] * va
        a2 += wt[q + 1] * va
      }
      d[0] = a1
      d[1] = a2
      loss += rows(i, 1)
      gb[0] += r[0]
      gb[1] += r[1]
      gb[2] += r[2]
      for (let j = 0, q = 0; j < f; j++, q += 2) {
        const va = x[xa + j]
        gt[q] += r[1] * va
        gt[q + 1] += r[2] * va
      }
    }
    for (let j = 0; j < f; j++) {
      const g1 = gt[2 * j]
      const g2 = gt[2 * j + 1]
      gw[j] -= g1 + g2
      gw[f + j] += g1
      gw[2 * f + j] += g2
    }
    return loss
  }
}

function softmaxKernel(p: LogisticProblem, K: number): Kernel {
  const { x, n, f, labels, weights } = p
  const z = new Float64Array(K)
  return (w, b, gw, gb) => {
    let loss = 0
    for (let i = 0; i < n; i++) {
      const s = weights[i]
      if (s === 0) continue
      const xo = i * f
      let max = -Infinity
      for (let k = 0; k < K; k++) {
        let acc = b[k]
        const wo = k * f
        for (let j = 0; j < f; j++) acc += w[wo + j] * x[xo + j]
        z[k] = acc
        if (acc > max) max = acc
      }
      const y = labels[i]
      const zy = z[y]
      let sum = 0
      for (let k = 0; k < K; k++) {
        const e = Math.exp(z[k] - max)
        z[k] = e
        sum += e
      }
      loss += s * (max + Math.log(sum) - zy)
      const inv = s / sum
      for (let k = 0; k < K; k++) {
        const r = z[k] * inv - (k === y ? s : 0)
        gb[k] += r
        const wo = k * f
        for (let j = 0; j < f; j++) gw[wo + j] += r * x[xo + j]
      }
    }
    return loss
  }
}
