import type { Bars } from '../data/bars.js'
import { computeFeatures, type FeatureFrame } from '../features/frame.js'
import { featureMatrix } from '../features/views/matrix.js'
import type { FeatureMatrixView, RowOutcomes } from '../features/views/types.js'
import { forwardReturn, multiHeadTargets, type MultiHeadTargets } from '../labels/targets.js'
import { TARGET_HEADS } from '../config/targets.js'
import type { Outputs } from '../models/contract.js'
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
  /** The multi-head targets per horizon of labels.targets.horizons, when the run trains a target head. */
  multiHead?: ReadonlyMap<number, MultiHeadTargets>
}

/** Features and labels over all bars. Rows that are feature warm-up or have no label event are not samples. */
export function buildLabeledFrame(bars: Bars, config: ResolvedConfig): LabeledFrame {
  const frame = computeFeatures(bars, config.features, undefined, originMs(config), baseInterval(config))
  return { frame, ...barLabels(bars, config) }
}

/** The labels of every bar (what buildLabeledFrame adds to the features); scoring builds outcomes with it too. */
export function barLabels(bars: Bars, config: ResolvedConfig): Omit<LabeledFrame, 'frame'> {
  const tb = config.labels.tripleBarrier
  const { vol, labels } = labelsOf(bars, config)
  const heads = new Set(config.base_models.flatMap((m) => headsOf(m.outputs)))
  const returnHeads = heads.has('E_r') || heads.has('quantiles')
  const t = config.labels.targets
  const targetHorizons = TARGET_HEADS.some((h) => heads.has(h)) ? t.horizons : []
  if (!returnHeads && targetHorizons.length === 0) return { labels, vol, forward: null, spanEnd: labels.t1Index }
  const forward = returnHeads ? forwardReturn(bars, tb.maxHolding) : null
  // Every head's label must fit in the data, so all heads share one set of samples.
  const h = Math.max(returnHeads ? tb.maxHolding : 0, ...targetHorizons)
  const spanEnd = Int32Array.from(labels.t1Index, (t1, r) =>
    t1 >= 0 && r + h < bars.length && (!forward || Number.isFinite(forward[r])) ? Math.max(t1, r + h) : -1,
  )
  const multiHead = new Map(
    targetHorizons.map((horizon) => [
      horizon,
      multiHeadTargets(bars, vol, {
        horizon,
        tradeableReturn: t.tradeableReturn,
        reachThresholds: t.reachThresholds,
        entry: tb.entry,
      }),
    ]),
  )
  return { labels, vol, forward, spanEnd, ...(multiHead.size ? { multiHead } : {}) }
}

/**
 * The outcome timeline of `rows` for online conformal methods: each row's bar time, the time its label span closes
 * (Number.MAX_VALUE when it does not within the bars) and its forward return (NaN then).
 */
export function outcomeTimeline(
  ts: Float64Array,
  labels: Pick<LabeledFrame, 'forward' | 'spanEnd'>,
  rows: Int32Array,
): NonNullable<Outputs['timeline']> {
  const { forward, spanEnd } = labels
  if (!forward) throw new Error('an online conformal method needs forward returns, which the labels do not have')
  const known = (r: number) => spanEnd[r] >= 0 && Number.isFinite(forward[r])
  return {
    time: Float64Array.from(rows, (r) => ts[r]),
    closesAt: Float64Array.from(rows, (r) => (known(r) ? ts[spanEnd[r]] : Number.MAX_VALUE)),
    y: Float64Array.from(rows, (r) => (known(r) ? forward[r] : Number.NaN)),
  }
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

export { shuffled } from '../core/random.js'
