/** Evaluation: every model's metrics over the run's validation and test rows (all windows, concatenated). */
import {
  accuracy,
  auc,
  brier,
  calibrationStats,
  classCalibration,
  classwiseCalibration,
  logLoss,
  topLabelCalibration,
  type BinnedCalibration,
} from '../../inference/calibration/metrics.js'
import { setCoverage } from '../../inference/conformal/classification.js'
import { postProcessorRegistry } from '../../inference/post-processors.js'
import {
  directionalHitRate,
  informationCoefficient,
  intervalCoverage,
  meanAbsoluteError,
  pinballLoss,
} from '../../metrics/regression.js'
import type { Outputs } from '../../models/contract.js'
import { cumulativeRegret, rowLogLosses } from '../../metrics/regret.js'
import type {
  BinnedRecord,
  CalibrationRecord,
  CalibrationStep,
  GateRecord,
  HeadRecord,
  ModelResult,
  PredictionSetsRecord,
} from '../../tracking/types.js'
import { CLASS_NAMES } from '../dataset.js'
import { K } from '../predict.js'
import type { WindowResult } from './chain.js'
import type { GateWeights } from '../predict.js'
import { headName } from '../../config/heads.js'
import type { OtherHead } from './heads.js'
import type { TargetSpec } from '../../config/targets.js'

/**
 * Directional AUC: among rows labeled up or down, how well p_up - p_down ranks up above down. Flat rows are left
 * out because the share of flat labels depends on volatility, so a model that only tracks volatility (or a random
 * function of volatility features) would move an up-vs-rest AUC without any directional skill.
 */
export function directionalAuc(p: Float64Array, y: Float64Array): number {
  const rows = Array.from(y.keys()).filter((i) => y[i] !== 1)
  const score = Float64Array.from(rows, (i) => p[i * K + 2] - p[i * K])
  return auc(
    score,
    Uint8Array.from(rows, (i) => (y[i] === 2 ? 1 : 0)),
  )
}

export function splitMetrics(p: Float64Array, y: Float64Array): Record<string, number> {
  const up = Float64Array.from({ length: y.length }, (_, i) => p[i * K + 2])
  const isUp = Uint8Array.from(y, (c) => (c === 2 ? 1 : 0))
  return {
    accuracy: accuracy(p, y, K),
    log_loss: logLoss(p, y, K),
    auc_up: auc(up, isUp),
    auc_dir: directionalAuc(p, y),
  }
}

export function concat<T extends Float64Array | Int32Array | Int8Array | Uint8Array>(parts: readonly T[]): T {
  const n = parts.reduce((s, p) => s + p.length, 0)
  const out = new (parts[0].constructor as new (n: number) => T)(n)
  let at = 0
  for (const p of parts) {
    out.set(p as never, at)
    at += p.length
  }
  return out
}

/**
 * The run's test stream: every window's test rows, final probabilities, each policy's positions and the true
 * targets, in time order.
 */
export interface TestStream {
  readonly rows: Int32Array
  readonly p: Float64Array
  readonly raw: Float64Array
  /** Each configured policy's target positions, the primary first. */
  readonly positions: readonly Float64Array[]
  readonly y: Float64Array
  /** Conformal prediction sets, row-major (n, 3), when the chain makes them. */
  readonly sets?: Uint8Array
  /** The other heads' outputs on the test rows (E_r, q_lo, q_hi, q05, q50, q95), when the run trains them. */
  readonly heads?: Outputs
  /** A gate's member weights on the test rows, row-major (rows, members), when the final model is a gate. */
  readonly weights?: GateWeights
}

