/**
 * A linear contextual bandit over M arms (the gate's members) with context x in R^d: per arm a ridge regression of
 * its reward on the context, kept as the inverse design matrix A^-1 (Sherman-Morrison updates, O(d^2)) and b =
 * sum r x, so theta = A^-1 b. At a context each arm has a mean m_j = theta_j . x and a width s_j = sqrt(x' A_j^-1 x).
 *
 * - linucb (Li et al. 2010): score m_j + alpha s_j; `choose` plays the best score, `weight` gives softmax(score / T).
 * - thompson: draws each arm's expected reward at x from its posterior, N(m_j, noise^2 s_j^2) (the linear model's
 *   Gaussian posterior projected on x: exact for one context); `choose` plays the best draw, `weight` gives each arm
 *   the share of `draws` draws it wins.
 *
 * Feedback `full`: every arm learns its reward (each member's prediction is known, so its outcome is too); `bandit`:
 * only the played arm learns (under `weight` an arm drawn from the weights). Randomness at a row comes from a
 * generator seeded by (seed, the row's time), so a row's answer never depends on where a stream started.
 */
import { deriveSeed } from '../../core/seeds.js'
import { seededRandom, standardNormal } from '../../core/random.js'

export type BanditPolicy = 'linucb' | 'thompson'
export type BanditOutput = 'choose' | 'weight'
export type BanditFeedback = 'full' | 'bandit'

export interface BanditOptions {
  readonly policy: BanditPolicy
  readonly output: BanditOutput
  readonly feedback: BanditFeedback
  readonly arms: number
  readonly dim: number
  /** Ridge prior: A starts at ridge * I. */
  readonly ridge: number
  /** linucb: exploration bonus per unit of width. */
  readonly alpha: number
  /** linucb with weight: softmax temperature (in reward units). */
  readonly temperature: number
  /** thompson: posterior scale. */
  readonly noise: number
  /** thompson with weight: draws whose wins make the weights. */
  readonly draws: number
  readonly seed: number
}

/** Each arm's A^-1 (row-major d x d) and b (d): plain data, saved as it is. */
export interface BanditArms {
  readonly ainv: number[][]
  readonly b: number[][]
}

export class LinearBandit {
  private readonly ainv: Float64Array[]
  private readonly b: Float64Array[]
  private readonly mean: Float64Array
  private readonly width: Float64Array
  private readonly score: Float64Array
  private readonly u: Float64Array

  constructor(
    readonly opts: BanditOptions,
    arms?: BanditArms,
  ) {
    const { arms: M, dim: d } = opts
    if (!(M >= 1 && d >= 1)) throw new Error(`bandit: needs at least one arm and one context dimension`)
    if (arms && (arms.ainv.length !== M || arms.b.length !== M))
      throw new Error(`bandit: state holds ${arms.ainv.length} arms, expected ${M}`)
    this.ainv = Array.from({ length: M }, (_, j) => {
      if (arms) {
        if (arms.ainv[j].length !== d * d || arms.b[j].length !== d)
          throw new Error(`bandit: arm ${j} is not of dimension ${d}`)
        return Float64Array.from(arms.ainv[j])
      }
      const a = new Float64Array(d * d)
      for (let i = 0; i < d; i++) a[i * d + i] = 1 / opts.ridge
      return a
    })
    this.b = Array.from({ length: M }, (_, j) => (arms ? Float64Array.from(arms.b[j]) : new Float64Array(d)))
    this.mean = new Float64Array(M)
    this.width = new Float64Array(M)
    this.score = new Float64Array(M)
    this.u = new Float64Array(d)
  }

  /** The arms' state. */
  arms(): BanditArms {
    return { ainv: this.ainv.map((a) => [...a]), b: this.b.map((b) => [...b]) }
  }

  /** m_j = theta_j . x and s_j = sqrt(x' A_j^-1 x) for every arm. */
  private moments(x: Float64Array, xo: number): void {
    const d = this.opts.dim
    for (let j = 0; j < this.opts.arms; j++) {
      const a = this.ainv[j]
      const b = this.b[j]
      let m = 0
      let q = 0
      for (let r = 0; r < d; r++) {
        let ab = 0
        let ax = 0
        for (let c = 0; c < d; c++) {
          ab += a[r * d + c] * b[c]
          ax += a[r * d + c] * x[xo + c]
        }
        m += ab * x[xo + r]
        q += ax * x[xo + r]
      }
      this.mean[j] = m
      this.width[j] = Math.sqrt(Math.max(0, q))
    }
  }

  /**
   * The arms' weights at context x[xo..xo + d) for the row at `time` (written to out[oo..oo + M)); returns the arm
   * played (the chosen one, or under `weight` one drawn from the weights).
   */
  weigh(x: Float64Array, xo: number, time: number, out: Float64Array, oo: number): number {
    const { arms: M, policy, output } = this.opts
    this.moments(x, xo)
    const rand = seededRandom(deriveSeed(this.opts.seed, 'bandit', time))
    const best = (s: Float64Array) => {
      let k = 0
      for (let j = 1; j < M; j++) if (s[j] > s[k]) k = j
      return k
    }
    for (let j = 0; j < M; j++) out[oo + j] = 0
    if (policy === 'linucb') {
      for (let j = 0; j < M; j++) this.score[j] = this.mean[j] + this.opts.alpha * this.width[j]
      if (output === 'choose') {
        const k = best(this.score)
        out[oo + k] = 1
        return k
      }
      const top = this.score[best(this.score)]
      let sum = 0
      for (let j = 0; j < M; j++) sum += out[oo + j] = Math.exp((this.score[j] - top) / this.opts.temperature)
      for (let j = 0; j < M; j++) out[oo + j] /= sum
    } else {
      const draws = output === 'choose' ? 1 : this.opts.draws
      for (let s = 0; s < draws; s++) {
        for (let j = 0; j < M; j++)
          this.score[j] = this.mean[j] + this.opts.noise * this.width[j] * standardNormal(rand)
        out[oo + best(this.score)] += 1 / draws
      }
      if (output === 'choose') return best(this.score)
    }
    // An arm drawn from the weights: the one whose (bandit) feedback is learned.
    const u = rand()
    let acc = 0
    for (let j = 0; j < M - 1; j++) {
      acc += out[oo + j]
      if (u < acc) return j
    }
    return M - 1
  }

  /** Learn the rewards r[ro..ro + M) at context x[xo..xo + d): every arm (full feedback) or the played one. */
  update(x: Float64Array, xo: number, rewards: Float64Array, ro: number, played: number): void {
    const { arms: M, dim: d } = this.opts
    for (let j = 0; j < M; j++) {
      if (this.opts.feedback === 'bandit' && j !== played) continue
      const a = this.ainv[j]
      const u = this.u
      let q = 0
      for (let r = 0; r < d; r++) {
        let s = 0
        for (let c = 0; c < d; c++) s += a[r * d + c] * x[xo + c]
        u[r] = s
        q += s * x[xo + r]
      }
      const inv = 1 / (1 + q)
      for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) a[r * d + c] -= u[r] * u[c] * inv
      const r0 = rewards[ro + j]
      const b = this.b[j]
      for (let c = 0; c < d; c++) b[c] += r0 * x[xo + c]
    }
  }
}
