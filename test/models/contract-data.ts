/**
 * Data for the shared model contract suite (contract.test.ts): small synthetic sets with a planted signal for every
 * input view, and per-model overrides kept as plain data (test-friendly params, fixture-backed imported models).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Dataset, Task } from '../../src/models/contract.js'
import { repoRoot, sharedDir } from '../helpers.js'
import type {
  DataView,
  FeatureMatrixView,
  FoundationView,
  MultiResView,
  ViewKind,
  WindowTensorView,
} from '../../src/features/views/types.js'
import { seededRandom } from '../../src/core/random.js'

export interface Split {
  readonly train: Dataset
  readonly val: Dataset
  readonly test: Dataset
}

export interface ContractCase {
  readonly task: Task
  /** Parameters for this case (defaults fill the rest). */
  readonly params?: Record<string, unknown>
  /** Data for this case; default: the planted-signal synthetic data for the model's view. */
  readonly data?: () => Split
  /** Whether "beats chance on the planted signal" applies (false for fixture-backed models without labels). */
  readonly signal?: boolean
  /** A reason to skip this case (e.g. its fixture is absent), or undefined to run it. */
  readonly skip?: () => string | undefined
}

export interface ContractOverride {
  /** Explicit cases replace the default "every supported task on synthetic data". */
  readonly cases?: readonly ContractCase[]
  /** Params merged into every default case (keep defaults unless they are too slow for tests). */
  readonly params?: Record<string, unknown>
}

export const XGB_FIXTURES = join(sharedDir, 'fixtures/xgboost')
export const LGB_FIXTURES = join(sharedDir, 'fixtures/lightgbm')
export const ONNX_FIXTURES = join(repoRoot, 'test/fixtures/onnx')
export const FOUNDATION_FIXTURES = join(repoRoot, 'test/fixtures/foundation')
export const SKLEARN_FIXTURES = join(repoRoot, 'test/fixtures/sklearn')

function needs(path: string): () => string | undefined {
  return () => (existsSync(path) ? undefined : `fixture ${path} is absent (../shared missing?); skipped`)
}

/** libsvm rows as a dense (n, width) matrix; a feature absent from a row is missing (NaN), as XGBoost reads it. */
export function readLibsvm(path: string, width: number): Dataset & { x: FeatureMatrixView } {
  const lines = readFileSync(path, 'utf8').trim().split('\n')
  const data = new Float64Array(lines.length * width).fill(NaN)
  const y = new Float64Array(lines.length)
  lines.forEach((line, i) => {
    const [label, ...pairs] = line.trim().split(/\s+/)
    y[i] = Number(label)
    for (const p of pairs) {
      const [j, v] = p.split(':')
      data[i * width + Number(j)] = Number(v)
    }
  })
  return { x: { kind: 'feature_matrix', n: lines.length, f: width, data, names: names(width) }, y }
}

/** A whitespace-separated numeric table; `labelColumn` true takes column 0 as y. */
export function readTable(path: string, labelColumn: boolean): Dataset & { x: FeatureMatrixView } {
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
  const f = rows[0].length - (labelColumn ? 1 : 0)
  const data = new Float64Array(rows.length * f)
  const y = new Float64Array(rows.length)
  rows.forEach((r, i) => {
    if (labelColumn) y[i] = r[0]
    data.set(labelColumn ? r.slice(1) : r, i * f)
  })
  return { x: { kind: 'feature_matrix', n: rows.length, f, data, names: names(f) }, y }
}

function fixed(ds: Dataset): Split {
  return { train: ds, val: ds, test: ds }
}

/** Uniform(-2, 2) inputs for the ONNX test graphs (4 features); labels unused. */
function onnxInputs(): Split {
  const u = rng(5)
  const n = 64
  const data = new Float64Array(n * 4)
  for (let i = 0; i < data.length; i++) data[i] = 4 * u() - 2
  return fixed({ x: { kind: 'feature_matrix', n, f: 4, data, names: names(4) }, y: new Float64Array(n) })
}

