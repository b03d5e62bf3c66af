import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseCsvTable, splitCsvLine } from '../../src/data/csv-table.js'

test('a CSV table keeps every row verbatim, with quoted fields, CRLF, a BOM and blank lines handled', () => {
  const t = parseCsvTable('\uFEFFa, b ,c\r\n1,"x, ""y""",3\r\n\r\n4,,6\n', 'f.csv')
  assert.deepEqual(t.header, ['a', 'b', 'c'])
  assert.equal(t.headerText, 'a, b ,c')
  assert.deepEqual(
    t.rows.map((r) => [r.line, r.text, r.fields]),
    [
      [2, '1,"x, ""y""",3', ['1', 'x, "y"', '3']],
      [4, '4,,6', ['4', '', '6']],
    ],
  )
})

test('a malformed CSV table is an error naming the file and line', () => {
  assert.throws(() => parseCsvTable('a,b\n1,2\n3\n', 'f.csv'), /f\.csv:3: 1 fields, but the header names 2 columns/)
  assert.throws(() => parseCsvTable('a,b\n1,"2\n', 'f.csv'), /f\.csv:2: field 2 opens a quote that is not closed/)
  assert.throws(() => parseCsvTable('a,a\n', 'f.csv'), /f\.csv:1: the header names column "a" twice/)
  assert.throws(() => parseCsvTable('\n\n', 'f.csv'), /f\.csv: the file is empty/)
  assert.equal(typeof splitCsvLine('1,2"3'), 'string')
})
