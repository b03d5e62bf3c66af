/**
 * The record of one `mlf run`, filled in by the pipeline and consumed by the run store (store.ts) and the HTML
 * report (report.ts). Plain JSON-compatible data: it is stored as-is and must round-trip through JSON.
 */

export type Split = 'train' | 'val' | 'test'

/** One equal-width bin of a reliability diagram (top-class confidence vs observed accuracy). */
export interface ReliabilityBin {
  lo: number
  hi: number
  meanPredicted: number
  observed: number
  count: number
}

/** Structurally the same as `CalibrationStats` in src/inference/calibration/metrics.ts. */
export interface CalibrationStats {
  ece: number
  brier: number
  logLoss: number
  reliability: ReliabilityBin[]
}

/** Calibration measured in equal-width bins; emptyBins says how many had nothing to judge. */
export interface BinnedRecord {
  ece: number
  mce: number
  emptyBins: number
  reliability: ReliabilityBin[]
}

/** Probability quality of the test rows at one step of the chain: raw, then after each calibrator in turn. */
export interface CalibrationStep {
  /** `raw`, or the calibrators applied so far joined by `+`. */
  name: string
  logLoss: number
  brier: number
  topLabel: BinnedRecord
  /** Mean of the per-class ECEs, and the largest per-class MCE. */
  classwise: { ece: number; mce: number }
  perClass: (BinnedRecord & { class: string })[]
}

export interface CalibrationRecord {
  method: string
  params: Record<string, number>
  /** The rows the post-processors were fitted on: validation or purged out-of-fold (summed over windows). */
  fitOn?: { source: 'validation' | 'oof'; rows: number; unpredicted: number }
  before: CalibrationStats
  after: CalibrationStats
  steps?: CalibrationStep[]
}

export interface PredictionSetsRecord {
  method: string
  /** The target coverage, and the share of test rows whose set holds the true class. */
  target: number
  coverage: number
  meanSize: number
  rows: number
  /** Test rows by set size 0..classes. */
  sizes: number[]
  /** Coverage among the test rows of each true class (rows: how many). */
  perClass: { class: string; coverage: number; rows: number }[]
}

/** A head other than p (E_r, the quantile band): its one member and its metrics. */
export interface HeadRecord {
  head: string
  model: string
  /** Its uncertainty post-processors (split, cqr), in order. */
  postProcessors: string[]
  /** Validation and test metrics after the post-processors, and the test metrics of the raw outputs. */
  metrics: { val: Record<string, number>; test: Record<string, number>; test_raw: Record<string, number> }
}

/**
 * One row of the comparison table (evaluation.compare): a base model alone on one of its heads, or the run's own
 * chain of a head that is more than one member alone.
 */
export interface ComparisonRecord {
  /** The model's registry name; for a chain row, the combiner or the members joined by ' + '. */
  model: string
  kind: 'alone' | 'chain'
  /** The model's index in base_models (null for a chain row). */
  index: number | null
  /** p, p_up, E_r or q05/q50/q95. */
  head: string
  /** What its outputs went through: a p model's calibrators, a chain's post-processors. */
  postProcessors: string[]
  metrics: { val: Record<string, number>; test: Record<string, number> }
  /**
   * The p head's test positions (the run's primary policy) backtested on their own; null on other heads, and on p
   * when the primary policy does not read p.
   */
  backtest: Record<string, number> | null
  /** Wall time of its fits, summed over windows; null for a zero-shot model and for a chain row. */
  fitSeconds: number | null
  /** Wall time of scoring the test rows in one batch (view and prediction), per row in microseconds. */
  inferUsPerRow: number | null
}

export interface StageTiming {
  stage: string
  seconds: number
  peakRssMiB: number
}

export interface ModelResult {
  name: string
  kind: 'base' | 'ensemble' | 'calibrated'
  metrics: Record<'val' | 'test', Record<string, number>>
}

/** One volatility regime's trades (src/backtest/metrics.ts regimeBreakdown). */
export interface RegimeResult {
  regime: string
  trades: number
  pnl: number
  /** Mean net return per trade (absent in older records). */
  meanNet?: number
  /** t-statistic of the mean net trade return, mean / sd * sqrt(trades): not the headline (annualised daily) Sharpe. */
  tStat?: number
  /** Older records' name for the same t-statistic (they called it a Sharpe ratio). */
  sharpe?: number
  winRate: number
}

/** What the strategy's equity is measured against, at the same points as its equity curve. */
export interface BenchmarkRecord {
  /** The strategy's equity with every cost set to zero (the same positions). */
  grossEquity: number[]
  /** Buy-and-hold of the contract over the same bars, before and after costs (taker fee and slippage). */
  buyAndHold: { gross: number[]; net: number[] }
}

