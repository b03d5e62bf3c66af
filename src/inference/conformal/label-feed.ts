/**
 * The time order in which online conformal methods (ACI, EnbPI) learn outcomes. A row's label is known only once its
 * span has closed (labels/: the event end t1), and an online method that learns it earlier leaks the future into
 * every later interval. So the feed is a clock that only moves forward and a book of predictions waiting for their
 * labels, with three rules:
 *
 * 1. a prediction at time `now` for a label closing at `closesAt` needs closesAt > now (a label already closed is
 *    not a prediction), and rows are predicted in increasing order;
 * 2. an outcome is taken at time `now` only when its label has closed (closesAt <= now), and in the order labels
 *    close (closesAt, then row): the one that closed first is fed first;
 * 3. no prediction is made while a closed label waits unfed: the interval at `now` uses everything known at `now`.
 *
 * Together they make the order of updates a function of the data alone, so a batch replay (replayOrder) and a live
 * stream give the same intervals bit for bit. Times are any increasing numbers (bar index, epoch milliseconds).
 */
import { z } from 'zod'

export interface Pending {
  readonly row: number
  readonly closesAt: number
}

/** The feed's state: plain data, so it serialises to JSON as it is. */
export interface Feed<P extends Pending> {
  /** The latest time seen, or null before the first call. */
  clock: number | null
  /** The latest row predicted, or null. */
  lastRow: number | null
  /** Predictions whose outcome has not been fed yet, in row order. */
  pending: P[]
}

export const feedFields = {
  clock: z.number().finite().nullable(),
  lastRow: z.int().nullable(),
}

export function emptyFeed<P extends Pending>(): Feed<P> {
  return { clock: null, lastRow: null, pending: [] }
}

function checkTime<P extends Pending>(feed: Feed<P>, now: number, who: string): void {
  if (!Number.isFinite(now)) throw new Error(`${who}: time ${now} is not finite`)
  if (feed.clock !== null && now < feed.clock)
    throw new Error(`${who}: time ${now} is before ${feed.clock}, already seen (the feed only moves forward)`)
}

/** The pending prediction whose label closes first (ties: the lower row), or -1. */
function firstToClose<P extends Pending>(pending: readonly P[]): number {
  let best = -1
  for (let k = 0; k < pending.length; k++) {
    // Pending is in row order, so a strict comparison keeps the lower row on ties.
    if (best < 0 || pending[k].closesAt < pending[best].closesAt) best = k
  }
  return best
}

/** Admits a prediction of `row` at `now` whose label closes at `closesAt` (rules 1 and 3); the caller adds it. */
export function admitPrediction<P extends Pending>(
  feed: Feed<P>,
  row: number,
  now: number,
  closesAt: number,
  who: string,
): void {
  checkTime(feed, now, who)
  if (!Number.isInteger(row)) throw new Error(`${who}: row ${row} is not an integer`)
  if (feed.lastRow !== null && row <= feed.lastRow)
    throw new Error(`${who}: row ${row} comes after row ${feed.lastRow}, already predicted (rows go in order)`)
  if (!(closesAt > now))
    throw new Error(`${who}: row ${row}'s label closes at ${closesAt}, not after the prediction time ${now}`)
  const first = firstToClose(feed.pending)
  if (first >= 0 && feed.pending[first].closesAt <= now) {
    const p = feed.pending[first]
    throw new Error(
      `${who}: row ${p.row}'s label closed at ${p.closesAt}: feed its outcome before predicting row ${row} at ${now}`,
    )
  }
  feed.clock = now
  feed.lastRow = row
}

/** Takes row's pending prediction out of the feed at `now` (rule 2), or refuses with the reason. */
export function takeOutcome<P extends Pending>(feed: Feed<P>, row: number, now: number, who: string): P {
  checkTime(feed, now, who)
  const k = feed.pending.findIndex((p) => p.row === row)
  if (k < 0) throw new Error(`${who}: row ${row} has no pending prediction (never predicted, or its outcome was fed)`)
  const p = feed.pending[k]
  if (!(p.closesAt <= now))
    throw new Error(`${who}: row ${row}'s label closes at ${p.closesAt}; its outcome is not known at ${now}`)
  const first = feed.pending[firstToClose(feed.pending)]
  if (first.row !== row)
    throw new Error(`${who}: row ${first.row}'s label closed first (at ${first.closesAt}): feed it before row ${row}`)
  feed.clock = now
  feed.pending.splice(k, 1)
  return p
}

/** One step of a replay: predict row, or feed row's outcome. */
export interface FeedEvent {
  readonly kind: 'predict' | 'observe'
  readonly row: number
}

/**
 * The order a live stream meets rows 0..m-1 predicted at `time` (non-decreasing) with labels closing at `closesAt`:
 * before each prediction, every outcome closed by then, in the order labels close. Labels closing after the last
 * time are never fed (they would not be known yet).
 */
export function replayOrder(time: Float64Array, closesAt: Float64Array): FeedEvent[] {
  const m = time.length
  if (closesAt.length !== m) throw new Error(`label feed: ${closesAt.length} label ends for ${m} rows`)
  for (let t = 0; t < m; t++) {
    if (!Number.isFinite(time[t])) throw new Error(`label feed: row ${t}'s time is ${time[t]}`)
    if (t > 0 && time[t] < time[t - 1]) throw new Error(`label feed: row ${t}'s time ${time[t]} goes back`)
    if (!(closesAt[t] > time[t]))
      throw new Error(`label feed: row ${t}'s label closes at ${closesAt[t]}, not after its time ${time[t]}`)
  }
  const byClose = Int32Array.from(time.keys()).sort((a, b) => closesAt[a] - closesAt[b] || a - b)
  const events: FeedEvent[] = []
  let next = 0
  for (let t = 0; t < m; t++) {
    // A label closed by time[t] belongs to an earlier row (closesAt > time and time only grows).
    while (next < m && closesAt[byClose[next]] <= time[t]) events.push({ kind: 'observe', row: byClose[next++] })
    events.push({ kind: 'predict', row: t })
  }
  return events
}