/** Per-model overrides, keyed by registry name. Imported models add their fixture cases here. */
export const overrides = new Map<string, ContractOverride>([
  ['chronos_bolt', { params: { path: join(FOUNDATION_FIXTURES, 'chronos_bolt_tiny.onnx') } }],
  ['timesfm', { params: { path: join(FOUNDATION_FIXTURES, 'timesfm_tiny.onnx') } }],
  [
    'patchtst',
    {
      params: {
        patchLen: 4,
        stride: 2,
        dModel: 16,
        heads: 2,
        layers: 1,
        ff: 32,
        headDim: 4,
        lr: 5e-3,
        batchSize: 64,
        epochs: 12,
      },
    },
  ],
  [
    'nhits',
    { params: { poolKernels: [2, 1], downsample: [2, 1], horizon: 4, units: 32, lr: 5e-3, batchSize: 64, epochs: 12 } },
  ],
  ['nbeats', { params: { horizon: 4, units: 32, lr: 5e-3, batchSize: 64, epochs: 12 } }],
  ['tsmixer', { params: { blocks: 1, ff: 16, lr: 5e-3, batchSize: 64, epochs: 12 } }],
  ['deepar', { params: { hidden: 16, layers: 1, samples: 200, lr: 1e-2, batchSize: 64, epochs: 12 } }],
  ['quantile_rnn', { params: { hidden: 16, lr: 1e-2, batchSize: 64, epochs: 12 } }],
  [
    'inception_time',
    { params: { filters: 4, kernels: [7, 3], bottleneck: 4, depth: 3, lr: 5e-3, batchSize: 64, epochs: 12 } },
  ],
  ['itransformer', { params: { dModel: 16, heads: 2, layers: 1, ff: 32, lr: 5e-3, batchSize: 64, epochs: 12 } }],
  ['tft', { params: { hidden: 8, heads: 2, staticFeatures: [2], lr: 1e-2, batchSize: 64, epochs: 8 } }],
  ['resnet1d', { params: { channels: [8, 8], kernels: [5, 3, 3], lr: 5e-3, batchSize: 64, epochs: 12 } }],
  [
    'xgboost_model',
    {
      cases: [
        {
          task: { kind: 'binary' },
          params: { path: join(XGB_FIXTURES, 'leaves_agaricus_gbtree.ubj') },
          data: () => fixed(readLibsvm(join(XGB_FIXTURES, 'agaricus_test.libsvm'), 127)),
          skip: needs(XGB_FIXTURES),
        },
        {
          task: { kind: 'multiclass', classes: 6 },
          params: { path: join(XGB_FIXTURES, 'leaves_dermatology_softmax.json') },
          data: () => fixed(readLibsvm(join(XGB_FIXTURES, 'dermatology_test.libsvm'), 33)),
          skip: needs(XGB_FIXTURES),
        },
      ],
    },
  ],
  [
    'lightgbm_model',
    {
      cases: [
        {
          task: { kind: 'binary' },
          params: { path: join(LGB_FIXTURES, 'lg_breast_cancer.txt') },
          data: () => fixed(readTable(join(LGB_FIXTURES, 'lg_breast_cancer_data.txt'), false)),
          signal: false, // the fixture has no labels
          skip: needs(LGB_FIXTURES),
        },
        {
          task: { kind: 'multiclass', classes: 5 },
          params: { path: join(LGB_FIXTURES, 'lgmulticlass.model') },
          data: () => fixed(readTable(join(LGB_FIXTURES, 'multiclass_test.tsv'), true)),
          skip: needs(LGB_FIXTURES),
        },
        {
          task: { kind: 'regression' },
          params: { path: join(LGB_FIXTURES, 'genlin_fmtp_poisson_Frequency.model') },
          data: () => fixed(readTable(join(LGB_FIXTURES, 'genlin_fmtp_poisson_Frequency_features.tsv'), false)),
          signal: false,
          skip: needs(LGB_FIXTURES),
        },
      ],
    },
  ],
  [
    'onnx_model',
    {
      cases: [
        {
          task: { kind: 'binary' },
          params: { path: join(ONNX_FIXTURES, 'logit1.onnx') },
          data: onnxInputs,
          signal: false,
        },
        {
          task: { kind: 'multiclass', classes: 3 },
          params: { path: join(ONNX_FIXTURES, 'linear3.onnx') },
          data: onnxInputs,
          signal: false,
        },
      ],
    },
  ],
  [
    'sklearn_model',
    {
      cases: [
        {
          task: { kind: 'multiclass', classes: 3 },
          params: { path: join(SKLEARN_FIXTURES, 'export_logistic_multiclass.json') },
          data: sklearnInputs,
          signal: false, // the export carries inputs, not labels
        },
      ],
    },
  ],
])

