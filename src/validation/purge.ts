import { mintTrainIndices, type TrainIndices } from './indices.js'
import type { LabelSpans } from './spans.js'

/** A test block: contiguous sample positions [start, end). */
export interface Block {
  readonly start: number
  readonly end: number
}

export interface PurgedTrain {
  readonly train: TrainIndices
  /** Candidates removed because their label span intersects a test span. */
  readonly purged: number
  /** Candidates removed because they start within `embargo` after a test block's last label end. */
  readonly embargoed: number
}

/**
 * Remove from `candidates` (sample positions, increasing) every sample whose span [t0, t1] intersects the span of any
 * test sample (purge, exact: against the union of test spans, not a distance in rows), then every remaining sample
 * starting in (E, E + embargo] where E is the latest label end of a test block (embargo after each block).
 * Returns dataset rows as TrainIndices.
 */
export function purgeAndEmbargo(
  spans: LabelSpans,
  candidates: Int32Array,
  testBlocks: readonly Block[],
  embargo: number,
): PurgedTrain {
  if (!(embargo >= 0)) throw new Error(`embargo must be >= 0, got ${embargo}`)
  const { t0, t1, row } = spans
  const union = testUnion(spans, testBlocks)
  const ends = testBlocks
    .filter((b) => b.end > b.start)
    .map((b) => {
      let e = -Infinity
      for (let i = b.start; i < b.end; i++) if (t1[i] > e) e = t1[i]
      return e
    })
    .sort((a, b) => a - b)
  const keep: number[] = []
  let purged = 0
  let embargoed = 0
  for (let c = 0; c < candidates.length; c++) {
    const i = candidates[c]
    if (overlapsUnion(union, t0[i], t1[i])) purged++
    else if (embargo > 0 && inEmbargo(ends, t0[i], embargo)) embargoed++
    else keep.push(row[i])
  }
  return { train: mintTrainIndices(Int32Array.from(keep)), purged, embargoed }
}

/** Disjoint sorted intervals covering all test spans: starts[k] <= stops[k] < starts[k+1]. */
interface Union {
  readonly starts: Float64Array
  readonly stops: Float64Array
}

function testUnion(spans: LabelSpans, blocks: readonly Block[]): Union {
  const iv: [number, number][] = []
  for (const b of blocks) for (let i = b.start; i < b.end; i++) iv.push([spans.t0[i], spans.t1[i]])
  iv.sort((a, b) => a[0] - b[0])
  const starts: number[] = []
  const stops: number[] = []
  for (const [a, z] of iv) {
    const k = stops.length - 1
    if (k >= 0 && a <= stops[k]) stops[k] = Math.max(stops[k], z)
    else {
      starts.push(a)
      stops.push(z)
    }
  }
  return { starts: Float64Array.from(starts), stops: Float64Array.from(stops) }
}

/** Does the closed interval [a, z] meet the union? Binary search for the last union interval starting <= z. */
function overlapsUnion(u: Union, a: number, z: number): boolean {
  let lo = 0
  let hi = u.starts.length - 1
  let k = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (u.starts[mid] <= z) {
      k = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return k >= 0 && u.stops[k] >= a
}

/** Is t in (E, E + embargo] for some block end E (ends sorted)? Check the last end below t. */
function inEmbargo(ends: readonly number[], t: number, embargo: number): boolean {
  let lo = 0
  let hi = ends.length - 1
  let k = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (ends[mid] < t) {
      k = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return k >= 0 && t <= ends[k] + embargo
}

/** Sample positions [0, n) not inside any block. */
export function complementOf(n: number, blocks: readonly Block[]): Int32Array {
  const mark = new Uint8Array(n)
  for (const b of blocks) mark.fill(1, b.start, b.end)
  const out: number[] = []
  for (let i = 0; i < n; i++) if (!mark[i]) out.push(i)
  return Int32Array.from(out)
}

/** Dataset rows of the samples in `blocks`. */
export function rowsOf(spans: LabelSpans, blocks: readonly Block[]): Int32Array {
  const out: number[] = []
  for (const b of blocks) for (let i = b.start; i < b.end; i++) out.push(spans.row[i])
  return Int32Array.from(out).sort()
}

/** Split [0, n) into `k` contiguous groups of near-equal size (the first n % k groups one larger). */
export function equalGroups(n: number, k: number): Block[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`number of groups must be an integer >= 2, got ${k}`)
  if (n < k) throw new Error(`cannot split ${n} samples into ${k} groups`)
  const out: Block[] = []
  const base = Math.floor(n / k)
  const extra = n % k
  let s = 0
  for (let g = 0; g < k; g++) {
    const e = s + base + (g < extra ? 1 : 0)
    out.push({ start: s, end: e })
    s = e
  }
  return out
}
