import { posteriors, type GaussianHmm } from './gaussian-hmm.js'

/**
 * NOT FOR PREDICTION. Smoothed state probabilities P(state_t | x_1..x_n): every row's answer depends on rows after
 * it, so using them as a feature or a regime signal leaks the future. This exists as the positive control of the
 * leakage audit (the tests show that the audit that passes the forward filter catches this), and for diagnostics
 * of a fitted window. Prediction uses hmm-filter.ts only.
 */
export function smoothedProbabilitiesLeaky(model: GaussianHmm, x: Float64Array, n: number): Float64Array {
  return posteriors(model, x, n)
}
