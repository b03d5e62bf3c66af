import type { CalibrationStats, CalibrationStep, RunRecord } from '../../src/tracking/types.js'
import { seededRandom } from '../../src/core/random.js'

/** Deterministic PRNG (mulberry32) so the sample record is the same on every run. */
function rng(seed: number): () => number {
  return seededRandom(seed)
}

function calibration(rand: () => number, skew: number): CalibrationStats {
  const reliability = Array.from({ length: 10 }, (_, b) => {
    const mid = (b + 0.5) / 10
    return {
      lo: b / 10,
      hi: (b + 1) / 10,
      meanPredicted: mid,
      observed: Math.min(1, Math.max(0, mid + skew * (mid - 0.5) + (rand() - 0.5) * 0.02)),
      count: b < 3 ? 0 : Math.round(200 + 800 * rand()),
    }
  })
  return { ece: Math.abs(skew) * 0.1, brier: 0.6 + skew * 0.01, logLoss: 1.05 + skew * 0.02, reliability }
}

/** One step of the chain: its top-label and per-class reliability, with empty bins. */
function step(rand: () => number, name: string, skew: number): CalibrationStep {
  const binned = () => {
    const c = calibration(rand, skew)
    return { ece: c.ece, mce: c.ece * 2, emptyBins: 3, reliability: c.reliability }
  }
  const perClass = ['down', 'flat', 'up'].map((k) => ({ class: k, ...binned() }))
  return {
    name,
    logLoss: 1.05 + skew * 0.02,
    brier: 0.6 + skew * 0.01,
    topLabel: binned(),
    classwise: { ece: perClass.reduce((s, c) => s + c.ece, 0) / 3, mce: Math.max(...perClass.map((c) => c.mce)) },
    perClass,
  }
}

