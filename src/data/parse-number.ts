/**
 * Decimal parsing straight from bytes, correctly rounded like `Number()`: short decimals (<= 15 significant digits,
 * |exponent| <= 22) take the exact fast path (an exact integer divided or multiplied by an exact power of ten,
 * one rounding); anything else falls back to `Number()` on the field's text.
 */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i)

export const NOT_A_NUMBER = Symbol('not a number')

/** Returns the value, NaN for an empty field or a NaN/Inf spelling, or NOT_A_NUMBER for text that is no number. */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number | typeof NOT_A_NUMBER {
  while (start < end && (buf[start] === 32 || buf[start] === 34)) start++ // spaces, quotes
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 34)) end--
  if (start === end) return Number.NaN
  let i = start
  let negative = false
  if (buf[i] === 45 /* - */ || buf[i] === 43 /* + */) {
    negative = buf[i] === 45
    i++
  }
  let mantissa = 0
  let digits = 0
  let exponent = 0
  let sawDigit = false
  while (i < end && buf[i] >= 48 && buf[i] <= 57) {
    if (mantissa !== 0 || buf[i] !== 48) digits++
    mantissa = mantissa * 10 + (buf[i] - 48)
    sawDigit = true
    i++
  }
  if (i < end && buf[i] === 46 /* . */) {
    i++
    while (i < end && buf[i] >= 48 && buf[i] <= 57) {
      if (mantissa !== 0 || buf[i] !== 48) digits++
      mantissa = mantissa * 10 + (buf[i] - 48)
      exponent--
      sawDigit = true
      i++
    }
  }
  if (i === end && sawDigit && digits <= 15 && exponent >= -22) {
    const v = exponent === 0 ? mantissa : mantissa / POW10[-exponent]
    return negative ? -v : v
  }
  return slowParse(buf, start, end)
}

function slowParse(buf: Uint8Array, start: number, end: number): number | typeof NOT_A_NUMBER {
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1')
  const lower = text.toLowerCase()
  if (lower === 'nan' || lower === 'null' || lower === 'na') return Number.NaN
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity
  if (lower === '-inf' || lower === '-infinity') return -Infinity
  // Number('') and Number(' ') are 0 and Number('0x10') is 16: accept only decimal spellings.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return NOT_A_NUMBER
  return Number(text)
}
