import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstInvalidUtf8, sniff } from '../../src/data/sniff.js'

test('sniff tells gzip, ZIP and text from their first bytes and names other binary', () => {
  assert.deepEqual(sniff(Buffer.from([0x1f, 0x8b, 8, 0])), { kind: 'gzip' })
  assert.deepEqual(sniff(Buffer.from('PK\x03\x04rest')), { kind: 'zip' })
  assert.deepEqual(sniff(Buffer.from('ts,open,high,low,close\n')), { kind: 'text' })
  assert.deepEqual(sniff(Buffer.from('ts_ütc,open\n')), { kind: 'text' }) // UTF-8 is text
  assert.deepEqual(sniff(Buffer.alloc(0)), { kind: 'text' })
  const what = (bytes: Buffer) => {
    const found = sniff(bytes)
    return found.kind === 'binary' ? found.what : found.kind
  }
  assert.match(what(Buffer.from('PAR1....')), /^a Parquet file/)
  assert.match(what(Buffer.from([0xff, 0xfe, 0x74, 0])), /^UTF-16 text/)
  assert.match(what(Buffer.from('ts,open\0')), /a NUL byte at offset 7/)
  // Only the first KB is checked: a NUL further on is left to the CSV reader.
  assert.equal(what(Buffer.concat([Buffer.alloc(1024, 0x61), Buffer.from([0])])), 'text')
})

test('firstInvalidUtf8 finds the first broken sequence but accepts one cut off by the end of the sample', () => {
  assert.equal(firstInvalidUtf8(Buffer.from('plain ascii')), -1)
  assert.equal(firstInvalidUtf8(Buffer.from('€ and ü')), -1)
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xe9, 0x61])), 1) // latin-1 é
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80])), 1) // an overlong form
  assert.equal(firstInvalidUtf8(Buffer.from('ab€').subarray(0, 4)), -1) // € cut after its first two bytes
})
