/**
 * Reference distributions: for every feature and every output of a bundle's chain, the quantile bins and their counts
 * (PSI, KL), a grid of quantiles (Wasserstein), and the mean and standard deviation, each over its set of rows (the
 * pack stage takes the features over the training window's rows and the outputs over its validation rows). Built at
 * pack time, stored in the bundle as JSON (checksummed with every other file) and validated with ranges and
 * consistency checks when it is loaded.
 */
import { z } from 'zod'
import { binCount, binIndex, quantileBins } from './bins.js'
import { quantileSorted } from '../core/quantile.js'

/** Quantiles kept per column for the Wasserstein distance, at the mid-probabilities (i + 0.5) / 100. */
export const REFERENCE_QUANTILES = 100

export const REFERENCE_FORMAT = 'mlfactory.drift_reference'

const finite = z.number().finite()
const count = z.number().int().nonnegative()

const columnReferenceSchema = z
  .strictObject({
    name: z.string().min(1),
    /** The feature group (momentum, calendar, ...); null for an output. */
    group: z.string().nullable(),
    /** Finite values the reference saw, and the others: missing (NaN) or unbounded (±Infinity, an interval's end). */
    finite: count,
    missing: count,
    lo: finite,
    hi: finite,
    /** Interior bin edges, strictly increasing, in [lo, hi). */
    edges: z.array(finite),
    /** Reference count of each bin (src/monitor/bins.ts: below lo, the interior bins, above hi, missing). */
    counts: z.array(count),
    mean: finite,
    std: finite.nonnegative(),
    /** REFERENCE_QUANTILES quantiles at the mid-probabilities, ascending; none when no value is finite. */
    quantiles: z.array(finite),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
    if (c.lo > c.hi) issue('hi', `hi ${c.hi} is below lo ${c.lo}`)
    c.edges.forEach((e, k) => {
      if (e < c.lo || e >= c.hi || (k > 0 && e <= c.edges[k - 1]))
        issue('edges', `edge ${k} (${e}) is not strictly increasing inside [lo, hi)`)
    })
    const bins = c.edges.length + 4
    if (c.counts.length !== bins) issue('counts', `${c.counts.length} counts for ${bins} bins`)
    else {
      const inside = c.counts.slice(1, -2).reduce((a, b) => a + b, 0)
      if (c.counts[0] !== 0 || c.counts[bins - 2] !== 0)
        issue('counts', 'the reference has values outside its own [lo, hi]')
      if (inside !== c.finite) issue('counts', `the bins hold ${inside} finite values, finite says ${c.finite}`)
      if (c.counts[bins - 1] !== c.missing)
        issue('counts', `the missing bin holds ${c.counts[bins - 1]}, not ${c.missing}`)
    }
    const q = c.quantiles
    if (q.length !== (c.finite > 0 ? REFERENCE_QUANTILES : 0))
      issue('quantiles', `${q.length} quantiles, expected ${c.finite > 0 ? REFERENCE_QUANTILES : 0}`)
    if (q.some((x, k) => x < c.lo || x > c.hi || (k > 0 && x < q[k - 1])))
      issue('quantiles', 'quantiles must be ascending inside [lo, hi]')
    if (c.finite > 0 && (c.mean < c.lo || c.mean > c.hi)) issue('mean', `mean ${c.mean} is outside [lo, hi]`)
  })

const uniqueNames = (cols: readonly { name: string }[]) => new Set(cols.map((c) => c.name)).size === cols.length

