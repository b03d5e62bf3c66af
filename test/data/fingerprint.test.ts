import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { ingestFile } from '../../src/data/ingest.js'
import { fingerprintBars } from '../../src/data/fingerprint.js'
import { writeParquet } from '../../src/data/parquet.js'
import { SAMPLE, tempDir } from '../helpers.js'

test('the fingerprint is identical whether the same bars come from CSV.gz or Parquet, and changes with any value', async () => {
  const fromCsv = await ingestFile(SAMPLE)
  const b = fromCsv.bars
  const path = join(tempDir(), 'sample.parquet')
  await writeParquet(path, [
    { name: 'ts_utc', type: 'TIMESTAMP_MS', values: b.ts },
    { name: 'open', type: 'DOUBLE', values: b.open },
    { name: 'high', type: 'DOUBLE', values: b.high },
    { name: 'low', type: 'DOUBLE', values: b.low },
    { name: 'close', type: 'DOUBLE', values: b.close },
    { name: 'volume', type: 'DOUBLE', values: b.volume },
  ])
  const fromParquet = await ingestFile(path)
  assert.equal(fromParquet.bars.length, b.length)
  assert.equal(fromParquet.report.row_kind, 'row')
  assert.equal(fromParquet.report.fingerprint, fromCsv.report.fingerprint)

  const changed = { ...b, close: b.close.slice() }
  changed.close[123] += 1e-9
  assert.notEqual(fingerprintBars(changed), fromCsv.report.fingerprint)
})

test('NaN volume has one canonical form in the fingerprint', () => {
  const mk = (v: number) => ({
    length: 1,
    ts: new Float64Array([0]),
    open: new Float64Array([1]),
    high: new Float64Array([1]),
    low: new Float64Array([1]),
    close: new Float64Array([1]),
    volume: new Float64Array([v]),
  })
  const odd = new Float64Array(1)
  new Uint32Array(odd.buffer).set([1, 0x7ff80000])
  assert.equal(fingerprintBars(mk(Number.NaN)), fingerprintBars(mk(odd[0])))
  assert.notEqual(fingerprintBars(mk(Number.NaN)), fingerprintBars(mk(0)))
})