/** A plausible, fully populated run record (every optional section present). */
export function sampleRun(runId = 'run-20240101-000000-abc123', seed = 7): RunRecord {
  const rand = rng(seed)
  const n = 400
  const t0 = Date.UTC(2023, 9, 1)
  const ts: number[] = []
  const equity: number[] = []
  const drawdown: number[] = []
  let e = 1
  let peak = 1
  for (let i = 0; i < n; i++) {
    e *= 1 + (rand() - 0.47) * 0.01
    peak = Math.max(peak, e)
    ts.push(t0 + i * 15 * 60_000)
    equity.push(e)
    drawdown.push(e / peak - 1)
  }
  const features = Array.from({ length: 40 }, (_, i) => ({
    feature: `f${String(i).padStart(2, '0')}_${['rsi_14', 'atr_14', 'macd_hist', 'rv_60'][i % 4]}@${['1m', '5m', '1h'][i % 3]}`,
    gain: Math.round(1000 * Math.exp(-i / 8) * (0.8 + 0.4 * rand())) / 10,
  }))
  return {
    runId,
    createdAt: '2024-01-01T00:00:00.000Z',
    configHash: 'c0ffee'.padEnd(64, '0'),
    dataFingerprint: 'da7a'.padEnd(64, '1'),
    codeVersion: '0.1.0+8ee2e07',
    environment: {
      node: 'v20.11.0',
      platform: 'linux x64 6.1.0',
      cpu: 'Intel(R) Xeon(R) Processor',
      cores: 2,
      engines: { libtorch: '1.13.0', xgboost: '1.7.4', openblas: 'openmp build, SkylakeX kernels' },
      engineEnv: { OPENBLAS_CORETYPE: 'SkylakeX' },
    },
    seed,
    config: { symbol: 'FILUSDT', seed, models: ['xgboost', 'logistic'] },
    dataFile: 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz',
    timings: [
      { stage: 'ingest', seconds: 1.42, peakRssMiB: 310.5 },
      { stage: 'features', seconds: 6.8, peakRssMiB: 1220.25 },
      { stage: 'train', seconds: 41.3, peakRssMiB: 1890 },
    ],
    labels: {
      classes: ['down', 'flat', 'up'],
      counts: [
        { split: 'train', counts: [31000, 52000, 30500] },
        { split: 'val', counts: [6100, 10200, 6000] },
        { split: 'test', counts: [6500, 9900, 6300] },
      ],
    },
    models: [
      {
        name: 'xgboost',
        kind: 'base',
        metrics: { val: { auc: 0.561, logLoss: 1.061 }, test: { auc: 0.553, logLoss: 1.069 } },
      },
      {
        name: 'logistic',
        kind: 'base',
        metrics: { val: { auc: 0.534, logLoss: 1.08 }, test: { auc: NaN, logLoss: 1.085 } },
      },
      {
        name: 'stack',
        kind: 'ensemble',
        metrics: { val: { auc: 0.566, logLoss: 1.058 }, test: { auc: 0.557, logLoss: 1.066 } },
      },
    ],
    calibration: {
      method: 'isotonic+temperature',
      params: { temperature: 1.37 },
      fitOn: { source: 'oof', rows: 48_000, unpredicted: 12 },
      before: calibration(rand, 0.6),
      after: calibration(rand, 0.05),
      steps: [
        ['raw', 0.6],
        ['isotonic', 0.2],
        ['isotonic+temperature', 0.05],
      ].map(([name, skew]) => step(rand, name as string, skew as number)),
    },
    predictionSets: {
      method: 'aps',
      target: 0.9,
      coverage: 0.904,
      meanSize: 2.31,
      rows: 1000,
      sizes: [0, 120, 330, 550],
      perClass: [
        { class: 'down', coverage: 0.93, rows: 150 },
        { class: 'flat', coverage: 0.89, rows: 700 },
        { class: '<up>', coverage: 0.92, rows: 150 },
      ],
    },
    featureImportance: features,
    backtest: {
      equity: { ts, equity, drawdown },
      metrics: { sharpe: 1.21, maxDrawdown: Math.min(...drawdown), trades: 812, profitFactor: Infinity },
      byRegime: [
        { regime: 'low_vol', trades: 420, pnl: 0.061, sharpe: 1.4, winRate: 0.53 },
        { regime: 'high_vol', trades: 392, pnl: 0.022, sharpe: 0.7, winRate: 0.51 },
      ],
    },
    canary: { shuffledLabels: true, testAuc: 0.501 },
    artifacts: [
      { path: 'models/xgboost/model.json', sha256: 'ab'.repeat(32), bytes: 123456 },
      { path: 'manifest.json', sha256: 'cd'.repeat(32), bytes: 2048 },
    ],
  }
}

/** The minimal record: no optional sections, no models. */
export function minimalRun(runId = 'run-minimal'): RunRecord {
  return {
    runId,
    createdAt: '2024-01-02T00:00:00Z',
    configHash: 'h',
    dataFingerprint: 'f',
    codeVersion: 'v',
    seed: 1,
    config: {},
    dataFile: 'x.csv',
    timings: [],
    labels: { classes: [], counts: [] },
    models: [],
    artifacts: [],
  }
}

/** A FAIL verdict on a run with a shuffled-label control it does not beat (for the report and the store). */
export function failingRun(runId = 'run-failing'): RunRecord {
  const run = sampleRun(runId)
  return {
    ...run,
    canary: { shuffledLabels: false, testAuc: 0.495, controlAuc: 0.511, controlSeconds: 1.5 },
    acceptance: {
      verdict: 'FAIL',
      noEdge: "No edge: the model's test AUC 0.495 does not beat its shuffled-label control's 0.511.",
      testPeriod: { start: '2023-11-12T00:00:00.000Z', end: '2023-11-30T23:59:00.000Z', days: 19 },
      gates: [
        { gate: 'ece', value: 0.04, threshold: 0.09, op: '<=', pass: true },
        { gate: 'sharpe', value: -10.4, threshold: 2, op: '>=', pass: false },
        { gate: 'max_drawdown', value: 0.2207, threshold: 0.12, op: '<=', pass: false },
        { gate: 'fee_share', value: null, threshold: 0.05, op: '<=', pass: false, note: 'no gross profit' },
        { gate: 'trades', value: 291, threshold: 30, op: '>=', pass: true },
      ],
      trades: 291,
      intervals: {
        days: 19,
        blockDays: 3,
        resamples: 1000,
        confidence: 0.95,
        sharpe: { value: -10.4, lo: -18.2, hi: -1.3 },
        totalReturn: { value: -0.16, lo: -0.3, hi: -0.02 },
        hitRate: { value: 0.56, lo: 0.5, hi: 0.62 },
      },
    },
  }
}