/** The scikit-learn export's own test inputs (55 features). */
function sklearnInputs(): Split {
  const doc = JSON.parse(readFileSync(join(SKLEARN_FIXTURES, 'export_logistic_multiclass.json'), 'utf8')) as {
    test_inputs: number[][]
  }
  const rows = doc.test_inputs
  const f = rows[0].length
  const x: FeatureMatrixView = {
    kind: 'feature_matrix',
    n: rows.length,
    f,
    data: Float64Array.from(rows.flat()),
    names: names(f),
  }
  return fixed({ x, y: new Float64Array(rows.length) })
}

/** Deterministic PRNG (mulberry32) and a standard normal from it. */
export function rng(seed: number): () => number {
  return seededRandom(seed)
}

export function normal(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12)
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
  }
}

/** Label from a latent signal s (unit scale): binary s > 0; 3 classes by terciles of N(0,1); regression s itself. */
function label(s: number, task: Task): number {
  switch (task.kind) {
    case 'binary':
      return s > 0 ? 1 : 0
    case 'multiclass': {
      // Equal-probability bins of a standard normal for any class count.
      const k = task.classes
      let c = 0
      for (let j = 1; j < k; j++) if (s > normalQuantile(j / k)) c = j
      return c
    }
    default:
      return s
  }
}

function normalQuantile(p: number): number {
  // Bisection on the erf-based CDF; only a few class cut points are ever needed.
  let lo = -8
  let hi = 8
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2
    if (normalCdf(mid) < p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

function normalCdf(x: number): number {
  // Abramowitz-Stegun 7.1.26 erf approximation: enough for choosing class cut points.
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2))
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2)
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2
}

const SIZES = { train: 600, val: 200, test: 300 }
const F = 6

/**
 * Feature matrix: 6 standard-normal features; the latent signal is 0.8*x0 - 0.6*x1 + 0.3*x2*... (linear, so every
 * model family can find it) plus small noise.
 */
function featureMatrixSplit(task: Task, seed: number): Split {
  const make = (n: number, s: number): Dataset => {
    const g = normal(rng(s))
    const data = new Float64Array(n * F)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < F; j++) data[i * F + j] = g()
      const latent = 0.8 * data[i * F] - 0.6 * data[i * F + 1] + 0.2 * g()
      y[i] = label(latent, task)
    }
    const x: FeatureMatrixView = { kind: 'feature_matrix', n, f: F, data, names: names(F) }
    return { x, y }
  }
  return { train: make(SIZES.train, seed), val: make(SIZES.val, seed + 1), test: make(SIZES.test, seed + 2) }
}

function names(f: number): string[] {
  return Array.from({ length: f }, (_, j) => `f${j}`)
}

/** Window tensor over a random base: the signal is the mean of feature 0 over the last 4 steps of the window. */
function windowSplit(task: Task, seed: number, steps = 8, f = 3): Split {
  const make = (n: number, s: number): Dataset => {
    const x = windowView(n, steps, f, s)
    return { x, y: windowLabels(x, task) }
  }
  return { train: make(SIZES.train, seed), val: make(SIZES.val, seed + 1), test: make(SIZES.test, seed + 2) }
}

