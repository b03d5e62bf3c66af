import { test } from 'node:test'
import assert from 'node:assert/strict'
import { detectDelimiter, dropThousandsSeparators, splitQuotedLine } from '../../src/data/csv-line.js'

const split = (line: string, delimiter = ',') => {
  const buf = Buffer.from(line)
  const out = { bytes: Buffer.alloc(256), starts: new Int32Array(8), ends: new Int32Array(8) }
  const n = splitQuotedLine(buf, 0, buf.length, delimiter.charCodeAt(0), out)
  return typeof n === 'string' ? n : Array.from({ length: n }, (_, k) => out.bytes.toString('utf8', out.starts[k], out.ends[k]))
}

test('splitQuotedLine reads RFC 4180 fields: delimiters and doubled quotes inside quotes, empty fields', () => {
  assert.deepEqual(split('a,"b,c","say ""hi""",,"",x'), ['a', 'b,c', 'say "hi"', '', '', 'x'])
  assert.deepEqual(split('"1,234.56";"2.5";3', ';'), ['1234.56', '2.5', '3'])
  assert.deepEqual(split('a, "b" ,c'), ['a', 'b', 'c']) // spaces around a quoted field
  assert.equal(split('a,"b'), 'field 2 opens a quote that is not closed on this line')
  assert.equal(split('a,"b"c'), 'field 2 has text after its closing quote')
  assert.match(split('a,b"c') as string, /^field 2 holds a quote but is not quoted/)
})

test('thousands separators are dropped only from numbers grouped by threes', () => {
  const drop = (text: string) => {
    const buf = Buffer.from(text)
    return buf.toString('latin1', 0, dropThousandsSeparators(buf, 0, buf.length))
  }
  assert.equal(drop('1,234.56'), '1234.56')
  assert.equal(drop('-12,345,678'), '-12345678')
  assert.equal(drop('1,2'), '1,2') // a decimal comma, not a grouping
  assert.equal(drop('1234,567'), '1234,567')
  assert.equal(drop('1,234,56'), '1,234,56')
  assert.equal(drop('1,234.5x'), '1,234.5x')
})

test('detectDelimiter picks the candidate seen most often outside quotes', () => {
  const detect = (line: string) => String.fromCharCode(detectDelimiter(Buffer.from(line), 0, line.length))
  assert.equal(detect('20180102 170000;2683.73;2684.0;2683.5;2683.73;0'), ';')
  assert.equal(detect('ts|open|high|low|close'), '|')
  assert.equal(detect('ts\topen\thigh'), '\t')
  assert.equal(detect('"a;b;c",x,y'), ',')
  assert.equal(detect('single'), ',')
})