export interface BacktestResult {
  /** Equal-length series; `ts` in epoch ms, `drawdown` as a non-positive fraction or amount of equity. */
  equity: {
    ts: number[]
    equity: number[]
    drawdown: number[]
    /** The same positions' equity with no fees or slippage (absent in older records). */
    gross?: number[]
  }
  metrics: Record<string, number>
  byRegime: RegimeResult[]
  /** Equity without costs and buy-and-hold over the same bars (absent in older records). */
  benchmark?: BenchmarkRecord
}

/** The bars the test rows span (all windows): the period every test metric and the backtest are about. */
export interface TestPeriodRecord {
  /** ISO 8601 open times of the first and the last test row's bar. */
  start: string
  end: string
  /** Test rows (decisions), and bars from the first to the last (gaps and rows without a sample included). */
  rows: number
  bars: number
}

/** One trade of the primary policy's backtest (src/backtest/account.ts Trade), with its bars' times. */
export interface TradeRecord {
  side: 'long' | 'short'
  /** The largest |position| it held, as a fraction of capital. */
  size: number
  /** ISO 8601 open time of the bar of its decision, of its first fill and of its closing fill. */
  decision: string
  entry: string
  exit: string
  /** Fill prices before slippage. */
  entryPrice: number
  exitPrice: number
  /** Returns on the capital it started with: before costs, the costs (fees and slippage), after them. */
  gross: number
  cost: number
  net: number
  /** Why it ended: its horizon, a reversal, or the end of the data. */
  reason: 'horizon' | 'flip' | 'end'
}

/** Per-feature importance of one model of the chain, labelled with the model and the method. */
export interface ImportanceRecord {
  /** The model's registry name. */
  model: string
  /** Where it sits in the chain: `final`, or `member k of <combiner>` (k from 1). */
  role: string
  /**
   * gain: XGBoost's mean split gain; shap: mean |SHAP value| (TreeSHAP, summed over classes) on test rows;
   * permutation: mean increase of log-loss when the feature's values are shuffled among validation rows.
   */
  method: 'gain' | 'shap' | 'permutation'
  /** Rows it was measured on (none for gain, which is read off the trees). */
  rows: number | null
  /** Every feature the model takes, the most important first. */
  features: { feature: string; value: number }[]
  /**
   * shap only: a beeswarm of the most important features: for each, sampled rows' SHAP value (on the margin of
   * `class`) and the feature's value as a rank in [0, 1] among those rows.
   */
  beeswarm?: { class: string; features: string[]; points: [number, number, number][] }
}

/** A combiner's member weights in each evaluation window (voting weights, or a stacking meta-learner's shares). */
export interface EnsembleWeightsRecord {
  combiner: string
  /** What the numbers are. */
  meaning: string
  members: string[]
  windows: { key: string; testStart: string; weights: number[] }[]
}

export interface ArtifactRecord {
  path: string
  sha256: string
  bytes: number
}

/** The machine and engines a run ran on (see src/pipeline/environment.ts). */
export interface RunEnvironment {
  /** Node's version, e.g. v20.11.0. */
  node: string
  /** OS, architecture and kernel release. */
  platform: string
  cpu: string
  cores: number
  /** Native engines the run loaded, name -> version or build. */
  engines: Record<string, string>
  /** Environment variables the engines set for themselves (OpenMP spin, OpenBLAS kernels). */
  engineEnv: Record<string, string>
}

/** One evaluation window of a run (walk-forward: one per refit; chronological: the one split). */
export interface WindowRecord {
  key: string
  /** ISO 8601 times: training from trainStart, test [testStart, testEnd). */
  trainStart: string
  testStart: string
  testEnd: string
  samples: { train: number; val: number; test: number; purged: number }
  /** The final model's test metrics in this window. */
  test: Record<string, number>
  /** This window's test rows backtested on their own. */
  backtest: Record<string, number>
}

/** A gate's member weights over the test rows, and its regret against the best member in hindsight. */
export interface GateRecord {
  name: string
  members: string[]
  /** Test rows (all windows). */
  rows: number
  /** Each member's mean weight over the test rows. */
  meanWeights: number[]
  /** Test-row times (epoch ms) drawn in the plot (every row, or an even stride of them, the last kept). */
  ts: number[]
  /** Per member, its weight at those rows. */
  weights: number[][]
  /** Cumulative log-loss regret (nats) against the member with the least test log-loss, at those rows. */
  regret: { bestMember: string; total: number; perRow: number; cumulative: number[] }
}

/** A statistic on the test period and its bootstrap interval. */
export interface IntervalRecord {
  value: number
  lo: number
  hi: number
}

/** Block bootstrap intervals over test days (src/backtest/bootstrap.ts), or why there are none. */
export type IntervalsRecord =
  | {
      days: number
      blockDays: number
      resamples: number
      confidence: number
      sharpe: IntervalRecord
      totalReturn: IntervalRecord
      hitRate: IntervalRecord | null
    }
  | { reason: string }

