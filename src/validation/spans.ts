/**
 * Label spans: sample i is dataset row `row[i]` whose label used data from t0[i] to t1[i] inclusive.
 * t0/t1 are in one monotone coordinate (bar indices or epoch ms); the embargo is in the same unit.
 * Samples are ordered: `row` strictly increasing, t0 non-decreasing, t1 >= t0.
 */
export interface LabelSpans {
  readonly row: Int32Array
  readonly t0: Float64Array
  readonly t1: Float64Array
}

/** Spans from a per-row end index (e.g. triple-barrier `t1Index`, -1 = no event): t0 = the row itself. */
export function spansFromT1Index(t1Index: Int32Array): LabelSpans {
  let m = 0
  for (let i = 0; i < t1Index.length; i++) if (t1Index[i] >= 0) m++
  const row = new Int32Array(m)
  const t0 = new Float64Array(m)
  const t1 = new Float64Array(m)
  let k = 0
  for (let i = 0; i < t1Index.length; i++) {
    if (t1Index[i] < 0) continue
    row[k] = i
    t0[k] = i
    t1[k] = t1Index[i]
    k++
  }
  return checkSpans({ row, t0, t1 })
}

/** Spans with a fixed horizon h for every row 0..n-1 whose horizon fits in the data (forward-return targets). */
export function spansForHorizon(n: number, h: number): LabelSpans {
  const t1Index = new Int32Array(n).fill(-1)
  for (let i = 0; i + h < n; i++) t1Index[i] = i + h
  return spansFromT1Index(t1Index)
}

export function checkSpans(s: LabelSpans): LabelSpans {
  const n = s.row.length
  if (s.t0.length !== n || s.t1.length !== n) {
    throw new Error(`label spans: row/t0/t1 lengths differ (${n}, ${s.t0.length}, ${s.t1.length})`)
  }
  for (let i = 0; i < n; i++) {
    if (!(s.t1[i] >= s.t0[i]))
      throw new Error(`label spans: sample ${i} (row ${s.row[i]}) has t1 ${s.t1[i]} < t0 ${s.t0[i]}`)
    if (i > 0 && s.row[i] <= s.row[i - 1]) throw new Error(`label spans: rows not strictly increasing at sample ${i}`)
    if (i > 0 && s.t0[i] < s.t0[i - 1]) throw new Error(`label spans: t0 decreases at sample ${i} (row ${s.row[i]})`)
  }
  return s
}

/** Compress sorted rows into inclusive [first, last] ranges (for JSON reports). */
export function toRanges(rows: Int32Array): [number, number][] {
  const out: [number, number][] = []
  for (let i = 0; i < rows.length; i++) {
    const last = out[out.length - 1]
    if (last && rows[i] === last[1] + 1) last[1] = rows[i]
    else out.push([rows[i], rows[i]])
  }
  return out
}
