import type { EvalIndices, TrainIndices } from './indices.js'
import { complementOf, equalGroups, purgeAndEmbargo, rowsOf } from './purge.js'
import type { LabelSpans } from './spans.js'

export interface Fold {
  readonly fold: number
  readonly train: TrainIndices
  readonly test: EvalIndices
  readonly purged: number
  readonly embargoed: number
}

/**
 * Purged k-fold: k contiguous test groups in sample order; train = every other sample whose label span does not
 * intersect a test span (on both sides of the test block, unlike a leak found in a popular peer), minus the embargo
 * after the test block.
 */
export function purgedKFold(spans: LabelSpans, folds = 5, embargo = 0): Fold[] {
  const n = spans.row.length
  return equalGroups(n, folds).map((block, fold) => {
    const r = purgeAndEmbargo(spans, complementOf(n, [block]), [block], embargo)
    return { fold, train: r.train, test: rowsOf(spans, [block]), purged: r.purged, embargoed: r.embargoed }
  })
}
