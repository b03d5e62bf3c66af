import { BAR_FIELDS, type BarField } from './bars.js'
import { duckdb, quoteIdent, quoteString } from './parquet.js'
import { resolveColumns, type RawBars, type SourceOptions } from './source.js'
import {
  compileTimestampPattern,
  epochIsWholeMinute,
  epochToMs,
  epochUnitOf,
  namedTimestampFormat,
  parseIso,
  wallToUtc,
  type DetectedFormat,
  type IsoParse,
} from './timestamp.js'

const NUMBER = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\))$/
/** Wall-clock times without a zone; a DATE is its day's midnight (daily bars, data.interval: 1d). */
const NAIVE_TIMESTAMP = /^(TIMESTAMP(_S|_MS|_NS)?|DATE)$/
const TEXT = 'VARCHAR'
const EXPECTED_NUMBER = 'a number (DOUBLE, FLOAT, DECIMAL or an integer type)'

/** A DuckDB type name short enough for a message (a STRUCT's type lists all its fields). */
function shortType(type: string): string {
  return type.length > 60 ? `${type.slice(0, 57)}...` : type
}

/**
 * Refuses columns whose Parquet type cannot hold what they are mapped to (a list, struct, blob or boolean price, a
 * DATE timestamp), before any row is read, naming each such column, its type and what is expected.
 */
function checkColumnTypes(
  file: string,
  names: readonly string[],
  types: readonly string[],
  index: Record<BarField, number>,
  format: string,
): void {
  const problems: string[] = []
  const named = namedTimestampFormat(format)
  const tsType = types[index.ts]
  const isTimestamp = tsType === 'TIMESTAMP WITH TIME ZONE' || NAIVE_TIMESTAMP.test(tsType)
  let tsExpected: string | null = null
  if (named === null || named === 'iso') {
    if (tsType !== TEXT && !isTimestamp) tsExpected = `text (data.timestamp.format is ${format}) or a TIMESTAMP`
  } else if (named !== 'auto') {
    // A TIMESTAMP column carries its own unit, whatever format was named for text or numbers.
    if (!NUMBER.test(tsType) && !isTimestamp) tsExpected = `a number (data.timestamp.format is ${format}) or a TIMESTAMP`
  } else if (!isTimestamp && !NUMBER.test(tsType) && tsType !== TEXT) {
    tsExpected = 'a TIMESTAMP, epoch numbers or ISO-8601 text'
  }
  if (tsExpected !== null) problems.push(`column "${names[index.ts]}" (ts) is ${shortType(tsType)}, expected ${tsExpected}`)
  for (const field of BAR_FIELDS.slice(1)) {
    const col = index[field]
    if (col >= 0 && !NUMBER.test(types[col]) && types[col] !== TEXT) {
      problems.push(`column "${names[col]}" (${field}) is ${shortType(types[col])}, expected ${EXPECTED_NUMBER}`)
    }
  }
  if (problems.length > 0) throw new Error(`${file}: wrong column types: ${problems.join('; ')}`)
}

