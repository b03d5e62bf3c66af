import { BIGINT, DOUBLE, DuckDBDataChunk, DuckDBInstance, INTEGER, VARCHAR, type DuckDBConnection } from '@duckdb/node-api'

/** DuckDB's standard vector size: rows per appended chunk. */
const CHUNK_ROWS = 2048
import { rename, rm } from 'node:fs/promises'
import { removeStaleTempsOf, tempPathFor } from '../core/files.js'

export type ParquetColumn =
  | { readonly name: string; readonly type: 'DOUBLE'; readonly values: Float64Array }
  | { readonly name: string; readonly type: 'INTEGER'; readonly values: Int32Array }
  | { readonly name: string; readonly type: 'TIMESTAMP_MS'; readonly values: Float64Array }
  | { readonly name: string; readonly type: 'VARCHAR'; readonly values: readonly string[] }

let shared: Promise<DuckDBConnection> | null = null

/** One in-process DuckDB connection for IO (in memory; nothing is written unless asked). */
export function duckdb(): Promise<DuckDBConnection> {
  shared ??= DuckDBInstance.create(':memory:', { threads: '2' }).then((db) => db.connect())
  return shared
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

export function quoteString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

/** Write equal-length columns to a Parquet file (zstd), atomically: a temp file renamed into place. */
export async function writeParquet(path: string, columns: readonly ParquetColumn[]): Promise<void> {
  const n = columns[0]?.values.length ?? 0
  for (const c of columns) {
    if (c.values.length !== n) throw new Error(`writeParquet ${path}: column ${c.name} has ${c.values.length} rows, expected ${n}`)
  }
  await removeStaleTempsOf(path)
  const conn = await duckdb()
  const table = `w_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e9)}`
  // Timestamps are appended as epoch-ms integers and turned into TIMESTAMP columns when copied out.
  const sqlType = (t: ParquetColumn['type']) => (t === 'TIMESTAMP_MS' ? 'BIGINT' : t)
  const select = columns
    .map((c) => (c.type === 'TIMESTAMP_MS' ? `epoch_ms(${quoteIdent(c.name)}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)))
    .join(', ')
  await conn.run(`CREATE TEMP TABLE ${table} (${columns.map((c) => `${quoteIdent(c.name)} ${sqlType(c.type)}`).join(', ')})`)
  try {
    // Rows go in as DuckDB data chunks (one vector-size slice of every column at a time), not cell by cell.
    const appender = await conn.createAppender(table)
    const types = columns.map((c) => (c.type === 'INTEGER' ? INTEGER : c.type === 'VARCHAR' ? VARCHAR : c.type === 'DOUBLE' ? DOUBLE : BIGINT))
    for (let start = 0; start < n; start += CHUNK_ROWS) {
      const end = Math.min(n, start + CHUNK_ROWS)
      const chunk = DuckDBDataChunk.create(types, end - start)
      columns.forEach((c, j) => {
        const values: (number | bigint | string | null)[] = new Array(end - start)
        for (let i = start; i < end; i++) {
          const v = c.values[i]
          values[i - start] =
            c.type === 'TIMESTAMP_MS' ? BigInt(v as number) : c.type === 'DOUBLE' && Number.isNaN(v as number) ? null : v
        }
        chunk.setColumnValues(j, values as never)
      })
      appender.appendDataChunk(chunk)
    }
    appender.closeSync()
    const tmp = tempPathFor(path)
    await conn.run(`COPY (SELECT ${select} FROM ${table}) TO ${quoteString(tmp)} (FORMAT PARQUET, COMPRESSION ZSTD)`)
    await rename(tmp, path)
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`)
  }
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true, recursive: true })
}
