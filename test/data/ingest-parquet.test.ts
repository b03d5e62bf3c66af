import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { dataConfigSchema, readRawBars } from '../../src/data/ingest.js'
import { duckdb, quoteString } from '../../src/data/parquet.js'
import { tempDir } from '../helpers.js'

/** Write the rows of a DuckDB SELECT (over i = 0, 1, 2) to a Parquet file. */
async function parquetOf(name: string, columns: string): Promise<string> {
  const path = join(tempDir(), name)
  const conn = await duckdb()
  await conn.run(`COPY (SELECT ${columns} FROM range(3) t(i)) TO ${quoteString(path)} (FORMAT PARQUET)`)
  return path
}

const TS = `TIMESTAMP '2023-08-01 00:00:00' + INTERVAL (i) MINUTE AS ts`
const PRICES = '10.0 + i AS open, 11.0 + i AS high, 9.0 + i AS low, 10.5 + i AS close'

async function rejects(path: string, pattern: RegExp, over: Record<string, unknown> = {}) {
  await assert.rejects(readRawBars(path, dataConfigSchema.parse(over)), (err: Error) => {
    assert.ok(err.message.startsWith(`${path}: `), `message names the file: ${err.message}`)
    assert.ok(err.message.length < 600, `one short message, not ${err.message.length} characters`)
    assert.match(err.message, pattern)
    return true
  })
}

test('Parquet columns of the wrong type are named with their type and what is expected, before any row is read', async () => {
  const ok = await readRawBars(await parquetOf('ok.parquet', `${TS}, ${PRICES}, 5::BIGINT AS volume`))
  assert.deepEqual([...ok.close], [10.5, 11.5, 12.5])
  const wide = `{${Array.from({ length: 400 }, (_, k) => `'field_${k}': i`).join(', ')}}`
  const wrong = await parquetOf(
    'wrong.parquet',
    `${TS}, [1.0, 2.0] AS open, ${wide} AS high, 'x'::BLOB AS low, i > 0 AS close, 'many'::VARCHAR AS volume`,
  )
  await rejects(
    wrong,
    /wrong column types: column "open" \(open\) is DECIMAL\(2,1\)\[\], expected a number .*; column "high" \(high\) is STRUCT\(.*\.\.\., expected a number .*; column "low" \(low\) is BLOB, expected .*; column "close" \(close\) is BOOLEAN, expected a number \(DOUBLE, FLOAT, DECIMAL or an integer type\)$/,
  )
  // A DATE is a day's midnight: daily bars (whether they are the configured interval is validation's to say).
  const dated = await readRawBars(await parquetOf('date.parquet', `DATE '2023-08-01' + i::INTEGER AS ts, ${PRICES}`))
  assert.deepEqual([...dated.ts], [0, 1, 2].map((d) => Date.UTC(2023, 7, 1 + d)))
  // A TIMESTAMP column whatever format was named for text or numbers.
  const stamped = await readRawBars(await parquetOf('stamped.parquet', `${TS}, ${PRICES}`), dataConfigSchema.parse({ timestamp: { format: 'epoch_ms' } }))
  assert.equal(stamped.ts[1], Date.UTC(2023, 7, 1, 0, 1))
  const epochs = await parquetOf('epoch.parquet', `(1690848000 + 60 * i)::BIGINT AS ts, ${PRICES}`)
  await rejects(epochs, /column "ts" \(ts\) is BIGINT, expected text \(data\.timestamp\.format is iso\) or a TIMESTAMP/, {
    timestamp: { format: 'iso' },
  })
})

test('Parquet refuses CSV-only source options instead of ignoring them', async () => {
  const path = await parquetOf('bars.parquet', `${TS}, ${PRICES}`)
  await rejects(path, /data\.delimiter applies to CSV files only/, { delimiter: ';' })
  await rejects(path, /data\.header, data\.names apply to CSV files only/, { header: false, names: ['ts', 'open', 'high', 'low', 'close'] })
})

test('Parquet timestamps off the whole minute or on dates that do not exist name the row', async () => {
  const seconds = await parquetOf('sec.parquet', `TIMESTAMP '2023-08-01 00:00:00' + INTERVAL (i * 30) SECOND AS ts, ${PRICES}`)
  await rejects(seconds, /: row 2: timestamp 2023-08-01T00:00:30\.000Z is not on a whole minute/)
  const epochs = await parquetOf('epoch.parquet', `(1690848000 + 30 * i)::BIGINT AS ts, ${PRICES}`)
  await rejects(epochs, /: row 2: timestamp 1690848030 is not on a whole minute/)
  const text = await parquetOf('text.parquet', `['2023-09-30 00:00', '2023-09-31 00:00', '2023-10-01 00:00'][i + 1] AS ts, ${PRICES}`)
  await rejects(text, /: row 2: timestamp "2023-09-31 00:00": impossible date: September 2023 has 30 days/)
})
