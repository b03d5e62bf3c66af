import { normalCdf, normalQuantile } from './normal.js'

/** Euler-Mascheroni constant (expected maximum of Gaussians, Bailey & López de Prado 2014). */
export const EULER_GAMMA = 0.5772156649015329

export interface ReturnMoments {
  /** Per-period Sharpe ratio mean / std (std with n-1), not annualized. */
  readonly sharpe: number
  /** Skewness and (non-excess) kurtosis, population moments: a normal sample has kurtosis near 3. */
  readonly skew: number
  readonly kurtosis: number
  readonly n: number
}

export function returnMoments(returns: ArrayLike<number>): ReturnMoments {
  const n = returns.length
  if (n < 3) throw new Error(`need at least 3 returns, got ${n}`)
  let mean = 0
  for (let i = 0; i < n; i++) mean += returns[i]
  mean /= n
  let m2 = 0
  let m3 = 0
  let m4 = 0
  for (let i = 0; i < n; i++) {
    const d = returns[i] - mean
    const d2 = d * d
    m2 += d2
    m3 += d2 * d
    m4 += d2 * d2
  }
  m2 /= n
  m3 /= n
  m4 /= n
  if (!(m2 > 0)) throw new Error('returns have zero variance: the Sharpe ratio is undefined')
  const sd = Math.sqrt((m2 * n) / (n - 1))
  return { sharpe: mean / sd, skew: m3 / m2 ** 1.5, kurtosis: m4 / (m2 * m2), n }
}

/**
 * Probabilistic Sharpe ratio: probability that the true Sharpe exceeds `benchmark`, given an estimate `sharpe` from
 * `n` observations with the given skewness and (non-excess) kurtosis. All Sharpe ratios per period.
 */
export function probabilisticSharpe(
  sharpe: number,
  benchmark: number,
  n: number,
  skew: number,
  kurtosis: number,
): number {
  const denom = 1 - skew * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe
  if (!(denom > 0)) throw new Error(`PSR undefined: 1 - skew*SR + (kurt-1)/4*SR^2 = ${denom} <= 0`)
  return normalCdf(((sharpe - benchmark) * Math.sqrt(n - 1)) / Math.sqrt(denom))
}

/** Expected maximum Sharpe ratio among `trials` independent trials whose Sharpe ratios have variance `variance`. */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (!(trials >= 2)) throw new Error(`expected max Sharpe needs at least 2 trials, got ${trials}`)
  if (!(variance >= 0)) throw new Error(`variance of trial Sharpe ratios must be >= 0, got ${variance}`)
  const z1 = normalQuantile(1 - 1 / trials)
  const z2 = normalQuantile(1 - 1 / (trials * Math.E))
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)
}

export interface DeflatedSharpeInput {
  readonly sharpe: number
  readonly n: number
  readonly skew: number
  readonly kurtosis: number
  /** Number of independent trials tried before picking this strategy. */
  readonly trials: number
  /** Variance across trials of their (per-period) Sharpe ratios. */
  readonly trialVariance: number
}

/**
 * Deflated Sharpe ratio (Bailey & López de Prado, 2014): the PSR against the Sharpe ratio expected from the best of
 * `trials` unskilled trials. Returns the probability and the benchmark used.
 */
export function deflatedSharpe(x: DeflatedSharpeInput): { dsr: number; benchmark: number } {
  const benchmark = expectedMaxSharpe(x.trials, x.trialVariance)
  return { dsr: probabilisticSharpe(x.sharpe, benchmark, x.n, x.skew, x.kurtosis), benchmark }
}