function windowView(n: number, steps: number, f: number, seed: number): WindowTensorView {
  const g = normal(rng(seed))
  const T = n + steps - 1
  const base = new Float32Array(T * f)
  for (let i = 0; i < base.length; i++) base[i] = g()
  const end = new Int32Array(n)
  for (let i = 0; i < n; i++) end[i] = i + steps - 1
  return { kind: 'window_tensor', n, steps, f, base, end, names: names(f) }
}

function windowLabels(x: WindowTensorView, task: Task): Float64Array {
  const y = new Float64Array(x.n)
  for (let i = 0; i < x.n; i++) {
    let s = 0
    for (let k = 0; k < 4; k++) s += x.base[(x.end[i] - k) * x.f]
    y[i] = label(s / 2, task) // mean of 4 N(0,1) has sd 1/2; s/2 has sd 1
  }
  return y
}

/** Two resolutions; the signal lives in the first one. */
function multiResSplit(task: Task, seed: number): Split {
  const make = (n: number, s: number): Dataset => {
    const fine = windowView(n, 8, 3, s)
    const coarse = windowView(n, 4, 2, s + 100)
    const x: MultiResView = {
      kind: 'multi_res',
      n,
      parts: [
        { ...fine, timeframe: '1m' },
        { ...coarse, timeframe: '5m' },
      ],
    }
    return { x, y: windowLabels(fine, task) }
  }
  return { train: make(SIZES.train, seed), val: make(SIZES.val, seed + 1), test: make(SIZES.test, seed + 2) }
}

/**
 * Foundation view: a random-walk OHLC series with momentum (each return continues the previous one with weight
 * 0.5), so the next return is predictable from the context; y is the next close-to-close return or its sign.
 */
function foundationSplit(task: Task, seed: number, context = 32): Split {
  const make = (n: number, s: number): Dataset => {
    const g = normal(rng(s))
    const T = n + context
    const base = new Float64Array(T * 4)
    let close = 100
    let prev = 0
    const ret = new Float64Array(T)
    for (let t = 0; t < T; t++) {
      const r = 0.5 * prev + 0.001 * g()
      ret[t] = r
      prev = r
      const open = close
      close = open * Math.exp(r)
      const hi = Math.max(open, close) * (1 + 0.0002 * Math.abs(g()))
      const lo = Math.min(open, close) * (1 - 0.0002 * Math.abs(g()))
      base.set([open, hi, lo, close], t * 4)
    }
    const end = new Int32Array(n)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      end[i] = i + context - 1
      const next = ret[end[i] + 1]
      y[i] = label(next / 0.001, task)
    }
    const x: FoundationView = { kind: 'foundation', n, context, base, end }
    return { x, y }
  }
  return { train: make(SIZES.train, seed), val: make(SIZES.val, seed + 1), test: make(SIZES.test, seed + 2) }
}

/** Planted-signal data for a view and task (deterministic in `seed`). */
export function syntheticSplit(view: ViewKind, task: Task, seed = 11): Split {
  switch (view) {
    case 'feature_matrix':
      return featureMatrixSplit(task, seed)
    case 'window_tensor':
      return windowSplit(task, seed)
    case 'multi_res':
      return multiResSplit(task, seed)
    case 'foundation':
      return foundationSplit(task, seed)
  }
}

/** The task the suite uses for each task kind a model supports (3 classes as {-1, 0, 1} -> {0, 1, 2}). */
export function taskOf(kind: Task['kind']): Task {
  switch (kind) {
    case 'binary':
      return { kind: 'binary' }
    case 'multiclass':
      return { kind: 'multiclass', classes: 3 }
    case 'regression':
      return { kind: 'regression' }
    case 'quantile':
      return { kind: 'quantile', quantiles: [0.05, 0.5, 0.95] }
  }
}

export type { DataView }
