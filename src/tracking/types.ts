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

export interface RegimeResult {
  regime: string
  trades: number
  pnl: number
  sharpe: number
  winRate: number
}

export interface BacktestResult {
  /** Equal-length series; `ts` in epoch ms, `drawdown` as a non-positive fraction or amount of equity. */
  equity: { ts: number[]; equity: number[]; drawdown: number[] }
  metrics: Record<string, number>
  byRegime: RegimeResult[]
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
  dataFile: string
  timings: StageTiming[]
  labels: { classes: string[]; counts: { split: Split; counts: number[] }[] }
  models: ModelResult[]
  calibration?: CalibrationRecord
  /** Heads other than p, one member each (absent or empty when the run trains only p). */
  heads?: HeadRecord[]
  /** Conformal prediction sets on the test rows (absent without an uncertainty method). */
  predictionSets?: PredictionSetsRecord
  featureImportance?: { feature: string; gain: number }[]
  backtest?: BacktestResult
  /**
   * With a list of policies, or one that learns: each one's backtest metrics on the same predictions, the primary
   * first, and a learning policy's seeds.
   */
  policies?: { policy: string; metrics: Record<string, number>; fit?: PolicyFitRecord }[]
  /** Sanity check: the same pipeline on shuffled labels should score near chance. */
  canary?: { shuffledLabels: boolean; testAuc: number }
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
