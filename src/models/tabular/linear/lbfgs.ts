/**
 * Limited-memory BFGS for smooth unconstrained minimization (Nocedal & Wright, "Numerical Optimization",
 * Algorithm 7.4 two-loop recursion; Algorithms 3.5/3.6 line search with the strong Wolfe conditions).
 */

/** Objective: returns f(x) and writes its gradient into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number

export interface LbfgsOptions {
  /** Stop when the largest absolute gradient component is at most this. */
  readonly gtol: number
  /** Stop when the relative decrease of f in one step is at most this. */
  readonly ftol: number
  readonly maxIter: number
  /** Number of correction pairs kept. */
  readonly memory: number
  /** Function evaluations allowed per line search. */
  readonly maxLineSearch: number
}

export const DEFAULT_LBFGS: LbfgsOptions = Object.freeze({
  gtol: 1e-6,
  ftol: 1e-12,
  maxIter: 500,
  memory: 10,
  maxLineSearch: 40,
})

export interface LbfgsResult {
  readonly x: Float64Array
  readonly f: number
  readonly iterations: number
  readonly evaluations: number
  readonly converged: boolean
  readonly reason: 'gtol' | 'ftol' | 'max_iter' | 'line_search'
}

const C1 = 1e-4 // sufficient decrease (Armijo)
const C2 = 0.9 // curvature: the usual choice for quasi-Newton methods

export function minimizeLbfgs(
  fg: ObjectiveWithGradient,
  x0: Float64Array,
  options: Partial<LbfgsOptions> = {},
): LbfgsResult {
  const opt = { ...DEFAULT_LBFGS, ...options }
  const n = x0.length
  const m = Math.max(1, opt.memory)
  let x = Float64Array.from(x0)
  let g = new Float64Array(n)
  let f = fg(x, g)
  let evaluations = 1
  if (!Number.isFinite(f)) throw new Error(`L-BFGS: objective is ${f} at the starting point`)

  // Correction pairs in a ring buffer: s = x_{k+1} - x_k, y = g_{k+1} - g_k, rho = 1 / (y's).
  const S = Array.from({ length: m }, () => new Float64Array(n))
  const Y = Array.from({ length: m }, () => new Float64Array(n))
  const rho = new Float64Array(m)
  const alpha = new Float64Array(m)
  let stored = 0
  let head = 0 // index of the next slot to write
  const d = new Float64Array(n)
  let xNew = new Float64Array(n)
  let gNew = new Float64Array(n)

  if (maxAbs(g) <= opt.gtol) return { x, f, iterations: 0, evaluations, converged: true, reason: 'gtol' }

  for (let iter = 0; iter < opt.maxIter; iter++) {
    // Search direction d = -H g by the two-loop recursion.
    for (let i = 0; i < n; i++) d[i] = -g[i]
    for (let c = 0; c < stored; c++) {
      const k = (head - 1 - c + m) % m
      const a = rho[k] * dot(S[k], d)
      alpha[k] = a
      axpy(-a, Y[k], d)
    }
    if (stored > 0) {
      const k = (head - 1 + m) % m
      const yy = dot(Y[k], Y[k])
      scale(d, 1 / (rho[k] * yy)) // H0 = (s'y / y'y) I
    }
    for (let c = stored - 1; c >= 0; c--) {
      const k = (head - 1 - c + m) % m
      const b = rho[k] * dot(Y[k], d)
      axpy(alpha[k] - b, S[k], d)
    }
    let slope = dot(g, d)
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): forget the curvature pairs and use steepest descent.
      stored = 0
      for (let i = 0; i < n; i++) d[i] = -g[i]
      slope = dot(g, d)
    }
    // Without curvature information, take a first step of unit length.
    const step0 = stored === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1
    const ls = wolfeLineSearch(fg, x, f, g, d, slope, step0, xNew, gNew, opt.maxLineSearch)
    evaluations += ls.evaluations
    if (!ls.ok) {
      if (stored > 0) {
        stored = 0 // retry this iteration from steepest descent before giving up
        continue
      }
      return { x, f, iterations: iter, evaluations, converged: false, reason: 'line_search' }
    }
    const fNew = ls.f
    const s = S[head]
    const y = Y[head]
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i]
      y[i] = gNew[i] - g[i]
    }
    const sy = dot(s, y)
    // Keep the pair only if it carries positive curvature, so that H stays positive definite.
    if (sy > 1e-12 * dot(y, y)) {
      rho[head] = 1 / sy
      head = (head + 1) % m
      stored = Math.min(stored + 1, m)
    }
    const fOld = f
    ;[x, xNew] = [xNew, x]
    ;[g, gNew] = [gNew, g]
    f = fNew
    if (maxAbs(g) <= opt.gtol) return { x, f, iterations: iter + 1, evaluations, converged: true, reason: 'gtol' }
    if (fOld - f <= opt.ftol * Math.max(Math.abs(fOld), Math.abs(f), 1)) {
      return { x, f, iterations: iter + 1, evaluations, converged: true, reason: 'ftol' }
    }
  }
  return { x, f, iterations: opt.maxIter, evaluations, converged: false, reason: 'max_iter' }
}

