import { smoothedProbabilities, type MarkovSwitching } from './markov-switching.js'

/**
 * NOT FOR PREDICTION. Smoothed regime probabilities P(regime_t | r_1..r_n) of a Markov switching model (Kim's
 * smoother): every row's answer depends on rows after it, so using them as a feature or a regime signal leaks the
 * future. This exists as the positive control of the leakage audit (the tests show that the audit that passes the
 * Hamilton filter catches this), and for diagnostics of a fitted window. Prediction uses markov-filter.ts only.
 */
export function smoothedRegimesLeaky(model: MarkovSwitching, r: Float64Array, n: number): Float64Array {
  return smoothedProbabilities(model, r, n)
}
