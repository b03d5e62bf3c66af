/**
 * The shapes in which feature data reaches models. Views index into shared base arrays instead of copying windows,
 * so a (n, L, f) window tensor costs one (T, f) base matrix plus n end indices. Every window only looks back.
 */

/** Row-major (n, f) matrix. NaN means missing (tree models handle it; others must be given imputed data). */
export interface FeatureMatrixView {
  readonly kind: 'feature_matrix'
  readonly n: number
  readonly f: number
  readonly data: Float64Array
  readonly names: readonly string[]
}

/** (n, steps, f) windows over a row-major (T, f) base: sample i covers base rows end[i]-steps+1 .. end[i]. */
export interface WindowTensorView {
  readonly kind: 'window_tensor'
  readonly n: number
  readonly steps: number
  readonly f: number
  readonly base: Float32Array
  readonly end: Int32Array
  readonly names: readonly string[]
}

/** Several window tensors over different timeframes, one per resolution, aligned to the same n samples. */
export interface MultiResView {
  readonly kind: 'multi_res'
  readonly n: number
  readonly parts: readonly (WindowTensorView & { readonly timeframe: string })[]
  /**
   * concatenated (default when absent): parts may differ in steps; stacked: every part has the same steps and
   * feature names, so sample i reads as one (n_tf, steps, f) block (see `readStacked` in ./multi-res.ts).
   */
  readonly layout?: 'concatenated' | 'stacked'
}

/** 1m OHLC context windows for zero-shot foundation models (normalized per window by the consumer's own scaling). */
export interface FoundationView {
  readonly kind: 'foundation'
  readonly n: number
  readonly context: number
  /** row-major (T, 4): open, high, low, close */
  readonly base: Float64Array
  readonly end: Int32Array
}

export type DataView = FeatureMatrixView | WindowTensorView | MultiResView | FoundationView
export type ViewKind = DataView['kind']

/**
 * When each of n rows is decided and when its outcome may be learned: what a combiner that learns online (a bandit
 * gate) needs beside the views. A row's outcome is used only by rows decided at or after `closesAt` (its label span
 * has closed by then); never before.
 */
export interface RowOutcomes {
  /** Decision time of each row (its bar's time, epoch ms), non-decreasing. */
  readonly time: Float64Array
  /** Time from which the outcome may be learned (pipeline/dataset.ts rowOutcomes); Infinity when never. */
  readonly closesAt: Float64Array
  /** The class label (0..k-1), NaN when it never closes. */
  readonly label: Float64Array
}

/** Several views of the same n rows, keyed by kind: what an ensemble receives, each member taking its own. */
export interface ViewSet {
  readonly kind: 'view_set'
  readonly n: number
  readonly views: Readonly<Partial<Record<ViewKind, DataView>>>
  /** The rows' outcome times and labels, for a combiner that learns online (absent otherwise). */
  readonly outcomes?: RowOutcomes
}
