import type { Bars } from '../../data/bars.js'
import { resolveConfig, type ResolvedConfig } from '../../config/load.js'
import { baseInterval, originMs } from '../../config/schema.js'
import { deriveSeed } from '../../core/seeds.js'
import { computeFeatures } from '../../features/frame.js'
import { featureMatrix } from '../../features/views/matrix.js'
import type { FeatureMatrixView } from '../../features/views/types.js'
import { bracketEvents, rangeBounds, type BracketConfig, type BracketEvent } from '../../labels/brackets.js'
import { createModel } from '../../models/registry.js'
import { chronologicalSplit } from '../../validation/chronological.js'
import { fitPlatt, logit, plattProbability } from '../calibration/platt.js'

/**
 * The predictions file of the bracket example (issue 18): K daily-close ranges around the prior close, one binary
 * model per range, each calibrated on its own; the probabilities of one event do not sum to 1, which is what
 * `mlf couple` then fixes. `mlf run` trains only the 3-class triple-barrier head, so the per-range models are trained
 * here through the library (feature engine, model registry, Platt calibration), not through `mlf run`.
 *
 * Steps: bracket events (src/labels/brackets.ts); features of the factory config at each decision bar (a selection
 * of columns, plus sigma); a chronological train / dev / test split of the events, purged so that no event's
 * [decision bar, settle bar] span meets a later split; per range, a binary model fit on train and a Platt calibration
 * of its logit fit on dev; rows for dev and test events (dev's calibrated probabilities are in-sample for Platt).
 * Deterministic: same bars and options give the same rows.
 */
export interface BracketDatasetOptions {
  /** Bracket events' config (src/labels/brackets.ts); default: its defaults. */
  readonly brackets?: Partial<BracketConfig>
  /** Factory config: features, resampling origin, bar interval and the root seed. Default: all defaults. */
  readonly config?: ResolvedConfig
  /** Feature columns kept (by name); sigma is always added. Default: the 1h columns. */
  readonly featurePattern?: RegExp
  /** Registry model trained per range (binary task) and its parameters. */
  readonly model?: string
  readonly modelParams?: unknown
  readonly fractions?: { readonly train: number; readonly val: number; readonly test: number }
}

export interface BracketPredictionRow {
  /** UTC date of the decision time. */
  readonly event_date: string
  /** Decision time, ISO. */
  readonly timestamp: string
  /** Range label r0..r{K-1}. */
  readonly bracket_key: string
  /** Price bounds [lo, hi) of the range; -Infinity / Infinity for the open ends. */
  readonly lo: number
  readonly hi: number
  readonly p_raw: number
  readonly p_calibrated: number
  readonly happened: 0 | 1
  readonly split: 'dev' | 'test'
  /** The prior close C0. */
  readonly prior_close: number
}

export interface BracketDatasetSummary {
  readonly k: number
  /** Decision times on the grid, events kept, and drops by reason (`features_warmup`: no usable feature row). */
  readonly grid: number
  readonly events: number
  readonly dropped: Readonly<Record<string, number>>
  readonly split: { readonly train: number; readonly dev: number; readonly test: number }
  /** Train events purged against dev and test, dev events purged against test. */
  readonly purged: { readonly train: number; readonly dev: number }
  /** Share of events per range, per split. */
  readonly baseRate: { readonly train: number[]; readonly dev: number[]; readonly test: number[] }
  /** Platt (a, b) per range, fit on dev. */
  readonly platt: { readonly a: number; readonly b: number }[]
  /** Sum over ranges of each test event's probabilities: the incoherence coupling removes. */
  readonly testSum: { readonly raw: [number, number, number]; readonly calibrated: [number, number, number] }
  /** Mean test log-loss of the outcome: train base rates (Laplace), raw and calibrated each renormalised per event. */
  readonly testLogLoss: { readonly climatology: number; readonly raw: number; readonly calibrated: number }
  readonly features: number
}

