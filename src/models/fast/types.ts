/**
 * A single-row predictor for live scoring: flat Float64Array parameters, one preallocated output buffer reused by
 * every call, no allocation per prediction. `predict` returns `out` itself (overwritten by the next call), holding
 * the class probabilities of the row `x[offset .. offset + features)`.
 */
export interface FastPredictor {
  readonly features: number
  readonly classes: number
  readonly out: Float64Array
  predict(x: Float64Array, offset?: number): Float64Array
}