export function testStream(results: readonly WindowResult[]): TestStream {
  const sets = results.every((r) => r.sets) ? concat(results.map((r) => r.sets!)) : undefined
  const n = results.reduce((s, r) => s + r.window.test.length, 0)
  const targets = Object.fromEntries(
    results[0].targets.map((t, j) => [t.spec.column, concat(results.map((r) => r.targets[j].test))]),
  )
  const heads =
    results[0].heads.length || results[0].targets.length
      ? results[0].heads.reduce<Outputs>((all, _, j) => ({ ...all, ...headTestOutputs(results, j), n }), {
          n,
          ...(results[0].targets.length ? { targets } : {}),
        })
      : undefined
  const gates = results.map((r) => r.gate)
  const weights = gates.every((g) => g !== null)
    ? { members: gates[0]!.members, w: concat(gates.map((g) => g!.test)) }
    : undefined
  return {
    ...(heads ? { heads } : {}),
    ...(weights ? { weights } : {}),
    rows: concat(results.map((r) => r.window.test)),
    p: concat(results.map((r) => r.test)),
    raw: concat(results.map((r) => r.raw.test)),
    positions: results[0].positions.map((_, j) => concat(results.map((r) => r.positions[j]))),
    y: concat(results.map((r) => r.yTrue.test)),
    ...(sets ? { sets } : {}),
  }
}

/** Each model's val and test metrics over all windows (its predictions concatenated in time order). */
export function modelResults(results: readonly WindowResult[]): ModelResult[] {
  const yVal = concat(results.map((r) => r.yTrue.val))
  const yTest = concat(results.map((r) => r.yTrue.test))
  return results[0].scored.map((first, j) => {
    const pick = (split: 'val' | 'test') => concat(results.map((r) => r.scored[j][split]))
    return {
      name: first.name,
      kind: first.kind,
      metrics: { val: splitMetrics(pick('val'), yVal), test: splitMetrics(pick('test'), yTest) },
    }
  })
}

export type CalibrationReport = CalibrationRecord

function binned(b: BinnedCalibration): BinnedRecord {
  return { ece: b.ece, mce: b.mce, emptyBins: b.emptyBins, reliability: b.bins }
}

/** Probability quality of `p` on the test rows: log-loss, Brier, top-label and per-class reliability. */
export function calibrationStep(name: string, p: Float64Array, y: Float64Array): CalibrationStep {
  const classwise = classwiseCalibration(p, y, K)
  return {
    name,
    logLoss: logLoss(p, y, K),
    brier: brier(p, y, K),
    topLabel: binned(topLabelCalibration(p, y, K)),
    classwise: { ece: classwise.ece, mce: classwise.mce },
    perClass: classwise.perClass.map((c, i) => ({ class: CLASS_NAMES[i], ...binned(c) })),
  }
}

/**
 * The post-processors' effect on the test stream, raw and after each calibrator in turn; params are the last
 * window's (the bundle's). Null when the chain has no calibrator.
 */
export function calibrationReport(results: readonly WindowResult[], stream: TestStream): CalibrationReport | null {
  const last = results[results.length - 1]
  const names = last.calibrationSteps.map((s) => s.name)
  if (names.length === 0) return null
  const params: Record<string, number> = {}
  const calibrators = last.postProcessors.filter((pp) => postProcessorRegistry.get(pp.name)?.role === 'calibration')
  for (const pp of calibrators)
    for (const [k, v] of Object.entries(pp.state)) if (typeof v === 'number' && k !== 'classes') params[k] = v
  // Windows may keep different calibrators (inference.drop_worsening): then only the chain as each window ran it.
  const same = results.every((r) => r.calibrationSteps.map((st) => st.name).join('+') === names.join('+'))
  const steps = [
    calibrationStep('raw', stream.raw, stream.y),
    ...(same
      ? names.map((name, j) => calibrationStep(name, concat(results.map((r) => r.calibrationSteps[j].p)), stream.y))
      : [calibrationStep("each window's kept calibrators", stream.p, stream.y)]),
  ]
  const rows = results.map((r) => r.calibrationRows)
  return {
    method: names[names.length - 1],
    params,
    fitOn: {
      source: rows[0].source,
      rows: rows.reduce((s, r) => s + r.rows, 0),
      unpredicted: rows.reduce((s, r) => s + r.unpredicted, 0),
    },
    before: calibrationStats(stream.raw, stream.y, K),
    after: calibrationStats(stream.p, stream.y, K),
    steps,
  }
}

