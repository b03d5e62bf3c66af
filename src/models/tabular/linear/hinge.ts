import type { Kernel, LogisticProblem } from './logloss.js'

/**
 * Squared hinge loss of one binary one-vs-rest problem: sum_i s_i max(0, 1 - t_i (w x_i + b))^2 with t_i = +1 for
 * rows whose label is `positive`, -1 otherwise (liblinear's default LinearSVC loss).
 */
export function squaredHingeKernel(p: LogisticProblem, positive: number): Kernel {
  const { x, n, f, labels, weights } = p
  return (w, b, gw, gb) => {
    let loss = 0
    let gb0 = 0
    for (let i = 0; i < n; i++) {
      const s = weights[i]
      if (s === 0) continue
      const xo = i * f
      let z = b[0]
      for (let j = 0; j < f; j++) z += w[j] * x[xo + j]
      const t = labels[i] === positive ? 1 : -1
      const margin = 1 - t * z
      if (margin <= 0) continue
      loss += s * margin * margin
      const r = -2 * s * margin * t
      gb0 += r
      for (let j = 0; j < f; j++) gw[j] += r * x[xo + j]
    }
    gb[0] = gb0
    return loss
  }
}

/**
 * Crammer-Singer multi-class SVM by dual coordinate descent over one sample's block at a time (the method of
 * Keerthi et al. 2008 used by liblinear). Primal: 0.5 sum_k ||w_k||^2 + sum_i C_i max_k (1[k != y_i] + w_k x_i -
 * w_{y_i} x_i); dual per sample: alpha_i^k <= C_i 1[k = y_i], sum_k alpha_i^k = 0, w_k = sum_i alpha_i^k x_i.
 * `x` is row-major (n, d) and should already contain a constant column when a (penalized) bias is wanted.
 * Returns W (K, d). Samples are visited in an order shuffled by `random` each epoch.
 */
export function crammerSinger(
  x: Float64Array,
  n: number,
  d: number,
  labels: Int32Array,
  cost: Float64Array,
  K: number,
  tol: number,
  maxEpochs: number,
  random: () => number,
): { w: Float64Array; epochs: number; converged: boolean } {
  const w = new Float64Array(K * d)
  const alpha = new Float64Array(n * K)
  const sqNorm = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < d; j++) s += x[i * d + j] * x[i * d + j]
    sqNorm[i] = s
  }
  const order = Int32Array.from({ length: n }, (_, i) => i)
  const G = new Float64Array(K)
  const B = new Float64Array(K)
  const D = new Float64Array(K)
  const next = new Float64Array(K)
  for (let epoch = 1; epoch <= maxEpochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      const t = order[i]
      order[i] = order[j]
      order[j] = t
    }
    let worst = 0
    for (const i of order) {
      const A = sqNorm[i]
      if (A === 0 || cost[i] === 0) continue
      const y = labels[i]
      const xo = i * d
      const ao = i * K
      // Dual gradient G_k = w_k x_i + 1[k != y]; optimality: G_k equal for all k below their bound, max elsewhere.
      let gMax = -Infinity
      let gMinFree = Infinity
      for (let k = 0; k < K; k++) {
        let z = k === y ? 0 : 1
        for (let j = 0; j < d; j++) z += w[k * d + j] * x[xo + j]
        G[k] = z
        if (z > gMax) gMax = z
        const bound = k === y ? cost[i] : 0
        if (alpha[ao + k] < bound && z < gMinFree) gMinFree = z
      }
      const violation = gMax - gMinFree
      if (violation > worst) worst = violation
      if (violation <= 1e-12) continue
      // Closed-form block solution: alpha_k = min(bound_k, (beta - B_k) / A) with beta from sorted D.
      for (let k = 0; k < K; k++) {
        B[k] = G[k] - A * alpha[ao + k]
        D[k] = B[k]
      }
      D[y] += A * cost[i]
      D.sort()
      D.reverse()
      let beta = D[0] - A * cost[i]
      let r = 1
      for (; r < K && beta < r * D[r]; r++) beta += D[r]
      beta /= r
      for (let k = 0; k < K; k++) {
        const bound = k === y ? cost[i] : 0
        next[k] = Math.min(bound, (beta - B[k]) / A)
      }
      for (let k = 0; k < K; k++) {
        const delta = next[k] - alpha[ao + k]
        if (delta === 0) continue
        alpha[ao + k] = next[k]
        const wo = k * d
        for (let j = 0; j < d; j++) w[wo + j] += delta * x[xo + j]
      }
    }
    if (worst <= tol) return { w, epochs: epoch, converged: true }
  }
  return { w, epochs: maxEpochs, converged: false }
}

/** Crammer-Singer primal objective in sum form: 0.5 ||W||^2 + sum_i cost_i max_k (1[k != y_i] + w_k x_i - w_y x_i). */
export function crammerSingerPrimal(
  x: Float64Array,
  n: number,
  d: number,
  labels: Int32Array,
  cost: Float64Array,
  K: number,
  w: Float64Array,
): number {
  let reg = 0
  for (let j = 0; j < w.length; j++) reg += w[j] * w[j]
  let loss = 0
  for (let i = 0; i < n; i++) {
    const y = labels[i]
    let zy = 0
    for (let j = 0; j < d; j++) zy += w[y * d + j] * x[i * d + j]
    let worst = 0
    for (let k = 0; k < K; k++) {
      if (k === y) continue
      let z = 1 - zy
      for (let j = 0; j < d; j++) z += w[k * d + j] * x[i * d + j]
      if (z > worst) worst = z
    }
    loss += cost[i] * worst
  }
  return 0.5 * reg + loss
}