const PRESETS = ['fast_baseline', 'tabular_stacking', 'tabular_ensemble', 'walk_forward'] as const

/**
 * The i-th of a family of runs that differ as a sweep's runs would: preset, a few config values, metrics, heads and
 * equity, all derived from i (the same i gives the same record). createdAt is one hour apart from 2024-01-01.
 */
export function variedRun(i: number): RunRecord {
  const base = sampleRun(`run-${String(i).padStart(4, '0')}`, 100 + i)
  const rand = seededRandom(1000 + i)
  const drift = (rand() - 0.45) * 0.004
  let e = 1
  let peak = 1
  const equity = base.backtest!.equity.ts.map(() => (e *= 1 + drift + (rand() - 0.5) * 0.01))
  const drawdown = equity.map((v) => {
    peak = Math.max(peak, v)
    return v / peak - 1
  })
  const round = (x: number, d = 4) => Number(x.toFixed(d))
  const sharpe = round((rand() - 0.3) * 3, 3)
  // The same positions without costs: a little above the net curve, the gap growing with each bar.
  const gross = equity.map((v, j) => v * (1 + 0.00005 * j))
  const walkForward = PRESETS[i % PRESETS.length] === 'walk_forward'
  const windows = Array.from({ length: walkForward ? 4 : 1 }, (_, w) => ({
    key: walkForward ? `2023-10-0${w + 1}` : 'all',
    trainStart: '2023-08-01T00:00:00.000Z',
    testStart: `2023-10-0${w + 1}T00:00:00.000Z`,
    testEnd: `2023-10-0${w + 2}T00:00:00.000Z`,
    samples: { train: 1000, val: 200, test: 100, purged: 5 },
    test: { auc_dir: round(0.5 + rand() * 0.06), log_loss: 1.05 },
    backtest: {
      sharpe: round((rand() - 0.4) * 3, 3),
      total_return: round((rand() - 0.45) * 0.1),
      trades: 40 + w,
      max_drawdown: -0.05,
    },
  }))
  return {
    ...base,
    evaluation: { method: walkForward ? 'walk_forward' : 'chronological', windows, skipped: 0 },
    createdAt: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
    preset: PRESETS[i % PRESETS.length],
    config: {
      symbol: 'FILUSDT',
      seed: base.seed,
      base_models: [{ name: 'xgboost', config: { max_depth: 3 + (i % 4), learning_rate: [0.05, 0.1, 0.2][i % 3] } }],
      policy: { kind: 'threshold', min_edge: 0.02 },
    },
    models: base.models.map((m) => ({
      ...m,
      metrics: {
        val: m.metrics.val,
        test: { ...m.metrics.test, auc_dir: round(0.5 + rand() * 0.08), log_loss: round(1 + rand() * 0.1) },
      },
    })),
    heads: [
      {
        head: 'E_r',
        model: 'xgboost_reg',
        postProcessors: [],
        metrics: {
          val: { mae: 0.002 },
          test: { mae: round(0.002 + rand() * 0.001, 6), ic: round(rand() * 0.1) },
          test_raw: { mae: 0.003 },
        },
      },
    ],
    backtest: {
      ...base.backtest!,
      equity: { ts: base.backtest!.equity.ts, equity, drawdown, gross },
      metrics: {
        total_return: round(equity[equity.length - 1] - 1),
        sharpe,
        max_drawdown: round(Math.min(...drawdown)),
        trades: 50 + Math.floor(rand() * 900),
      },
    },
  }
}