/** Columns over one set of rows: how many rows, and the bars they span (ISO 8601, open times). */
const columnSetSchema = z
  .strictObject({
    rows: z.number().int().positive(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    columns: z.array(columnReferenceSchema).refine(uniqueNames, 'a column is listed twice'),
  })
  .superRefine((set, ctx) => {
    set.columns.forEach((c, i) => {
      if (c.finite + c.missing !== set.rows)
        ctx.addIssue({
          code: 'custom',
          path: ['columns', i, 'finite'],
          message: `${c.name} counts ${c.finite + c.missing} values over ${set.rows} rows`,
        })
    })
  })

export const driftReferenceSchema = z
  .strictObject({
    format: z.literal(REFERENCE_FORMAT),
    version: z.literal(1),
    /** The bars' interval (data.interval): a window given as a duration is this many rows. */
    interval: z.string(),
    /** monitor.bins when the reference was built (at most 100, as the config allows). */
    bins: z.number().int().min(2).max(100),
    features: columnSetSchema,
    outputs: columnSetSchema,
  })
  .superRefine((r, ctx) => {
    // B bins have at most B - 1 interior edges (the monitor keeps each row's bin in a byte).
    for (const kind of ['features', 'outputs'] as const)
      r[kind].columns.forEach((c, i) => {
        if (c.edges.length >= r.bins)
          ctx.addIssue({
            code: 'custom',
            path: [kind, 'columns', i, 'edges'],
            message: `${c.edges.length} interior edges for ${r.bins} bins`,
          })
      })
  })

export type ColumnReference = z.infer<typeof columnReferenceSchema>
export type ColumnSet = z.infer<typeof columnSetSchema>
export type DriftReference = z.infer<typeof driftReferenceSchema>

/** One column's values over the reference rows. */
export interface ReferenceColumn {
  readonly name: string
  /** The feature group; absent for an output. */
  readonly group?: string
  readonly values: Float64Array
}

/** The reference of one column: its bins and counts, quantile grid, mean and standard deviation. */
export function columnReference(column: ReferenceColumn, bins: number): ColumnReference {
  const { name, values } = column
  const finiteValues: number[] = []
  for (let i = 0; i < values.length; i++) {
    const x = values[i]
    if (Number.isFinite(x)) finiteValues.push(x)
  }
  const sorted = Float64Array.from(finiteValues).sort()
  const n = sorted.length
  const b = quantileBins(sorted, bins)
  const counts = new Array<number>(binCount(b)).fill(0)
  for (let i = 0; i < values.length; i++) counts[binIndex(b, values[i])]++
  let mean = 0
  let std = 0
  if (n > 0) {
    for (let i = 0; i < n; i++) mean += sorted[i]
    mean /= n
    // A constant column has std 0 exactly (the two-pass sum of rounded deviations need not be).
    if (b.lo < b.hi) {
      let ss = 0
      for (let i = 0; i < n; i++) ss += (sorted[i] - mean) ** 2
      std = Math.sqrt(ss / n)
    }
    // The mean of many equal values can round just outside them.
    mean = Math.min(b.hi, Math.max(b.lo, mean))
  }
  const quantiles =
    n > 0
      ? Array.from({ length: REFERENCE_QUANTILES }, (_, i) => quantileSorted(sorted, (i + 0.5) / REFERENCE_QUANTILES))
      : []
  return {
    name,
    group: column.group ?? null,
    finite: n,
    missing: values.length - n,
    lo: b.lo,
    hi: b.hi,
    edges: [...b.edges],
    counts,
    mean,
    std,
    quantiles,
  }
}

/** Columns over one set of rows, and the open times (epoch ms) of its first and last row. */
export interface ReferenceColumns {
  readonly from: number
  readonly to: number
  readonly columns: readonly ReferenceColumn[]
}

export interface ReferenceInput {
  readonly interval: string
  readonly bins: number
  readonly features: ReferenceColumns
  readonly outputs: ReferenceColumns
}

function columnSet(kind: string, set: ReferenceColumns, bins: number): ColumnSet {
  const rows = set.columns[0]?.values.length ?? 0
  if (rows === 0) throw new Error(`drift reference: no ${kind} rows`)
  const odd = set.columns.find((c) => c.values.length !== rows)
  if (odd) throw new Error(`drift reference: ${odd.name} has ${odd.values.length} values, the other ${kind} ${rows}`)
  return {
    rows,
    from: new Date(set.from).toISOString(),
    to: new Date(set.to).toISOString(),
    columns: set.columns.map((c) => columnReference(c, bins)),
  }
}

export function buildReference(input: ReferenceInput): DriftReference {
  return {
    format: REFERENCE_FORMAT,
    version: 1,
    interval: input.interval,
    bins: input.bins,
    features: columnSet('features', input.features, input.bins),
    outputs: columnSet('outputs', input.outputs, input.bins),
  }
}

/** A reference parsed from JSON and validated; errors name `what` (the file) and the field. */
export function parseReference(raw: unknown, what: string): DriftReference {
  const parsed = driftReferenceSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${what} is invalid at ${issue.path.join('.') || '(the whole file)'}: ${issue.message}`)
  }
  return parsed.data
}
