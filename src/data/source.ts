import { z } from 'zod'
import { BAR_FIELDS, type BarField, type Bars } from './bars.js'
import { DELIMITERS } from './csv-line.js'
import { compileTimestampPattern, NAMED_TIMESTAMP_FORMATS, namedTimestampFormat } from './timestamp.js'
import { editDistance } from '../core/suggest.js'

/** How a source file maps onto bars: its format, column names and timestamp convention. */
export const sourceOptionsSchema = z
  .object({
    format: z.enum(['auto', 'csv', 'parquet']).default('auto'),
    /** CSV: whether the first line names the columns; without one, `names` gives the columns in order. */
    header: z.boolean().default(true),
    /** CSV without a header: the name of each column by position, read like header names (aliases, `columns`). */
    names: z.array(z.string().min(1)).min(2).max(256).optional(),
    /** CSV field delimiter; found on the first line among `,` `;` tab `|` when unset. */
    delimiter: z.enum(Object.keys(DELIMITERS) as [string, ...string[]]).optional(),
    /** Source column name per bar field; unset fields are found by common names (ts_utc, timestamp, open_time, o...). */
    columns: z
      .object({
        ts: z.string().optional(),
        open: z.string().optional(),
        high: z.string().optional(),
        low: z.string().optional(),
        close: z.string().optional(),
        /** null: the file has no volume to read (a volume-like column it holds is then deliberately left out). */
        volume: z.string().nullable().optional(),
      })
      .strict()
      .default({}),
    timestamp: z
      .object({
        /** auto, iso, epoch_s/ms/us/ns, or a strftime-style pattern such as '%Y%m%d %H%M%S' (see compileTimestampPattern). */
        format: z.string().default('auto').superRefine(checkTimestampFormat),
        /** Timezone of timestamps that carry no offset: UTC, an offset like -05:00, or an IANA name. */
        timezone: z.string().default('UTC'),
      })
      .strict()
      .default({ format: 'auto', timezone: 'UTC' }),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (!o.header && o.names === undefined) {
      ctx.addIssue({ code: 'custom', path: ['names'], message: 'header: false needs names: the name of each column in order, e.g. [ts, open, high, low, close, volume]' })
    }
    if (o.header && o.names !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['names'], message: 'names is for files without a header row (header: false); a file with a header names its own columns (map them with columns)' })
    }
  })

function checkTimestampFormat(format: string, ctx: z.RefinementCtx): void {
  if (namedTimestampFormat(format) !== null) return
  if (!format.includes('%')) {
    ctx.addIssue({ code: 'custom', message: `unknown timestamp format "${format}": use ${NAMED_TIMESTAMP_FORMATS.join(', ')} or a pattern such as '%Y%m%d %H%M%S'` })
    return
  }
  const compiled = compileTimestampPattern(format)
  if (typeof compiled === 'string') ctx.addIssue({ code: 'custom', message: compiled })
}

export type SourceOptions = z.infer<typeof sourceOptionsSchema>

/** Bars as read, before validation, with where each row came from. */
export interface RawBars extends Bars {
  /** For CSV the 1-based line number in the file (the header is line 1); for Parquet the 1-based row number. */
  readonly sourceRow: Int32Array
  readonly rowKind: 'line' | 'row'
  readonly hasVolume: boolean
  readonly file: string
}

const ALIASES: Record<BarField, readonly string[]> = {
  ts: ['ts', 'ts_utc', 'timestamp', 'time', 'datetime', 'date_time', 'date', 'open_time', 'opentime', 'ts_event'],
  open: ['open', 'o', 'open_price'],
  high: ['high', 'h', 'high_price'],
  low: ['low', 'l', 'low_price'],
  close: ['close', 'c', 'close_price', 'last'],
  volume: ['volume', 'v', 'vol', 'base_volume', 'qty'],
}

function normalize(name: string): string {
  return name
    .trim()
    .replace(/^\uFEFF/, '')
    .replace(/^"|"$/g, '')
    .trim()
    .toLowerCase()
}

/**
 * Index of each bar field among `header` names. Volume may be absent (no volume in the data); every other field
 * must be found, else the error names the file, the missing field, what the header holds and the closest name.
 */
export function resolveColumns(
  header: readonly string[],
  columns: SourceOptions['columns'],
  where: string,
): Record<BarField, number> {
  const names = header.map(normalize)
  const out = {} as Record<BarField, number>
  const unused = names.filter((n) => !Object.values(ALIASES).some((a) => a.includes(n)))
  for (const field of BAR_FIELDS) {
    const wanted = columns[field]
    let index = -1
    if (wanted === null) {
      out[field] = -1 // only volume may be null (the schema)
      continue
    }
    if (wanted !== undefined) {
      index = names.indexOf(normalize(wanted))
      if (index < 0) {
        throw new Error(
          `${where}: column "${wanted}" (configured for ${field}) is not in the header; header has: ${header.join(', ')}`,
        )
      }
    } else {
      index = names.findIndex((n) => ALIASES[field].includes(n))
    }
    if (index < 0 && field === 'volume') {
      const lookalike = volumeLookalike(unused)
      if (lookalike !== null) {
        const original = header[names.indexOf(lookalike)].trim()
        throw new Error(
          `${where}: header has no volume column; did you mean "${original}"? ` +
            `Map it with data.columns.volume: "${original}", or set data.columns.volume: null to read the file without volume`,
        )
      }
    }
    if (index < 0 && field !== 'volume') {
      const close = unused
        .map((n) => ({ n, d: Math.min(...ALIASES[field].map((a) => editDistance(n, a))) }))
        .sort((a, b) => a.d - b.d)[0]
      const hint = close && close.d <= 2 ? `; did you mean "${close.n}"? (misspelled header?)` : ''
      throw new Error(
        `${where}: header has no column for ${field} (found: ${header.join(', ')})${hint}; ` +
          `name it ${ALIASES[field].slice(0, 3).join('/')} or map it with data.columns.${field}`,
      )
    }
    out[field] = index
  }
  return out
}

/**
 * A header name (normalized, not an alias of any field) that is most likely the volume under another spelling: one
 * naming volume (`Volume (FIL)`, `quote_volume`, `VolumeUSDT`) or a near-miss of `volume` (`volme`). Short aliases
 * (`v`, `vol`) are left out of the near-miss test, which would otherwise match any short name such as a trade count `n`.
 */
function volumeLookalike(unused: readonly string[]): string | null {
  // `vol` only as a word of its own (`vol_usdt`, `Vol (FIL)`), so that `volatility` or `volume_weighted_price`-like
  // analytics columns are not taken for it; `volume` anywhere, except a volume-weighted figure.
  const naming = (n: string) => /(^|[^a-z])vol([^a-z]|$)/.test(n) || (n.includes('volume') && !/weighted|vwap/.test(n))
  return unused.find(naming) ?? unused.find((n) => editDistance(n, 'volume') <= 2) ?? null
}
