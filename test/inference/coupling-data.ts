/** Shared by the coupling tests: seeded bracket groups and the checks every coupling must pass. */
import assert from 'node:assert/strict'
import { uniform } from '../helpers.js'

export const rng = uniform

const logit = (q: number) => Math.log(q) - Math.log1p(-q)
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))

function softmax(z: Float64Array): Float64Array {
  const max = Math.max(...z)
  const e = Float64Array.from(z, (v) => Math.exp(v - max))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / sum)
}

export interface BracketData {
  /** Bracket model probabilities (n, k), one binary model per outcome. */
  readonly p: Float64Array
  /** The true distributions (n, k) the outcomes were drawn from. */
  readonly truth: Float64Array
  /** Outcome index of each group. */
  readonly y: Float64Array
  /** One context column per group (n, 1), or empty. */
  readonly context: Float64Array
}

/**
 * n groups of k outcomes. Each group's true distribution is a softmax of random scores (plus `contextShift` times a
 * context value on outcome 0 when given); the outcome is drawn from it. Each bracket model reports
 * sigmoid(sharpness * logit(truth_k) + noise): sharpness > 1 makes them overconfident, the noise makes them
 * disagree, so their sum is rarely 1.
 */
export function bracketGroups(
  n: number,
  k: number,
  seed: number,
  opts: { sharpness?: number; noise?: number; contextShift?: number } = {},
): BracketData {
  const { sharpness = 2, noise = 0.3, contextShift = 0 } = opts
  const r = rng(seed)
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
  const p = new Float64Array(n * k)
  const truth = new Float64Array(n * k)
  const y = new Float64Array(n)
  const context = new Float64Array(contextShift ? n : 0)
  const base = new Float64Array(k)
  const full = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    const c = contextShift ? normal() : 0
    if (contextShift) context[i] = c
    for (let j = 0; j < k; j++) {
      base[j] = 1.5 * normal()
      full[j] = base[j] + (j === 0 ? contextShift * c : 0)
    }
    // The bracket models see the scores without the context term: only a model given the context can use it.
    const seen = softmax(base)
    const q = softmax(full)
    const u = r()
    let acc = 0
    y[i] = k - 1
    for (let j = 0; j < k; j++) {
      truth[i * k + j] = q[j]
      p[i * k + j] = sigmoid(sharpness * logit(Math.min(1 - 1e-9, Math.max(1e-9, seen[j]))) + noise * normal())
      if (u >= acc && u < acc + q[j]) y[i] = j
      acc += q[j]
    }
  }
  return { p, truth, y, context }
}

/** Every row of `q` (n, k) is finite, in [0, 1], and sums to 1 within 1e-12. */
export function assertDistributions(q: Float64Array, k: number, what: string): void {
  for (let i = 0; i < q.length / k; i++) {
    let sum = 0
    for (let c = 0; c < k; c++) {
      const v = q[i * k + c]
      assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `${what}: row ${i} outcome ${c} = ${v}`)
      sum += v
    }
    assert.ok(Math.abs(sum - 1) <= 1e-12, `${what}: row ${i} sums to ${sum} (off by ${sum - 1})`)
  }
}

/** Random bracket rows with awkward values mixed in: exact 0 and 1, 1e-300, 1 - 1e-16, ties, all-zero rows. */
export function awkwardRows(n: number, k: number, seed: number): Float64Array {
  const r = rng(seed)
  const special = [0, 1, 1e-300, 1 - 1e-16, 0.5, 1e-12]
  const p = Float64Array.from({ length: n * k }, () => (r() < 0.2 ? special[Math.floor(r() * special.length)] : r()))
  p.fill(0, 0, k) // an all-zero group
  p.fill(1, k, 2 * k) // an all-one group
  return p
}