/** One acceptance gate (src/backtest/acceptance.ts): the value measured (null: not computable), threshold, result. */
export interface GateResult {
  gate: string
  value: number | null
  threshold: number
  op: '<=' | '>='
  pass: boolean
  note?: string
}

/** The acceptance verdict of a run: PASS only when every gate passes. */
export interface AcceptanceRecord {
  verdict: 'PASS' | 'FAIL'
  /** One sentence when the model shows no edge; null when it shows one. */
  noEdge: string | null
  /** The test period (ISO 8601, first and last tested bar) and its UTC days. */
  testPeriod: { start: string; end: string; days: number }
  gates: GateResult[]
  /** The primary policy's trades and its intervals. */
  trades: number
  intervals: IntervalsRecord
}

/** A calibrator's cross-fitted log-loss and top-label ECE on its fitting rows, without and with it (one window). */
export interface PostProcessorCheck {
  window: string
  name: string
  rows: number
  before: { logLoss: number; ece: number }
  after: { logLoss: number; ece: number }
  worse: boolean
  dropped: boolean
}

export interface RunRecord {
  runId: string
  /** ISO 8601 timestamp. */
  createdAt: string
  configHash: string
  dataFingerprint: string
  codeVersion: string
  /** Absent in records from before it was kept. */
  environment?: RunEnvironment
  seed: number
  /** The resolved config object. */
  config: unknown
  /** The config file's name without its extension, e.g. tabular_stacking (absent in older records, or without a file). */
  preset?: string
  dataFile: string
  timings: StageTiming[]
  labels: { classes: string[]; counts: { split: Split; counts: number[] }[] }
  models: ModelResult[]
  calibration?: CalibrationRecord
  /** Heads other than p, one member each (absent or empty when the run trains only p). */
  heads?: HeadRecord[]
  /** Conformal prediction sets on the test rows (absent without an uncertainty method). */
  predictionSets?: PredictionSetsRecord
  /** Every base model alone on each of its heads (evaluation.compare; absent without it). */
  comparison?: ComparisonRecord[]
  featureImportance?: { feature: string; gain: number }[]
  /** Importance per model of the chain, each labelled with its model and method (absent in older records). */
  importance?: ImportanceRecord[]
  backtest?: BacktestResult
  /** The test period (absent in older records). */
  testPeriod?: TestPeriodRecord
  /** The primary policy's trades, the first MAX_RECORDED_TRADES of them, and how many there were. */
  trades?: { total: number; rows: TradeRecord[] }
  /** A voting or stacking combiner's member weights per window (absent without one; a gate has `gate`). */
  ensembleWeightsByWindow?: EnsembleWeightsRecord
  /**
   * With a list of policies, or one that learns: each one's backtest metrics on the same predictions, the primary
   * first, and a learning policy's seeds.
   */
  policies?: { policy: string; metrics: Record<string, number>; fit?: PolicyFitRecord }[]
  /**
   * Sanity check: the run's test directional AUC (with shuffleLabels, the run itself is the canary and should score
   * near chance), and the shuffled-label control's when it was trained (controlAuc, its fit time in seconds).
   */
  canary?: {
    shuffledLabels: boolean
    testAuc: number
    controlAuc?: number
    controlSeconds?: number
    /** Why no control was trained, when none was. */
    noControl?: string
  }
  /** Acceptance gates and the verdict (absent in records from before them). */
  acceptance?: AcceptanceRecord
  /** Calibrators checked on their fitting rows, per window, and whether they were dropped. */
  postProcessorChecks?: PostProcessorCheck[]
  artifacts: ArtifactRecord[]
  /** Bars in the data file, feature columns and the feature schema's hash (absent in older records). */
  rows?: number
  features?: number
  featureSchemaHash?: string
  samples?: { train: number; val: number; test: number; purged: number; embargoed: number }
  /** Voting weights actually used (null without a voting ensemble). */
  ensembleWeights?: Record<string, number> | null
  /** Stacking or blending compared with its best member on validation (null without such a combiner). */
  ensembleGuard?: Record<string, unknown> | null
  /** The gate's weights over the test rows and its regret (absent unless the final model is a gate). */
  gate?: GateRecord
  bundleChecksum?: string
  /** How the run was evaluated: its windows (one for a chronological split). */
  evaluation?: { method: 'chronological' | 'walk_forward'; windows: WindowRecord[]; skipped: number }
}

/**
 * A learning policy's training seeds: each seed's net P&L (additive returns on capital, as the environment pays)
 * on the selection rows and on test, summed over the windows, and the mean of the test P&L with its 95% Student-t
 * interval: the spread that training luck alone makes.
 */
export interface PolicyFitRecord {
  seeds: { select_pnl: number; test_pnl: number }[]
  test_pnl: { n: number; mean: number; lo: number; hi: number }
}
