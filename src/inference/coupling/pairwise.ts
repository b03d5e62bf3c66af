import { z } from 'zod'
import { COUPLING_EPS, checkBracketRows, clipProbability, normaliseRows } from './groups.js'

/**
 * Pairwise coupling, Wu, Lin and Weng (2004), "Probability estimates for multi-class classification by pairwise
 * coupling", their second method (the one libsvm uses). Given pairwise probabilities r_ij = P(i | i or j) (so
 * r_ji = 1 - r_ij), it finds the distribution q that best agrees with them:
 *
 *   min_q  sum_i sum_{j != i} (r_ji q_i - r_ij q_j)^2   s.t.  sum_i q_i = 1
 *
 * i.e. min q^T Q q with Q_ii = sum_{j != i} r_ji^2 and Q_ij = -r_ji r_ij. With a multiplier b, the optimum solves the
 * (K+1) linear system [Q e; e^T 0] [q; b] = [0; 1], solved here directly (Gaussian elimination, partial pivoting).
 * The paper shows that q >= 0 needs no constraint; a negative left by rounding is set to 0 before renormalising.
 *
 * Bracket groups have no pairwise models, only one probability per outcome. They take r_ij = p_i / (p_i + p_j), the
 * share of i in the mass the two bracket models give the pair. Note what that implies: those r are consistent
 * (r_ji q_i = r_ij q_j holds for q proportional to p), so the objective reaches 0 at q = p / sum(p) and the coupling
 * IS plain renormalisation. It differs from renormalisation only for pairwise probabilities that come from pairwise
 * models (`coupleFromPairwise`), where r need not be consistent.
 */
export interface PairwiseState {
  readonly method: 'pairwise'
  readonly classes: number
}

export const pairwiseStateSchema = z
  .object({ method: z.literal('pairwise'), classes: z.number().int().min(2) })
  .strict()

/** How far r_ij + r_ji may stray from 1 before the pair is an error (rounding of a stored pair). */
const PAIR_TOLERANCE = 1e-9

/**
 * Coupled (n, k) distributions from pairwise probabilities `r` (n, k, k): r[g, i, j] = P(i | i or j) for group g; the
 * diagonal is ignored. Each r_ij is clipped to [COUPLING_EPS, 1 - COUPLING_EPS] so that no pair is cut out of Q
 * entirely (a 0 would leave Q without the link that ties the two classes' scales).
 */
export function coupleFromPairwise(r: Float64Array, k: number): Float64Array {
  if (!(Number.isInteger(k) && k >= 2)) throw new Error(`pairwise: ${k} outcomes; coupling needs at least 2`)
  const kk = k * k
  if (r.length % kk !== 0) throw new Error(`pairwise: ${r.length} values is not a whole number of ${k} x ${k} matrices`)
  const n = r.length / kk
  const out = new Float64Array(n * k)
  const m = new Float64Array((k + 1) * (k + 2))
  for (let g = 0; g < n; g++) {
    const o = g * kk
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const a = r[o + i * k + j]
        const b = r[o + j * k + i]
        if (!(a >= 0 && a <= 1 && b >= 0 && b <= 1 && Math.abs(a + b - 1) <= PAIR_TOLERANCE))
          throw new Error(
            `pairwise: group row ${g}: r(${i},${j}) = ${a} and r(${j},${i}) = ${b} are not two probabilities summing to 1`,
          )
      }
    }
    solveGroup(r.subarray(o, o + kk), k, m, out.subarray(g * k, g * k + k))
  }
  return normaliseRows(out, k, 'pairwise')
}

/** Pairwise coupling of bracket probabilities `p` (n, k), with r_ij = p_i / (p_i + p_j) (see above). */
export function couplePairwise(p: Float64Array, k: number): Float64Array {
  const n = checkBracketRows(p, k, 'pairwise')
  const r = new Float64Array(n * k * k)
  for (let g = 0; g < n; g++) {
    for (let i = 0; i < k; i++) {
      const pi = clipProbability(p[g * k + i])
      for (let j = 0; j < k; j++) {
        if (i !== j) r[g * k * k + i * k + j] = pi / (pi + clipProbability(p[g * k + j]))
      }
    }
  }
  return coupleFromPairwise(r, k)
}

/** Solves one group's KKT system into `q` (unnormalised, negatives from rounding set to 0). */
function solveGroup(r: Float64Array, k: number, m: Float64Array, q: Float64Array): void {
  const w = k + 2 // columns of the augmented matrix [A | rhs]
  m.fill(0)
  const rc = (i: number, j: number) => Math.min(1 - COUPLING_EPS, Math.max(COUPLING_EPS, r[i * k + j]))
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (i === j) continue
      const rji = rc(j, i)
      m[i * w + i] += rji * rji
      m[i * w + j] = -rji * rc(i, j)
    }
    m[i * w + k] = 1
    m[k * w + i] = 1
  }
  m[k * w + k + 1] = 1
  const size = k + 1
  for (let col = 0; col < size; col++) {
    let piv = col
    for (let row = col + 1; row < size; row++) if (Math.abs(m[row * w + col]) > Math.abs(m[piv * w + col])) piv = row
    if (!(Math.abs(m[piv * w + col]) > 0)) throw new Error('pairwise: the coupling system is singular')
    if (piv !== col) {
      for (let c = 0; c < w; c++) {
        const t = m[col * w + c]
        m[col * w + c] = m[piv * w + c]
        m[piv * w + c] = t
      }
    }
    for (let row = col + 1; row < size; row++) {
      const f = m[row * w + col] / m[col * w + col]
      if (f === 0) continue
      for (let c = col; c < w; c++) m[row * w + c] -= f * m[col * w + c]
    }
  }
  const x = new Float64Array(size)
  for (let row = size - 1; row >= 0; row--) {
    let s = m[row * w + size]
    for (let c = row + 1; c < size; c++) s -= m[row * w + c] * x[c]
    x[row] = s / m[row * w + row]
  }
  for (let i = 0; i < k; i++) q[i] = Math.max(0, x[i])
}
