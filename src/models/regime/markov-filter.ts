import { checkModel, hamiltonStep, kernelOf, type Kernel, type MarkovSwitching } from './markov-switching.js'

/**
 * The Hamilton filter of a fitted Markov switching model as an incremental state machine: each `update(r_t)` writes
 * P(regime_t | r_1..r_t), the only regime probabilities used at prediction time. Batch filtering (`filterBatch`) is
 * the stream replayed through one such object, so batch and live agree bit for bit; the step itself is the one the
 * fit's E-step runs (hamiltonStep in markov-switching.ts).
 *
 * One step: predict (the previous probabilities times the transition matrix; the initial probabilities at the first
 * update), weigh by the regime densities taken relative to their maximum, normalise. A non-finite return is a
 * missing observation: its probabilities are the prediction alone (the exact marginal of an unobserved row), never
 * NaN. With an AR term the density needs the previous return too, so the first update, and the update after a
 * missing return, are unobserved rows as well. Should the prediction give zero weight to every regime that can emit
 * the return (a transition ruled out by the fit), the filter restarts from the densities alone rather than divide by
 * zero.
 */
export class MarkovFilter {
  readonly regimes: number
  private readonly kernel: Kernel
  private readonly post: Float64Array
  private readonly pred: Float64Array
  private readonly dens: Float64Array
  private lag = NaN
  private updates = 0

  constructor(model: MarkovSwitching) {
    checkModel(model)
    this.regimes = model.regimes
    this.kernel = kernelOf(model)
    this.post = new Float64Array(this.regimes)
    this.pred = new Float64Array(this.regimes)
    this.dens = new Float64Array(this.regimes)
  }

  /** Returns consumed so far. */
  get count(): number {
    return this.updates
  }

  /** The prediction P(regime_t | r_1..r_{t-1}) of the last update (length K; read-only view). */
  get predicted(): Float64Array {
    return this.pred
  }

  /** Back to the state before the first update. */
  reset(): void {
    this.updates = 0
    this.lag = NaN
    this.post.fill(0)
    this.pred.fill(0)
  }

  /** Consume one return r; write the K filtered probabilities to out[at..at + K). */
  update(r: number, out: Float64Array, at = 0): void {
    const K = this.regimes
    if (at < 0 || at + K > out.length)
      throw new Error(`markov filter: update ${this.updates} writes ${K} values at ${at}, past the ${out.length} given`)
    hamiltonStep(this.kernel, this.updates === 0, this.post, 0, r, this.lag, this.pred, 0, this.post, 0, this.dens)
    for (let k = 0; k < K; k++) out[at + k] = this.post[k]
    this.lag = r
    this.updates++
  }
}

/** Filtered probabilities of every return (n), row-major (n, K): the stream replayed through one MarkovFilter. */
export function filterBatch(model: MarkovSwitching, r: Float64Array, n: number): Float64Array {
  const f = new MarkovFilter(model)
  if (r.length !== n) throw new Error(`markov filter: returns hold ${r.length} values, not n = ${n}`)
  const K = f.regimes
  const out = new Float64Array(n * K)
  for (let t = 0; t < n; t++) f.update(r[t], out, t * K)
  return out
}
