import type { EvalIndices, TrainIndices } from './indices.js'
import { purgeAndEmbargo, rowsOf } from './purge.js'
import type { LabelSpans } from './spans.js'

export interface ChronologicalSplit {
  readonly train: TrainIndices
  readonly val: EvalIndices
  readonly test: EvalIndices
  /** Train samples removed for overlapping val or test spans / inside the embargo after val or test. */
  readonly purged: number
  readonly embargoed: number
  /** The same for val against test (models are selected on val, so its labels must not reach into test). */
  readonly valPurged: number
  readonly valEmbargoed: number
}

/**
 * Chronological train / val / test by sample fractions (default 70/15/15). Train is purged against val and test
 * spans, val against test spans, each with the embargo after the later block.
 */
export function chronologicalSplit(
  spans: LabelSpans,
  fractions: { train: number; val: number; test: number } = { train: 0.7, val: 0.15, test: 0.15 },
  embargo = 0,
): ChronologicalSplit {
  const n = spans.row.length
  const sum = fractions.train + fractions.val + fractions.test
  if (Math.abs(sum - 1) > 1e-9) throw new Error(`split fractions must sum to 1, got ${sum}`)
  const nTrain = Math.floor(n * fractions.train)
  const nVal = Math.floor(n * fractions.val)
  const nTest = n - nTrain - nVal
  if (nTrain < 1 || nTest < 1) throw new Error(`too few samples (${n}) for a train/val/test split`)
  const valBlock = { start: nTrain, end: nTrain + nVal }
  const testBlock = { start: nTrain + nVal, end: n }
  const trainCand = Int32Array.from({ length: nTrain }, (_, i) => i)
  const tr = purgeAndEmbargo(spans, trainCand, [valBlock, testBlock], embargo)
  const valCand = Int32Array.from({ length: nVal }, (_, i) => nTrain + i)
  const va = purgeAndEmbargo(spans, valCand, [testBlock], embargo)
  return {
    train: tr.train,
    // A copy: the purge mints its result as trainable, but nothing may be fitted on val.
    val: Int32Array.from(va.train),
    test: rowsOf(spans, [testBlock]),
    purged: tr.purged,
    embargoed: tr.embargoed,
    valPurged: va.purged,
    valEmbargoed: va.embargoed,
  }
}