/** Reads bars from a Parquet file through DuckDB, streaming its chunks into typed arrays. */
export async function readParquetBars(file: string, options: SourceOptions): Promise<RawBars> {
  const csvOnly = [!options.header && 'header', options.names && 'names', options.delimiter && 'delimiter'].filter(Boolean)
  if (csvOnly.length > 0) throw new Error(`${file}: data.${csvOnly.join(', data.')} appl${csvOnly.length > 1 ? 'y' : 'ies'} to CSV files only; a Parquet file names and types its own columns`)
  const conn = await duckdb()
  const source = `read_parquet(${quoteString(file)})`
  let described
  try {
    described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)
  } catch (err) {
    throw new Error(`${file}: cannot read as Parquet (${(err as Error).message.split('\n')[0]})`)
  }
  const rows = described.getRows()
  const names = rows.map((r) => String(r[0]))
  const types = rows.map((r) => String(r[1]).toUpperCase())
  const index = resolveColumns(names, options.columns, file)
  checkColumnTypes(file, names, types, index, options.timestamp.format)
  const tsType = types[index.ts]
  const tsName = quoteIdent(names[index.ts])
  let tsExpr: string
  let tsKind: 'ms' | 'number' | 'text'
  if (tsType === 'TIMESTAMP WITH TIME ZONE') {
    tsExpr = `epoch_ms(${tsName})::DOUBLE`
    tsKind = 'ms'
  } else if (NAIVE_TIMESTAMP.test(tsType)) {
    // A naive timestamp is wall-clock time in the source timezone; it is converted below like naive ISO text.
    tsExpr = `epoch_ms(${tsName}::TIMESTAMP)::DOUBLE`
    tsKind = options.timestamp.timezone === 'UTC' ? 'ms' : 'text'
    if (tsKind === 'text') tsExpr = `strftime(${tsName}::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%g')`
  } else if (NUMBER.test(tsType)) {
    tsExpr = `${tsName}::DOUBLE`
    tsKind = 'number'
  } else {
    tsExpr = `${tsName}::VARCHAR`
    tsKind = 'text'
  }
  const priceExpr = (field: BarField) =>
    index[field] < 0 ? 'NULL::DOUBLE' : `TRY_CAST(${quoteIdent(names[index[field]])} AS DOUBLE)`
  const select = [tsExpr, ...BAR_FIELDS.slice(1).map(priceExpr)].join(', ')
  const result = await conn.stream(`SELECT ${select} FROM ${source}`)

  const toUtc = wallToUtc(options.timestamp.timezone)
  const configured = namedTimestampFormat(options.timestamp.format)
  const pattern = configured === null ? compileTimestampPattern(options.timestamp.format) : null
  if (typeof pattern === 'string') throw new Error(`${file}: ${pattern}`) // the config schema refuses these first
  if (pattern !== null && tsKind !== 'text') {
    throw new Error(`${file}: data.timestamp.format "${pattern.pattern}" reads text, but column "${names[index.ts]}" is ${tsType}`)
  }
  let unit: DetectedFormat | null = configured === 'auto' || configured === 'iso' || configured === null ? null : configured
  const cols: number[][] = BAR_FIELDS.map(() => [])
  let row = 0
  const offMinute = (at: number, text: string): never => {
    throw new Error(`${file}: row ${at}: timestamp ${text} is not on a whole minute: bars open on whole minutes, so seconds and fractions must be zero`)
  }
  for (;;) {
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) break
    const vectors = BAR_FIELDS.map((_, k) => chunk.getColumnVector(k))
    for (let i = 0; i < chunk.rowCount; i++) {
      row++
      const raw = vectors[0].getItem(i)
      let ts: number
      if (raw === null) throw new Error(`${file}: row ${row}: timestamp is null`)
      if (tsKind === 'ms') ts = Number(raw)
      else if (tsKind === 'number') {
        const v = Number(raw)
        const u: DetectedFormat = unit ?? epochUnitOf(v)
        if (unit === null) unit = u
        else if (configured === 'auto' && epochUnitOf(v) !== unit) {
          throw new Error(`${file}: row ${row}: mixed timestamp formats: ${v} is ${epochUnitOf(v)} but earlier rows were ${unit}`)
        }
        if (!epochIsWholeMinute(v, u)) offMinute(row, String(raw))
        ts = epochToMs(v, u)
      } else {
        const text = Buffer.from(String(raw), 'latin1')
        const iso = pattern !== null ? pattern.parse(text, 0, text.length) : parseIso(text, 0, text.length)
        if (typeof iso === 'string') throw new Error(`${file}: row ${row}: timestamp "${String(raw)}": ${iso}`)
        if (!iso) throw new Error(`${file}: row ${row}: timestamp "${String(raw)}" is not ${pattern ? `in data.timestamp.format "${pattern.pattern}"` : 'ISO-8601'}`)
        if (!iso.wholeMinute) offMinute(row, String(raw))
        const offset = pattern === null ? (iso as IsoParse).offsetMinutes : null // a pattern has no offset
        ts = offset === null ? toUtc(iso.wallMs) : iso.wallMs - offset * 60_000
      }
      if (tsKind === 'ms' && ts % 60_000 !== 0) offMinute(row, new Date(ts).toISOString())
      cols[0].push(ts)
      for (let k = 1; k < BAR_FIELDS.length; k++) {
        const v = vectors[k].getItem(i)
        cols[k].push(v === null ? Number.NaN : Number(v))
      }
    }
  }
  if (row === 0) throw new Error(`${file}: the Parquet file has no rows`)
  const [ts, open, high, low, close, volume] = cols.map((c) => Float64Array.from(c))
  return {
    length: row,
    ts,
    open,
    high,
    low,
    close,
    volume,
    sourceRow: Int32Array.from({ length: row }, (_, i) => i + 1),
    rowKind: 'row',
    hasVolume: index.volume >= 0,
    file,
  }
}