/** Coverage and size of the test rows' conformal prediction sets, overall and per true class. */
export function predictionSetsReport(
  results: readonly WindowResult[],
  stream: TestStream,
): PredictionSetsRecord | null {
  if (!stream.sets) return null
  const pp = results[results.length - 1].postProcessors.at(-1)!
  const sets = stream.sets
  const { coverage, meanSize } = setCoverage(sets, stream.y, K)
  const sizes = new Array<number>(K + 1).fill(0)
  const hits = new Array<number>(K).fill(0)
  const count = new Array<number>(K).fill(0)
  for (let i = 0; i < stream.y.length; i++) {
    let size = 0
    for (let c = 0; c < K; c++) size += sets[i * K + c]
    sizes[size]++
    count[stream.y[i]]++
    hits[stream.y[i]] += sets[i * K + stream.y[i]]
  }
  return {
    method: pp.name,
    target: pp.state.coverage as number,
    coverage,
    meanSize,
    rows: stream.y.length,
    sizes,
    perClass: CLASS_NAMES.map((c, i) => ({ class: c, coverage: count[i] ? hits[i] / count[i] : 0, rows: count[i] })),
  }
}

/** Metrics of the binary p_up head against up (1) or not (0): log-loss, Brier, AUC, ECE and MCE (10 bins). */
export function upMetrics(out: Outputs, y: Float64Array): Record<string, number> {
  const pUp = out.p_up!
  const p = new Float64Array(2 * y.length)
  for (let i = 0; i < y.length; i++) {
    p[2 * i] = 1 - pUp[i]
    p[2 * i + 1] = pUp[i]
  }
  const cal = classCalibration(p, y, 2, 1)
  return {
    rows: y.length,
    log_loss: logLoss(p, y, 2),
    brier: brier(p, y, 2) / 2,
    auc: auc(pUp, Uint8Array.from(y)),
    ece: cal.ece,
    mce: cal.mce,
    empty_bins: cal.emptyBins,
  }
}

/** Metrics of the E_r point forecast, and of its interval when it has one. */
export function returnMetrics(out: Outputs, y: Float64Array): Record<string, number> {
  const pred = out.E_r!
  const m: Record<string, number> = {
    rows: y.length,
    mae: meanAbsoluteError(pred, y),
    ic: informationCoefficient(pred, y),
    hit_rate: directionalHitRate(pred, y),
  }
  if (out.q_lo && out.q_hi) {
    const c = intervalCoverage(out.q_lo, out.q_hi, y)
    m.coverage = c.coverage
    m.width = c.width
    if (c.unbounded > 0) m.unbounded = c.unbounded
  }
  return m
}

/** Metrics of a q05/q50/q95 band: coverage and width of [q05, q95], pinball loss per level, the median's MAE. */
export function bandMetrics(out: Outputs, y: Float64Array): Record<string, number> {
  const c = intervalCoverage(out.q05!, out.q95!, y)
  return {
    rows: y.length,
    coverage: c.coverage,
    width: c.width,
    pinball_q05: pinballLoss(out.q05!, y, 0.05),
    pinball_q50: pinballLoss(out.q50!, y, 0.5),
    pinball_q95: pinballLoss(out.q95!, y, 0.95),
    mae_q50: meanAbsoluteError(out.q50!, y),
  }
}

const HEAD_COLUMNS: readonly (keyof Outputs)[] = ['p_up', 'E_r', 'q_lo', 'q_hi', 'q05', 'q50', 'q95']

/** Outputs of a head other than p from consecutive row ranges (windows), in order. */
export function concatHeadOutputs(parts: readonly Outputs[]): Outputs {
  const out: Record<string, unknown> = { n: parts.reduce((s, p) => s + p.n, 0) }
  for (const col of HEAD_COLUMNS) {
    if (parts.every((p) => p[col] instanceof Float64Array)) out[col] = concat(parts.map((p) => p[col] as Float64Array))
  }
  return out as unknown as Outputs
}

/** The metrics of a head other than p. */
export function headMetrics(head: OtherHead): (out: Outputs, y: Float64Array) => Record<string, number> {
  return head === 'p_up' ? upMetrics : head === 'E_r' ? returnMetrics : bandMetrics
}

/** A head's outputs over every window's test rows, in time order (for predictions and the backtest stream). */
export function headTestOutputs(results: readonly WindowResult[], j: number): Outputs {
  return concatHeadOutputs(results.map((r) => r.heads[j].test))
}

