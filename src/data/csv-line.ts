/**
 * Splitting one CSV line into fields. The ingest loop splits plain lines itself (the hot path); lines holding a
 * quote come here: RFC 4180 quoting, where a quoted field may contain the delimiter and `""` stands for one quote.
 */

const QUOTE = 34
const SPACE = 32
const COMMA = 44
const DOT = 46

/** Delimiters recognised when none is configured, by their byte. */
export const DELIMITERS: Record<string, number> = { ',': 44, ';': 59, '\t': 9, '|': 124 }

/** Where a split line's fields are: field k is `bytes[starts[k], ends[k])`; fields past the arrays' length are counted only. */
export interface FieldSlots {
  readonly bytes: Buffer
  readonly starts: Int32Array
  readonly ends: Int32Array
}

const isDigit = (c: number) => c >= 48 && c <= 57

/**
 * The end of `buf[start, end)` after removing thousands separators, when the field is a number grouped by commas
 * (`1,234.56`, `-12,345`); the end unchanged otherwise (`1,2` stays as it is: a decimal comma is no grouping).
 */
export function dropThousandsSeparators(buf: Buffer, start: number, end: number): number {
  let i = start
  if (buf[i] === 45 || buf[i] === 43) i++
  const lead = i
  while (i < end && isDigit(buf[i])) i++
  if (i === lead || i - lead > 3 || i === end || buf[i] !== COMMA) return end
  while (i < end && buf[i] === COMMA) {
    if (!(i + 3 < end && isDigit(buf[i + 1]) && isDigit(buf[i + 2]) && isDigit(buf[i + 3]))) return end
    i += 4
  }
  if (i < end) {
    if (buf[i] !== DOT) return end
    i++
    while (i < end && isDigit(buf[i])) i++
    if (i !== end) return end
  }
  let w = start
  for (let r = start; r < end; r++) if (buf[r] !== COMMA) buf[w++] = buf[r]
  return w
}

/**
 * Splits the RFC 4180 line `buf[start, end)` into `out.bytes` (quotes removed, `""` made one quote; a quoted number
 * loses its thousands separators). Returns the number of fields, or a message saying what is malformed.
 */
export function splitQuotedLine(buf: Buffer, start: number, end: number, delimiter: number, out: FieldSlots): number | string {
  const { bytes, starts, ends } = out
  let n = 0
  let w = 0
  let i = start
  for (;;) {
    const fieldStart = w
    let j = i
    while (j < end && buf[j] === SPACE) j++
    if (j < end && buf[j] === QUOTE) {
      i = j + 1
      for (;;) {
        if (i >= end) return `field ${n + 1} opens a quote that is not closed on this line`
        if (buf[i] === QUOTE) {
          if (i + 1 < end && buf[i + 1] === QUOTE) {
            bytes[w++] = QUOTE
            i += 2
            continue
          }
          i++
          break
        }
        bytes[w++] = buf[i++]
      }
      while (i < end && buf[i] === SPACE) i++
      if (i < end && buf[i] !== delimiter) return `field ${n + 1} has text after its closing quote`
      w = dropThousandsSeparators(bytes, fieldStart, w)
    } else {
      while (i < end && buf[i] !== delimiter) {
        if (buf[i] === QUOTE) return `field ${n + 1} holds a quote but is not quoted; quote the whole field and double the quotes inside ("")`
        bytes[w++] = buf[i++]
      }
    }
    if (n < starts.length) {
      starts[n] = fieldStart
      ends[n] = w
    }
    n++
    if (i >= end) return n
    i++ // the delimiter
  }
}

/** The delimiter of a first line: the candidate found most often outside quotes (`,` when none is). */
export function detectDelimiter(buf: Buffer, start: number, end: number): number {
  const counts = new Map<number, number>()
  let inQuotes = false
  for (let i = start; i < end; i++) {
    const c = buf[i]
    if (c === QUOTE) inQuotes = !inQuotes
    else if (!inQuotes) counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let best = COMMA
  let bestCount = 0
  for (const byte of Object.values(DELIMITERS)) {
    const count = counts.get(byte) ?? 0
    if (count > bestCount) {
      best = byte
      bestCount = count
    }
  }
  return best
}
