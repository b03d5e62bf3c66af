import { rowLogDensities, type GaussianEmission } from './emission.js'
import { checkModel, emissionOf, type GaussianHmm } from './gaussian-hmm.js'

/**
 * The forward filter of a fitted Gaussian HMM as an incremental state machine: each `update(x_t)` writes
 * P(state_t | x_1..x_t), the only regime probabilities used at prediction time. Batch filtering (`filterBatch`) is
 * the stream replayed through one such object, so batch and live agree bit for bit.
 *
 * One step: predict (the previous posterior times the transition matrix; the initial probabilities at the first
 * update), weigh by the emission densities taken relative to their maximum (exp(log b_k - max_k log b_k), so no
 * underflow however far the row lies), normalise. A row with a non-finite value is a missing observation: its
 * posterior is the prediction alone (the exact marginal of an unobserved row), never NaN. Should the prediction give
 * zero weight to every state that can emit the row (a transition ruled out by the fit), the filter restarts from
 * the emission densities alone rather than divide by zero.
 */
export class HmmFilter {
  readonly states: number
  readonly dim: number
  private readonly emission: GaussianEmission
  private readonly transmat: Float64Array
  private readonly startProb: Float64Array
  private readonly post: Float64Array
  private readonly prior: Float64Array
  private readonly logB: Float64Array
  private updates = 0

  constructor(model: GaussianHmm) {
    checkModel(model)
    this.states = model.states
    this.dim = model.dim
    this.emission = emissionOf(model)
    this.transmat = Float64Array.from(model.transmat)
    this.startProb = Float64Array.from(model.startProb)
    this.post = new Float64Array(this.states)
    this.prior = new Float64Array(this.states)
    this.logB = new Float64Array(this.states)
  }

  /** Observations consumed so far. */
  get count(): number {
    return this.updates
  }

  /** Back to the state before the first update. */
  reset(): void {
    this.updates = 0
    this.post.fill(0)
  }

  /** Consume one observation x (length d); write the K filtered probabilities to out[at..at + K). */
  update(x: ArrayLike<number>, out: Float64Array, at = 0): void {
    if (x.length !== this.dim)
      throw new Error(`HMM filter: observation ${this.updates} has ${x.length} values, the model expects d=${this.dim}`)
    this.updateRow(x, 0, out, at)
  }

  /** update() for the row x[xo..xo + d) of a larger row-major array. */
  updateRow(x: ArrayLike<number>, xo: number, out: Float64Array, at: number): void {
    const K = this.states
    const d = this.dim
    if (xo < 0 || xo + d > x.length)
      throw new Error(`HMM filter: observation ${this.updates} (offset ${xo}) runs past the ${x.length} values given`)
    const prior = this.prior
    const post = this.post
    if (this.updates === 0) {
      prior.set(this.startProb)
    } else {
      const A = this.transmat
      for (let j = 0; j < K; j++) {
        let acc = 0
        for (let i = 0; i < K; i++) acc += post[i] * A[i * K + j]
        prior[j] = acc
      }
    }
    let observed = true
    for (let j = 0; j < d; j++) if (!Number.isFinite(x[xo + j])) observed = false
    if (!observed) {
      normaliseInto(prior, post)
    } else {
      const lb = this.logB
      rowLogDensities(this.emission, x, xo, lb, 0)
      let mx = -Infinity
      for (let k = 0; k < K; k++) if (lb[k] > mx) mx = lb[k]
      let s = 0
      for (let k = 0; k < K; k++) {
        lb[k] = Math.exp(lb[k] - mx)
        const v = prior[k] * lb[k]
        post[k] = v
        s += v
      }
      if (s > 0 && Number.isFinite(s)) {
        const inv = 1 / s
        for (let k = 0; k < K; k++) post[k] *= inv
      } else {
        normaliseInto(lb, post)
      }
    }
    for (let k = 0; k < K; k++) out[at + k] = post[k]
    this.updates++
  }
}

function normaliseInto(v: Float64Array, out: Float64Array): void {
  let s = 0
  for (let k = 0; k < v.length; k++) s += v[k]
  const inv = 1 / s
  for (let k = 0; k < v.length; k++) out[k] = v[k] * inv
}

/** Filtered probabilities of every row of x (n, d), row-major (n, K): the stream replayed through one HmmFilter. */
export function filterBatch(model: GaussianHmm, x: Float64Array, n: number): Float64Array {
  const f = new HmmFilter(model)
  if (x.length !== n * f.dim)
    throw new Error(`HMM filter: observations hold ${x.length} values, not n x d = ${n} x ${f.dim} = ${n * f.dim}`)
  const out = new Float64Array(n * f.states)
  for (let t = 0; t < n; t++) f.updateRow(x, t * f.dim, out, t * f.states)
  return out
}
