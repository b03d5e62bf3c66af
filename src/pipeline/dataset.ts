import type { Bars } from '../data/bars.js'
import { computeFeatures, type FeatureFrame } from '../features/frame.js'
import { featureMatrix } from '../features/views/matrix.js'
import type { FeatureMatrixView, RowOutcomes } from '../features/views/types.js'
import { seededRandom } from '../core/random.js'
import { forwardReturn } from '../labels/targets.js'
import { tripleBarrier, type TripleBarrierLabels } from '../labels/triple-barrier.js'
import { headsOf } from '../config/heads.js'
import { volatility } from '../labels/volatility.js'
import { chronologicalSplit, type ChronologicalSplit } from '../validation/chronological.js'
import { embargoFor } from '../validation/config.js'
import { spansFromT1Index } from '../validation/spans.js'
import type { ResolvedConfig } from '../config/load.js'
import { baseInterval, originMs } from '../config/schema.js'

/** Class order of the 3-class triple-barrier task: label -1, 0, +1 become 0, 1, 2. */
export const CLASS_NAMES = ['down', 'flat', 'up'] as const

export interface LabeledFrame {
  frame: FeatureFrame
  labels: TripleBarrierLabels
  vol: Float64Array
  /**
   * The forward return at the triple barrier's horizon (the target of the E_r and quantile heads), when the run
   * trains one of those heads; NaN where the horizon passes the end of the data.
   */
  forward: Float64Array | null
  /**
   * Last bar of each row's label span over every head the run trains (-1: not a sample): the triple barrier's t1,
   * or t + horizon when a return head is trained. Splits, folds and purging work on these spans.
   */
  spanEnd: Int32Array
}

/** Features and labels over all bars. Rows that are feature warm-up or have no label event are not samples. */
export function buildLabeledFrame(bars: Bars, config: ResolvedConfig): LabeledFrame {
  const frame = computeFeatures(bars, config.features, undefined, originMs(config), baseInterval(config))
  const { vol, labels } = labelsOf(bars, config)
  const returnHeads = config.base_models.some((m) => headsOf(m.outputs).some((h) => h === 'E_r' || h === 'quantiles'))
  if (!returnHeads) return { frame, labels, vol, forward: null, spanEnd: labels.t1Index }
  const h = config.labels.tripleBarrier.maxHolding
  const forward = forwardReturn(bars, h)
  const spanEnd = Int32Array.from(labels.t1Index, (t1, t) =>
    t1 >= 0 && Number.isFinite(forward[t]) ? Math.max(t1, t + h) : -1,
  )
  return { frame, labels, vol, forward, spanEnd }
}

/** The triple-barrier labels of the bars (and the volatility their barriers scale with). */
export function labelsOf(
  bars: Bars,
  config: Pick<ResolvedConfig, 'labels'>,
): { vol: Float64Array; labels: TripleBarrierLabels } {
  const vol = volatility(bars, config.labels.volatility.estimator, config.labels.volatility.window)
  return { vol, labels: tripleBarrier(bars, vol, config.labels.tripleBarrier) }
}

/**
 * When each row is decided (its bar's time), when its outcome may be learned, and the class: what an online combiner
 * learns from, and when. A row's label is computed once the bars up to its vertical barrier (row + maxHolding)
 * exist, so that is when it is learned, even if a barrier was touched before: its span has closed by then, and
 * whether it is learned before a row never depends on how far the data goes after that row (as it would if a
 * touch were learned at once: near the end of the data the labeler gives no label at all).
 */
export function rowOutcomes(
  labels: TripleBarrierLabels,
  ts: Float64Array,
  rows: Int32Array,
  maxHolding: number,
): RowOutcomes {
  const known = (r: number) => labels.t1Index[r] >= 0 && r + maxHolding < ts.length
  return {
    time: Float64Array.from(rows, (r) => ts[r]),
    closesAt: Float64Array.from(rows, (r) => (known(r) ? ts[r + maxHolding] : Infinity)),
    label: Float64Array.from(rows, (r) => (known(r) ? labels.label[r] + 1 : Number.NaN)),
  }
}

/** Purged, embargoed chronological split over the rows that are samples (usable features and a label event). */
export function splitSamples(lf: LabeledFrame, config: ResolvedConfig, mask: Uint8Array): ChronologicalSplit {
  const t1 = Int32Array.from(lf.spanEnd, (t, i) => (mask[i] ? t : -1))
  const spans = spansFromT1Index(t1)
  const c = config.splits.chronological
  return chronologicalSplit(
    spans,
    { train: c.train, val: c.val, test: c.test },
    embargoFor(config.splits, spans.row.length),
  )
}

/** Class targets (0, 1, 2) of `rows`. */
export function classTargets(labels: TripleBarrierLabels, rows: Int32Array): Float64Array {
  return Float64Array.from(rows, (r) => labels.label[r] + 1)
}

export function matrixFor(frame: FeatureFrame, rows: Int32Array): FeatureMatrixView {
  return featureMatrix(frame, { rows })
}

/** A seeded permutation (core/random.ts + Fisher-Yates): the same seed always gives the same order. */
export function shuffled(values: Float64Array, seed: number): Float64Array {
  const rand = seededRandom(seed)
  const out = values.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const tmp = out[i]
    out[i] = out[j]
    out[j] = tmp
  }
  return out
}
