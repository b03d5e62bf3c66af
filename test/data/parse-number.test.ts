import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NOT_A_NUMBER, parseDecimal } from '../../src/data/parse-number.js'

const parse = (s: string) => {
  const b = Buffer.from(s, 'latin1')
  return parseDecimal(b, 0, b.length)
}

test('parseDecimal equals Number() bit for bit on random decimals', () => {
  let seed = 12345
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (let k = 0; k < 200_000; k++) {
    const intDigits = Math.floor(rand() * 7)
    const fracDigits = Math.floor(rand() * 12)
    let s = rand() < 0.1 ? '-' : ''
    for (let i = 0; i < intDigits; i++) s += Math.floor(rand() * 10)
    if (intDigits === 0) s += '0'
    if (fracDigits > 0) s += '.'
    for (let i = 0; i < fracDigits; i++) s += Math.floor(rand() * 10)
    assert.equal(Object.is(parse(s), Number(s)), true, s)
  }
})

test('parseDecimal handles long mantissas, exponents, quotes and spaces like Number()', () => {
  for (const s of ['1234567890.123456789', '0.1000000000000000055511151231257827', '1e-7', '2.5E+3', '.5', '5.', '-0.0']) {
    assert.equal(Object.is(parse(s), Number(s)), true, s)
  }
  assert.equal(parse('"2668.25"'), 2668.25)
  assert.equal(parse(' 12.5 '), 12.5)
})

test('parseDecimal separates missing values from text that is not a number', () => {
  assert.ok(Number.isNaN(parse('') as number))
  assert.ok(Number.isNaN(parse('NaN') as number))
  assert.equal(parse('inf'), Infinity)
  assert.equal(parse('abc'), NOT_A_NUMBER)
  assert.equal(parse('1.2.3'), NOT_A_NUMBER)
  assert.equal(parse('0x10'), NOT_A_NUMBER)
  assert.equal(parse('12a'), NOT_A_NUMBER)
})
