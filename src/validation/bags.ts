/**
 * Bootstrap bags over labelled samples, for models whose held-out predictions calibrate conformal intervals
 * (jackknife+-after-bootstrap, EnbPI). A bag is the set of samples it drew (the caller draws them, e.g. moving
 * blocks); its model trains on those samples once each (multiplicity dropped: not every model takes sample weights,
 * and the held-out guarantee of J+aB holds for subbagging too). A sample outside the bag is held out only if no bag
 * sample's label span comes within `purgeBars` of its own and none starts within `embargoBars` after its span ends:
 * the same purge and embargo as the k-fold splits, with the bag as the training set and each held-out sample as a test
 * block of one.
 */
import { mintTrainIndices, type TrainIndices } from './indices.js'
import { checkSpans, type LabelSpans } from './spans.js'

export interface PurgedBag {
  /** Dataset rows the bag's model trains on (the distinct samples drawn), increasing. */
  readonly train: TrainIndices
  /** Per sample position: 1 when the bag's model may predict it as held out. */
  readonly heldOut: Uint8Array
  /** Samples outside the bag that the purge or embargo kept from being held out. */
  readonly purged: number
}

/** `inBag[i]` is nonzero when sample position i was drawn. */
export function purgedBag(spans: LabelSpans, inBag: Uint8Array, purgeBars: number, embargoBars: number): PurgedBag {
  checkSpans(spans)
  const n = spans.row.length
  if (inBag.length !== n) throw new Error(`bag: a mask of ${inBag.length} samples for ${n} spans`)
  for (const [name, v] of [
    ['purge_bars', purgeBars],
    ['embargo_bars', embargoBars],
  ] as const)
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`bag: ${name} must be an integer >= 0, got ${v}`)
  const { t0, t1 } = spans
  const train: number[] = []
  for (let i = 0; i < n; i++) if (inBag[i]) train.push(spans.row[i])
  if (train.length === 0) throw new Error('bag: no sample was drawn')
  // Sample j meets held-out candidate i when t0[j] <= t1[i] + purge + embargo (it starts before i's widened span and
  // embargo end) and t1[j] + purge >= t0[i] (it ends after i's span starts, less the purge). t0 is non-decreasing, so
  // the bag samples passing the first test are a prefix; the latest end among them decides the second.
  const heldOut = new Uint8Array(n)
  let purged = 0
  let j = 0
  let maxEnd = -Infinity
  for (let i = 0; i < n; i++) {
    while (j < n && t0[j] <= t1[i] + purgeBars + embargoBars) {
      if (inBag[j] && t1[j] > maxEnd) maxEnd = t1[j]
      j++
    }
    if (inBag[i]) continue
    if (maxEnd + purgeBars >= t0[i]) purged++
    else heldOut[i] = 1
  }
  return { train: mintTrainIndices(Int32Array.from(train)), heldOut, purged }
}
