import type { DataView, ViewKind } from '../features/views/types.js'

export type Family =
  | 'gradient_boosting'
  | 'forest'
  | 'linear'
  | 'svm'
  | 'naive_bayes'
  | 'knn'
  | 'recurrent'
  | 'convolutional'
  | 'transformer'
  | 'probabilistic'
  | 'mlp'
  | 'foundation'
  | 'ensemble'
  | 'imported'

/** Names of model outputs (ARCHITECTURE "Outputs contract"). */
export type OutputName = 'p_up' | 'p' | 'E_r' | 'q05' | 'q50' | 'q95' | 'q_lo' | 'q_hi' | 'regime_score' | 'uncertainty'

/** What the model is asked to learn. Class labels arrive as 0..classes-1 (e.g. {-1,0,1} -> {0,1,2}). */
export type Task =
  | { readonly kind: 'binary' }
  | { readonly kind: 'multiclass'; readonly classes: number }
  | { readonly kind: 'regression' }
  | { readonly kind: 'quantile'; readonly quantiles: readonly number[] }

export interface ModelSpec {
  readonly name: string
  readonly family: Family
  readonly inputView: ViewKind
  /**
   * Other views the model can be created to take instead (base_models[].view), e.g. multi_res for PatchTST and
   * TSMixer; the model created so has that view as its inputView.
   */
  readonly alsoTakes?: readonly ViewKind[]
  readonly outputs: readonly OutputName[]
  readonly tasks: readonly Task['kind'][]
  /** Output at row t depends only on inputs up to t. */
  readonly causal: boolean
  /** Needs no training (foundation models). */
  readonly zeroShot: boolean
}

/**
 * Columnar outputs, one typed array per output, length n. `p` is row-major (n, classes) class probabilities.
 * Never NaN: a model that cannot produce a value throws, and the pipeline's fallback decides.
 */
export interface Outputs {
  readonly n: number
  p_up?: Float64Array
  p?: Float64Array
  classes?: number
  E_r?: Float64Array
  q05?: Float64Array
  q50?: Float64Array
  q95?: Float64Array
  /** A conformal interval around E_r at the configured coverage. */
  q_lo?: Float64Array
  q_hi?: Float64Array
  regime_score?: Float64Array
  /** Interval width, or for classification the size of the conformal prediction set. */
  uncertainty?: Float64Array
  /** Conformal prediction sets: row-major (n, classes) membership, 1 when the class is in the row's set. */
  sets?: Uint8Array
  /**
   * A head's models refitted on resamples of the training window (folds or bootstrap bags), for the conformal methods
   * that need them (cv_plus, jackknife_plus_ab, enbpi): each one's prediction at every row, row-major (n, models);
   * NaN at a calibration row the resample saw.
   */
  resampled?: { readonly models: number; readonly predictions: Float64Array }
  /**
   * For online conformal methods (aci, enbpi): each row's time, when its label closes (Number.MAX_VALUE when not
   * within the data) and its outcome (NaN when unknown), times in epoch milliseconds.
   */
  timeline?: { readonly time: Float64Array; readonly closesAt: Float64Array; readonly y: Float64Array }
  /** The multi-head targets (tradeable, direction, strength, reach) by column name (config/targets.ts). */
  targets?: Readonly<Record<string, Float64Array>>
  /** A gate's weight of each member at each row: row-major (n, members), each row summing to 1. */
  weights?: Float64Array
}

export interface Dataset {
  readonly x: DataView
  /** Class index (0..K-1) for classification, the target value for regression/quantile. */
  readonly y: Float64Array
  readonly weight?: Float64Array
}

export interface ProgressSink {
  /** Work done so far out of `total` (e.g. boosting rounds, epochs); `info.unit` names the unit (`epoch`). */
  update(done: number, total: number, info?: Record<string, number | string>): void
}

export interface FitContext {
  readonly seed: number
  /** Threads the engine may use; recorded in manifests because some engines' results depend on it. */
  readonly threads: number
  readonly progress?: ProgressSink
  readonly signal?: AbortSignal
}

/** Files a model wrote into its directory (relative names), for bundle manifests and checksums. */
export interface ArtifactRefs {
  readonly files: readonly string[]
}

export interface Model {
  readonly spec: ModelSpec
  readonly task: Task
  fit(train: Dataset, val: Dataset | undefined, ctx: FitContext): Promise<void>
  predict(x: DataView): Outputs
  save(dir: string): Promise<ArtifactRefs>
  /** The models a composite is made of, in its order (see ModelPart); absent for a single model. */
  readonly parts?: readonly ModelPart[]
  /** Gain importance per input column (tree models), zero for columns never split on. */
  importance?(type: 'gain'): Float64Array
  /**
   * Per-feature SHAP values of its margin (tree models, the engine's own TreeSHAP): row-major (n, groups, f + 1),
   * one group per class for multiclass (one otherwise), the last column the bias; a row's values sum to its margin.
   */
  contributions?(x: DataView): { values: Float64Array; shape: readonly number[] }
  /** The raw scores its probabilities are a link of (log-odds, or per-class scores before the softmax), (n, groups). */
  margins?(x: DataView): Float64Array
}

/**
 * A model inside a composite model. Composites declare their parts so the chain can look through them (feature
 * importance, the views members need, what a bundle holds) without knowing each kind of composite.
 */
export interface ModelPart {
  /** The part's registry name. */
  readonly name: string
  readonly model: Model
  /**
   * `member`: one of several models whose outputs the composite combines (voting, stacking, blending);
   * `inner`: the one model a wrapper transforms the outputs of (a conformal band around a quantile model).
   */
  readonly role: 'member' | 'inner'
  /** Feature-matrix columns (by name) the part sees; all columns of the composite's input when absent. */
  readonly features?: readonly string[]
}

export type Availability = { readonly ok: true } | { readonly ok: false; readonly hint: string }
