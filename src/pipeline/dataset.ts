import type { Bars } from '../data/bars.js'
import { computeFeatures, type FeatureFrame } from '../features/frame.js'
import { featureMatrix } from '../features/views/matrix.js'
import type { FeatureMatrixView } from '../features/views/types.js'
import { tripleBarrier, type TripleBarrierLabels } from '../labels/triple-barrier.js'
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
}

/** Features and labels over all bars. Rows that are feature warm-up or have no label event are not samples. */
export function buildLabeledFrame(bars: Bars, config: ResolvedConfig): LabeledFrame {
  const frame = computeFeatures(bars, config.features, undefined, originMs(config), baseInterval(config))
  const vol = volatility(bars, config.labels.volatility.estimator, config.labels.volatility.window)
  const labels = tripleBarrier(bars, vol, config.labels.tripleBarrier)
  return { frame, labels, vol }
}

/** Purged, embargoed chronological split over the rows that are samples (usable features and a label event). */
export function splitSamples(lf: LabeledFrame, config: ResolvedConfig, mask: Uint8Array): ChronologicalSplit {
  const t1 = Int32Array.from(lf.labels.t1Index, (t, i) => (mask[i] ? t : -1))
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

/** A seeded permutation (mulberry32 + Fisher-Yates): the same seed always gives the same order. */
export function shuffled(values: Float64Array, seed: number): Float64Array {
  let a = seed >>> 0
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = values.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const tmp = out[i]
    out[i] = out[j]
    out[j] = tmp
  }
  return out
}