export async function bracketPredictions(
  bars: Bars,
  options: BracketDatasetOptions = {},
): Promise<{ rows: BracketPredictionRow[]; summary: BracketDatasetSummary }> {
  const config = options.config ?? resolveConfig({})
  const base = baseInterval(config)
  const be = bracketEvents(bars, options.brackets ?? {}, base.ms)
  const frame = computeFeatures(bars, config.features, undefined, originMs(config), base)
  const events = be.events.filter((e) => frame.usable[e.decisionRow] === 1)
  const dropped: Record<string, number> = { ...be.droppedBy, features_warmup: be.events.length - events.length }
  const K = be.k
  const n = events.length

  const spans = {
    row: Int32Array.from(events, (_, i) => i),
    t0: Float64Array.from(events, (e) => e.decisionRow),
    t1: Float64Array.from(events, (e) => e.settleRow),
  }
  const split = chronologicalSplit(spans, options.fractions ?? { train: 0.6, val: 0.2, test: 0.2 })
  const pattern = options.featurePattern ?? /_1h$/
  const names = frame.names.filter((x) => pattern.test(x))
  if (names.length === 0) throw new Error(`bracket dataset: no feature column matches ${pattern}`)
  const x = (rows: Int32Array): FeatureMatrixView => withSigma(frame, names, events, rows)
  const hit = (rows: Int32Array, r: number) => Float64Array.from(rows, (i) => (events[i].outcome === r ? 1 : 0))
  const xTrain = x(split.train)
  const xDev = x(split.val)
  const xTest = x(split.test)

  const raw = { dev: new Float64Array(split.val.length * K), test: new Float64Array(split.test.length * K) }
  const cal = { dev: new Float64Array(raw.dev.length), test: new Float64Array(raw.test.length) }
  const platt: { a: number; b: number }[] = []
  const modelName = options.model ?? 'logistic'
  for (let r = 0; r < K; r++) {
    const y = hit(split.train, r)
    const positives = y.reduce((s, v) => s + v, 0)
    if (positives === 0 || positives === y.length) {
      throw new Error(`bracket dataset: range r${r} is ${positives ? 'every' : 'no'} training event's outcome`)
    }
    const model = createModel(modelName, options.modelParams ?? { C: 0.1 }, { kind: 'binary' }, `bracket r${r}`)
    await model.fit({ x: xTrain, y }, undefined, { seed: deriveSeed(config.seed, 'brackets', r), threads: 1 })
    const pDev = probabilityUp(model.predict(xDev).p_up, modelName)
    const pTest = probabilityUp(model.predict(xTest).p_up, modelName)
    const fit = fitPlatt(Float64Array.from(pDev, logit), hit(split.val, r))
    platt.push({ a: fit.a, b: fit.b })
    for (const [p, out, c] of [
      [pDev, raw.dev, cal.dev],
      [pTest, raw.test, cal.test],
    ] as const) {
      p.forEach((v, i) => {
        out[i * K + r] = v
        c[i * K + r] = plattProbability(fit.a, fit.b, logit(v))
      })
    }
  }

  const rows: BracketPredictionRow[] = []
  for (const [name, idx, pr, pc] of [
    ['dev', split.val, raw.dev, cal.dev],
    ['test', split.test, raw.test, cal.test],
  ] as const) {
    idx.forEach((e, i) => rows.push(...eventRows(events[e], K, name, pr, pc, i)))
  }
  const rate = (rows: Int32Array) =>
    Array.from({ length: K }, (_, r) => hit(rows, r).reduce((s, v) => s + v, 0) / rows.length)
  const trainCounts = rate(split.train).map((v) => v * split.train.length)
  const climatology = trainCounts.map((c) => (c + 1) / (split.train.length + K))
  const testOutcomes = Array.from(split.test, (e) => events[e].outcome)
  const summary: BracketDatasetSummary = {
    k: K,
    grid: be.events.length + be.dropped.length,
    events: n,
    dropped,
    split: { train: split.train.length, dev: split.val.length, test: split.test.length },
    purged: { train: split.purged, dev: split.valPurged },
    baseRate: { train: rate(split.train), dev: rate(split.val), test: rate(split.test) },
    platt,
    testSum: { raw: rowSums(raw.test, K), calibrated: rowSums(cal.test, K) },
    testLogLoss: {
      climatology: meanLogLoss(testOutcomes, (_, o) => climatology[o]),
      raw: meanLogLoss(testOutcomes, (i, o) => renormalised(raw.test, K, i, o)),
      calibrated: meanLogLoss(testOutcomes, (i, o) => renormalised(cal.test, K, i, o)),
    },
    features: names.length + 1,
  }
  return { rows, summary }
}