interface LineSearchResult {
  readonly ok: boolean
  readonly f: number
  readonly evaluations: number
}

/**
 * Find a step t along d satisfying the strong Wolfe conditions; on success xOut/gOut hold x + t d and its gradient.
 * Bracketing phase (Algorithm 3.5) then zoom with safeguarded cubic interpolation (Algorithm 3.6).
 */
function wolfeLineSearch(
  fg: ObjectiveWithGradient,
  x: Float64Array,
  f0: number,
  g0: Float64Array,
  d: Float64Array,
  slope0: number,
  step0: number,
  xOut: Float64Array,
  gOut: Float64Array,
  maxEval: number,
): LineSearchResult {
  let evaluations = 0
  const evalAt = (t: number): { f: number; slope: number } => {
    for (let i = 0; i < x.length; i++) xOut[i] = x[i] + t * d[i]
    const f = fg(xOut, gOut)
    evaluations++
    return { f, slope: dot(gOut, d) }
  }
  const armijo = (t: number, f: number): boolean => f <= f0 + C1 * t * slope0
  const curvature = (slope: number): boolean => Math.abs(slope) <= -C2 * slope0

  let tPrev = 0
  let fPrev = f0
  let slopePrev = slope0
  let t = step0
  let lo = 0
  let hi = 0
  let fLo = 0
  let fHi = 0
  let sLo = 0
  let sHi = 0
  let bracketed = false
  while (evaluations < maxEval) {
    const e = evalAt(t)
    if (!Number.isFinite(e.f) || !armijo(t, e.f) || (evaluations > 1 && e.f >= fPrev)) {
      ;[lo, fLo, sLo, hi, fHi, sHi] = [tPrev, fPrev, slopePrev, t, Number.isFinite(e.f) ? e.f : Infinity, e.slope]
      bracketed = true
      break
    }
    if (curvature(e.slope)) return { ok: true, f: e.f, evaluations }
    if (e.slope >= 0) {
      ;[lo, fLo, sLo, hi, fHi, sHi] = [t, e.f, e.slope, tPrev, fPrev, slopePrev]
      bracketed = true
      break
    }
    tPrev = t
    fPrev = e.f
    slopePrev = e.slope
    t *= 2
  }
  if (!bracketed) {
    // Still descending after every expansion: accept the last point, which satisfies sufficient decrease.
    if (tPrev > 0) {
      const e = evalAt(tPrev)
      return { ok: true, f: e.f, evaluations }
    }
    return { ok: false, f: f0, evaluations }
  }
  while (evaluations < maxEval) {
    const width = Math.abs(hi - lo)
    if (width <= 1e-16 * Math.max(1, Math.abs(lo))) break
    let tTry = cubicMinimizer(lo, fLo, sLo, hi, Number.isFinite(fHi) ? fHi : NaN, sHi)
    const a = Math.min(lo, hi)
    const b = Math.max(lo, hi)
    if (!(tTry >= a + 0.1 * width && tTry <= b - 0.1 * width)) tTry = (lo + hi) / 2
    const e = evalAt(tTry)
    if (!Number.isFinite(e.f) || !armijo(tTry, e.f) || e.f >= fLo) {
      hi = tTry
      fHi = Number.isFinite(e.f) ? e.f : Infinity
      sHi = e.slope
    } else {
      if (curvature(e.slope)) return { ok: true, f: e.f, evaluations }
      if (e.slope * (hi - lo) >= 0) {
        hi = lo
        fHi = fLo
        sHi = sLo
      }
      lo = tTry
      fLo = e.f
      sLo = e.slope
    }
  }
  // Out of evaluations: the low end satisfies sufficient decrease, so it is still a valid (if weaker) step.
  if (lo > 0 && fLo < f0) {
    const e = evalAt(lo)
    return { ok: true, f: e.f, evaluations }
  }
  return { ok: false, f: f0, evaluations }
}

/** Minimizer of the cubic matching f and f' at a and b (NaN when it does not exist). */
function cubicMinimizer(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b)
  const disc = d1 * d1 - da * db
  if (!(disc >= 0)) return NaN
  const d2 = Math.sign(b - a) * Math.sqrt(disc)
  return b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2)
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i]
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= a
}

export function maxAbs(x: Float64Array): number {
  let m = 0
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i])
    if (v > m) m = v
  }
  return m
}
