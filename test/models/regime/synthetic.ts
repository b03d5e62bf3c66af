import { allocBars, MINUTE_MS, type Bars } from '../../../src/data/bars.js'
import { parseFeaturesConfig } from '../../../src/features/config.js'
import { sampleHmm } from '../../../src/models/regime/simulate.js'
import type { GaussianHmm } from '../../../src/models/regime/gaussian-hmm.js'
import type { MarkovSwitching } from '../../../src/models/regime/markov-switching.js'

export { sampleHmm }
export { sampleMarkovSwitching } from '../../../src/models/regime/simulate.js'

/** The known 2-state models of the tests: a calm state 0 and a volatile state 1. */
export function twoStateModel(covariance: 'diag' | 'full'): GaussianHmm {
  return {
    states: 2,
    dim: 2,
    covariance,
    startProb: Float64Array.from([0.6, 0.4]),
    transmat: Float64Array.from([0.97, 0.03, 0.06, 0.94]),
    means: Float64Array.from([0.1, 0, -0.4, 0.8]),
    covars:
      covariance === 'diag'
        ? Float64Array.from([0.5, 0.4, 2.0, 1.5])
        : Float64Array.from([0.5, 0.25, 0.25, 0.4, 2.0, -0.9, -0.9, 1.5]),
  }
}

/** Share of rows whose most probable filtered state is the true one. */
export function accuracy(probs: Float64Array, states: Int32Array, K: number): number {
  let hit = 0
  for (let t = 0; t < states.length; t++) {
    let best = 0
    for (let k = 1; k < K; k++) if (probs[t * K + k] > probs[t * K + best]) best = k
    if (best === states[t]) hit++
  }
  return hit / states.length
}

export function sameBits(a: Float64Array, b: Float64Array): boolean {
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  )
}

/**
 * The known 2-regime Markov switching model of the tests, in daily-return-like percent units: a calm regime 0
 * (mean 0.05, variance 0.5) and a volatile regime 1 (mean -0.1, variance 4); with `ar`, AR(1) coefficients 0.4 and
 * -0.1 on the previous return (the intercepts then chosen so that the regime means stay near those above).
 */
export function twoRegimeModel(ar = false): MarkovSwitching {
  return {
    regimes: 2,
    ar,
    startProb: Float64Array.from([0.5, 0.5]),
    transmat: Float64Array.from([0.98, 0.02, 0.05, 0.95]),
    intercepts: Float64Array.from(ar ? [0.03, -0.11] : [0.05, -0.1]),
    arCoefs: Float64Array.from(ar ? [0.4, -0.1] : []),
    variances: Float64Array.from([0.5, 4]),
  }
}

/** Bars whose log returns (in %) and log ranges follow a 2-state HMM (the calm and volatile states above). */
export function regimeBars(n: number, seed: number): Bars {
  const { x } = sampleHmm(twoStateModel('diag'), n, seed)
  const bars = allocBars(n)
  let prev = 100
  for (let t = 0; t < n; t++) {
    const close = prev * Math.exp(0.01 * x[t * 2])
    const spread = 0.001 * (1 + Math.abs(x[t * 2 + 1]))
    bars.ts[t] = Date.UTC(2024, 0, 1) + t * MINUTE_MS
    bars.open[t] = prev
    bars.close[t] = close
    bars.high[t] = Math.max(prev, close) * Math.exp(spread)
    bars.low[t] = Math.min(prev, close) * Math.exp(-spread)
    bars.volume[t] = 1
    prev = close
  }
  return bars
}

/** A small feature set for regime tests: RSI and realized volatility on 1m and 5m, nothing else. */
export const SMALL_FEATURES = parseFeaturesConfig({
  momentum: { timeframes: ['1m', '5m'] },
  volatility: { timeframes: ['1m', '5m'] },
  volume: { enabled: false },
  micro: { enabled: false },
  regime: { enabled: false },
  wavelet: { enabled: false },
  stats: { enabled: false },
  calendar: { enabled: false },
  interactions: { enabled: false },
})