/** A target's metrics over the rows where it is defined: a binary one's as p_up's, strength's as E_r's. */
export function targetMetrics(
  spec: Pick<TargetSpec, 'task'>,
  pred: Float64Array,
  y: Float64Array,
): Record<string, number> {
  const keep = Int32Array.from(y.keys()).filter((i) => !Number.isNaN(y[i]))
  const p = Float64Array.from(keep, (i) => pred[i])
  const yk = Float64Array.from(keep, (i) => y[i])
  return spec.task === 'binary' ? upMetrics({ n: p.length, p_up: p }, yk) : returnMetrics({ n: p.length, E_r: p }, yk)
}

/**
 * Each multi-head target's metrics over all windows, on the validation and test rows where it is defined: those of
 * p_up for a binary target, those of E_r for strength.
 */
export function targetRecords(results: readonly WindowResult[]): HeadRecord[] {
  return results[0].targets.map((first, j) => {
    const metrics = (pred: Float64Array, y: Float64Array) => targetMetrics(first.spec, pred, y)
    const pick = (f: (t: WindowResult['targets'][number]) => Float64Array) =>
      concat(results.map((r) => f(r.targets[j])))
    const test = metrics(
      pick((t) => t.test),
      pick((t) => t.yTest),
    )
    return {
      head: first.spec.column,
      model: first.members.map((m) => m.name).join(' + '),
      postProcessors: [],
      metrics: {
        val: metrics(
          pick((t) => t.val),
          pick((t) => t.yVal),
        ),
        test,
        test_raw: test,
      },
    }
  })
}

/** Each other head's metrics over all windows, on validation and test rows, raw and after its post-processors. */
export function headRecords(results: readonly WindowResult[]): HeadRecord[] {
  return results[0].heads.map((first, j) => {
    const metrics = headMetrics(first.head)
    const pick = (f: (h: WindowResult['heads'][number]) => Outputs) =>
      concatHeadOutputs(results.map((r) => f(r.heads[j])))
    const yVal = concat(results.map((r) => r.heads[j].yVal))
    const yTest = concat(results.map((r) => r.heads[j].yTest))
    return {
      head: headName(first.head),
      model: first.members.map((m) => m.name).join(' + '),
      postProcessors: first.postProcessors.map((p) => p.name),
      metrics: {
        val: metrics(
          pick((h) => h.val),
          yVal,
        ),
        test: metrics(
          pick((h) => h.test),
          yTest,
        ),
        test_raw: metrics(
          pick((h) => h.raw.test),
          yTest,
        ),
      },
    }
  })
}

/** Most points of the gate plot: longer test streams are drawn at an even stride of rows (the last kept). */
export const MAX_GATE_POINTS = 2000

/**
 * The gate's member weights over the test stream and its cumulative log-loss regret against the member with the
 * least test log-loss in hindsight (undefined unless the final model is a gate).
 */
export function gateRecord(
  results: readonly WindowResult[],
  stream: TestStream,
  ts: Float64Array,
): GateRecord | undefined {
  const gate = stream.weights
  if (!gate) return undefined
  const M = gate.members.length
  const n = stream.rows.length
  const memberP = gate.members.map((name) =>
    concat(results.map((r) => r.scored.find((s) => s.kind === 'base' && s.name === name)!.test)),
  )
  const regret = cumulativeRegret(
    rowLogLosses(stream.raw, stream.y, K),
    memberP.map((p) => rowLogLosses(p, stream.y, K)),
  )
  const stride = Math.max(1, Math.ceil(n / MAX_GATE_POINTS))
  const at: number[] = []
  for (let i = 0; i < n; i += stride) at.push(i)
  if (n > 0 && at[at.length - 1] !== n - 1) at.push(n - 1)
  const total = n > 0 ? regret.cumulative[n - 1] : 0
  return {
    name: results[results.length - 1].gate!.name,
    members: [...gate.members],
    rows: n,
    meanWeights: gate.members.map((_, j) => {
      let sum = 0
      for (let i = 0; i < n; i++) sum += gate.w[i * M + j]
      return n > 0 ? sum / n : 0
    }),
    ts: at.map((i) => ts[stream.rows[i]]),
    weights: gate.members.map((_, j) => at.map((i) => gate.w[i * M + j])),
    regret: {
      bestMember: gate.members[regret.best],
      total,
      perRow: n > 0 ? total / n : 0,
      cumulative: at.map((i) => regret.cumulative[i]),
    },
  }
}