export const PREDICTION_COLUMNS = [
  'event_date',
  'timestamp',
  'bracket_key',
  'lo',
  'hi',
  'p_raw',
  'p_calibrated',
  'happened',
  'split',
  'prior_close',
] as const

/** CSV text of the rows; an open end of a range (lo of r0, hi of the last) is an empty field. */
export function predictionsCsv(rows: readonly BracketPredictionRow[]): string {
  const cell = (v: string | number) => (typeof v === 'number' && !Number.isFinite(v) ? '' : String(v))
  const lines = rows.map((r) => PREDICTION_COLUMNS.map((c) => cell(r[c])).join(','))
  return `${PREDICTION_COLUMNS.join(',')}\n${lines.join('\n')}\n`
}

function eventRows(
  e: BracketEvent,
  K: number,
  split: 'dev' | 'test',
  raw: Float64Array,
  cal: Float64Array,
  i: number,
): BracketPredictionRow[] {
  const iso = new Date(e.decisionTs).toISOString()
  return Array.from({ length: K }, (_, r) => {
    const [lo, hi] = rangeBounds(e, r)
    return {
      event_date: iso.slice(0, 10),
      timestamp: iso,
      bracket_key: `r${r}`,
      lo,
      hi,
      p_raw: raw[i * K + r],
      p_calibrated: cal[i * K + r],
      happened: e.outcome === r ? 1 : 0,
      split,
      prior_close: e.c0,
    }
  })
}

/** The chosen feature columns at the events' decision rows, plus sigma (known at the decision). */
function withSigma(
  frame: Parameters<typeof featureMatrix>[0],
  names: readonly string[],
  events: readonly BracketEvent[],
  rows: Int32Array,
): FeatureMatrixView {
  const m = featureMatrix(frame, { rows: Int32Array.from(rows, (e) => events[e].decisionRow), names })
  const f = m.f + 1
  const data = new Float64Array(m.n * f)
  for (let i = 0; i < m.n; i++) {
    data.set(m.data.subarray(i * m.f, (i + 1) * m.f), i * f)
    data[i * f + m.f] = events[rows[i]].sigma
  }
  return { kind: 'feature_matrix', n: m.n, f, data, names: [...names, 'sigma'] }
}

function probabilityUp(p: Float64Array | undefined, model: string): Float64Array {
  if (!p) throw new Error(`bracket dataset: model "${model}" gave no p_up for a binary task`)
  return p
}

function rowSums(p: Float64Array, K: number): [number, number, number] {
  let min = Infinity
  let max = -Infinity
  let sum = 0
  const n = p.length / K
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let r = 0; r < K; r++) s += p[i * K + r]
    min = Math.min(min, s)
    max = Math.max(max, s)
    sum += s
  }
  return [min, sum / n, max]
}

function renormalised(p: Float64Array, K: number, i: number, r: number): number {
  let s = 0
  for (let j = 0; j < K; j++) s += p[i * K + j]
  return p[i * K + r] / s
}

function meanLogLoss(outcomes: readonly number[], prob: (i: number, outcome: number) => number): number {
  let s = 0
  outcomes.forEach((o, i) => (s -= Math.log(Math.max(1e-15, prob(i, o)))))
  return s / outcomes.length
}
