/**
 * What a data file is, told from its first bytes rather than its name: gzip, ZIP, or text; anything else (Parquet,
 * other archives, spreadsheets, binary) gets a one-line description instead of its bytes echoed as a CSV header.
 */
export type Sniffed = { readonly kind: 'text' | 'gzip' | 'zip' } | { readonly kind: 'binary'; readonly what: string }

/** How many leading bytes of content are checked for being text. */
export const SNIFF_BYTES = 1024

const MAGIC: readonly { readonly bytes: readonly number[]; readonly what: string }[] = [
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file (it starts with PAR1); name it .parquet or set data.format: parquet' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel/Office document (.xls); export the sheet as CSV' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf], what: 'a 7-Zip archive; unpack it first' },
  { bytes: [0x42, 0x5a, 0x68], what: 'a bzip2 file; decompress it or recompress it with gzip' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a], what: 'an xz file; decompress it or recompress it with gzip' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'a Zstandard file; decompress it or recompress it with gzip' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text; save it as UTF-8' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text; save it as UTF-8' },
]

const startsWith = (head: Uint8Array, bytes: readonly number[]) => bytes.every((b, i) => head[i] === b)

/** Control characters that text files hold: tab, line feed, vertical tab, form feed, carriage return. */
const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d])

/** How many bytes of `head` break UTF-8, and the first of them (-1 when none). */
export function invalidUtf8Count(head: Uint8Array): { count: number; first: number } {
  let count = 0
  let first = -1
  for (let at = 0; at < head.length; ) {
    const bad = firstInvalidUtf8(head.subarray(at))
    if (bad < 0) break
    if (first < 0) first = at + bad
    count++
    at += bad + 1
  }
  return { count, first }
}

/** Offset of the first byte that breaks UTF-8 in `head`, or -1 (a sequence cut off by the end of `head` is fine). */
export function firstInvalidUtf8(head: Uint8Array): number {
  let i = 0
  while (i < head.length) {
    const c = head[i]
    if (c < 0x80) {
      i++
      continue
    }
    const length = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0
    if (length === 0) return i
    for (let k = 1; k < length; k++) {
      if (i + k >= head.length) return -1
      if ((head[i + k] & 0xc0) !== 0x80) return i
    }
    i += length
  }
  return -1
}

/** What the bytes `head` (the start of a file or of decompressed content) are. */
export function sniff(head: Uint8Array): Sniffed {
  if (startsWith(head, [0x1f, 0x8b])) return { kind: 'gzip' }
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return { kind: 'zip' }
  const magic = MAGIC.find((m) => startsWith(head, m.bytes))
  if (magic) return { kind: 'binary', what: magic.what }
  const text = head.subarray(0, SNIFF_BYTES)
  const nul = text.indexOf(0)
  if (nul >= 0) return { kind: 'binary', what: `binary data, not text (a NUL byte at offset ${nul})` }
  const control = text.findIndex((b) => (b < 0x20 && !TEXT_CONTROLS.has(b)) || b === 0x7f)
  if (control >= 0) {
    return { kind: 'binary', what: `binary data, not text (control byte 0x${text[control].toString(16)} at offset ${control})` }
  }
  // A few bytes that are not UTF-8 are text in another encoding (a latin-1 name in an unused column); mostly such
  // bytes is binary.
  const invalid = invalidUtf8Count(text)
  if (invalid.count * 20 > text.length) {
    return { kind: 'binary', what: `binary data or text that is not UTF-8 (byte 0x${text[invalid.first].toString(16)} at offset ${invalid.first}, and ${invalid.count - 1} more such bytes); save it as UTF-8 CSV` }
  }
  return { kind: 'text' }
}
