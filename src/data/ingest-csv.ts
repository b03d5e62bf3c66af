import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { constants, createGunzip, gunzipSync } from 'node:zlib'
import { BAR_FIELDS, type BarField } from './bars.js'
import { DELIMITERS, detectDelimiter, splitQuotedLine } from './csv-line.js'
import { NOT_A_NUMBER, parseDecimal } from './parse-number.js'
import { sniff } from './sniff.js'
import { resolveColumns, type RawBars, type SourceOptions } from './source.js'
import {
  compileTimestampPattern,
  epochIsWholeMinute,
  epochToMs,
  epochUnitOf,
  parseIso,
  wallToUtc,
  type DetectedFormat,
  namedTimestampFormat,
  type TimestampFormat,
  type TimestampPattern,
} from './timestamp.js'
import { listZip, openZipEntry, unreadableEntry, type ZipEntry } from './zip.js'

const NEWLINE = 10
const CR = 13
const QUOTE = 34
/** Longest line accepted: far above any bar line, low enough that a file without line breaks fails fast. */
const MAX_LINE_BYTES = 64 * 1024

/** Growable float64 columns plus the source line of each row. */
function columnStore() {
  let capacity = 1 << 16
  let length = 0
  const cols = BAR_FIELDS.map(() => new Float64Array(capacity))
  let lines = new Int32Array(capacity)
  return {
    get length() {
      return length
    },
    push(values: Float64Array, line: number) {
      if (length === capacity) {
        capacity *= 2
        for (let k = 0; k < cols.length; k++) {
          const next = new Float64Array(capacity)
          next.set(cols[k])
          cols[k] = next
        }
        const nextLines = new Int32Array(capacity)
        nextLines.set(lines)
        lines = nextLines
      }
      for (let k = 0; k < cols.length; k++) cols[k][length] = values[k]
      lines[length] = line
      length++
    },
    finish() {
      return { cols: cols.map((c) => c.slice(0, length)), lines: lines.slice(0, length) }
    },
  }
}

function describe(format: DetectedFormat): string {
  return format === 'iso' ? 'ISO-8601' : `epoch ${format.slice(6)}`
}

/** How many leading bytes are read to tell what a file is (enough compressed bytes to inflate SNIFF_BYTES of text). */
const HEAD_BYTES = 64 * 1024

async function readHead(file: string): Promise<Buffer> {
  const handle = await open(file, 'r')
  try {
    const buf = Buffer.alloc(HEAD_BYTES)
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

function listEntries(entries: readonly ZipEntry[]): string {
  const shown = entries.slice(0, 20).map((e) => e.name)
  return shown.join(', ') + (entries.length > shown.length ? `, and ${entries.length - shown.length} more` : '')
}

/**
 * The text content of a data file as a byte stream, told apart by its first bytes: plain text, gzip, or a ZIP
 * archive holding exactly one file (itself plain or gzipped). Anything else is refused in one line saying what it is.
 */
async function openText(file: string): Promise<{ stream: Readable; compression: string | null }> {
  const fail = (message: string): never => {
    throw new Error(`${file}: ${message}`)
  }
  let head = await readHead(file)
  let found = sniff(head)
  let stream: Readable
  let compression: string | null = null
  if (found.kind === 'zip') {
    const entries = await listZip(file).catch((e: Error) => fail(`cannot read: ${e.message}`))
    if (entries.length === 0) fail('the ZIP archive holds no file')
    if (entries.length > 1) {
      fail(`the ZIP archive holds ${entries.length} files (${listEntries(entries)}); it must hold exactly one CSV, so unpack the one to read`)
    }
    const unreadable = unreadableEntry(entries[0])
    if (unreadable !== null) fail(unreadable)
    ;({ stream, head } = await openZipEntry(file, entries[0], HEAD_BYTES).catch((e: Error) => fail(`cannot read: ${e.message}`)))
    compression = 'ZIP'
    found = sniff(head)
    if (found.kind === 'zip') fail(`the ZIP archive holds "${entries[0].name}", itself a ZIP archive; unpack it first`)
  } else {
    stream = createReadStream(file)
  }
  if (found.kind === 'gzip') {
    try {
      head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH })
    } catch (e) {
      fail(`corrupt gzip data at the start of the file (${(e as Error).message}); re-download or re-export the file`)
    }
    const compressed = stream
    stream = compressed.pipe(createGunzip())
    compressed.on('error', (e) => stream.destroy(e))
    compression ??= 'gzip'
    found = sniff(head)
  }
  if (found.kind === 'binary') fail(`cannot read as CSV: this is ${found.what}`)
  if (found.kind !== 'text') fail('cannot read as CSV: compressed data inside compressed data; decompress it first')
  return { stream, compression }
}

/**
 * Streams a CSV, gzipped or zipped, into columnar bars without building one big string. A line break is LF, CRLF or
 * a lone CR (old Mac files). Every error names the file and line.
 */

/** Bytes of a field an error message shows at most: enough to recognise it, never a flood. */
const SHOWN_FIELD_BYTES = 40

/** Text for an error message: at most SHOWN_FIELD_BYTES characters, quotes, control and non-ASCII escaped. */
export function shownText(text: string): string {
  let out = ''
  for (const c of text.slice(0, SHOWN_FIELD_BYTES)) out += escapeChar(c)
  return text.length > SHOWN_FIELD_BYTES ? `${out}…` : out
}

function escapeChar(c: string): string {
  if (c === '"' || c === '\\') return `\\${c}`
  const code = c.codePointAt(0)!
  if (code >= 0x20 && code < 0x7f) return c
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
}

/** A field of a line for an error message (see shownText), read as bytes. */
function shownField(buf: Buffer, start: number, end: number): string {
  // One byte past what is shown, so that shownText marks the cut.
  return shownText(buf.toString('latin1', start, Math.min(end, start + SHOWN_FIELD_BYTES + 1)))
}

export async function readCsvBars(file: string, options: SourceOptions): Promise<RawBars> {
  const { stream: source, compression } = await openText(file)

  const toUtc = wallToUtc(options.timestamp.timezone)
  const configuredFormat: TimestampFormat | null = namedTimestampFormat(options.timestamp.format)
  const pattern = configuredFormat === null ? compileTimestampPattern(options.timestamp.format) : null
  if (typeof pattern === 'string') throw new Error(`${file}: ${pattern}`) // the config schema refuses these first
  let format: DetectedFormat | null = configuredFormat === 'auto' || configuredFormat === null ? null : configuredFormat
  let formatLine = 0

  const store = columnStore()
  const values = new Float64Array(BAR_FIELDS.length)
  // Without a header row the columns come from data.names, so they are known before the first line.
  let header: string[] | null = options.header ? null : options.names!
  let index: Record<BarField, number> =
    header === null ? { ts: 0, open: 1, high: 2, low: 3, close: 4, volume: 5 } : resolveColumns(header, options.columns, `${file} (data.names)`)
  let fieldCount = header?.length ?? 0
  const headerKind = header === null ? 'the header' : 'data.names'
  let delimiter = options.delimiter === undefined ? -1 : DELIMITERS[options.delimiter]
  let firstLine = true
  let lineNo = 0
  let sawBytes = false
  const starts = new Int32Array(256)
  const ends = new Int32Array(256)
  let carry: Buffer | null = null

  const fail = (line: number, message: string): never => {
    throw new Error(`${file}:${line}: ${message}`)
  }

  const tooLong = (line: number): never =>
    fail(
      line,
      `line is longer than ${MAX_LINE_BYTES / 1024} KiB without a line break; a bar line is far shorter, ` +
        `so this is not a bars CSV (or its line breaks are missing)`,
    )

  /** Where a line holding quotes is split to: field k is `quoted.bytes[starts[k], ends[k])`, unquoted. */
  const quoted = { bytes: Buffer.allocUnsafe(MAX_LINE_BYTES), starts, ends }

  const splitQuoted = (buf: Buffer, start: number, end: number, line: number): number => {
    const n = splitQuotedLine(buf, start, end, delimiter, quoted)
    return typeof n === 'string' ? fail(line, n) : n
  }

  const parseHeader = (buf: Buffer, start: number, end: number) => {
    const n = splitQuoted(buf, start, end, 1)
    if (n > starts.length) fail(1, `the header has ${n} columns; at most ${starts.length} are supported`)
    const names = Array.from({ length: n }, (_, k) => quoted.bytes.toString('utf8', starts[k], ends[k]).trim())
    if (/^\d/.test(names[0])) {
      fail(1, `no header row: line 1 starts with "${shownText(names[0])}", which looks like data; the first line must name the columns (ts, open, high, low, close[, volume]), or for a file without a header set data.header: false and data.names`)
    }
    index = resolveColumns(names, options.columns, `${file}:1`)
    fieldCount = names.length
    header = names
  }

  const parseWithPattern = (p: TimestampPattern, buf: Buffer, s: number, e: number, line: number): number => {
    const parsed = p.parse(buf, s, e)
    const text = () => shownField(buf, s, e)
    if (parsed === null) return fail(line, `timestamp "${text()}" does not match data.timestamp.format "${p.pattern}"`)
    if (typeof parsed === 'string') return fail(line, `timestamp "${text()}": ${parsed}`)
    if (!parsed.wholeMinute) fail(line, `timestamp "${text()}" is not on a whole minute: bars open on whole minutes, so seconds must be zero`)
    return toUtc(parsed.wallMs)
  }

  const parseTimestamp = (buf: Buffer, s: number, e: number, line: number): number => {
    if (pattern !== null) return parseWithPattern(pattern, buf, s, e, line)
    const iso = parseIso(buf, s, e)
    let kind: DetectedFormat
    let ms: number
    let wholeMinute: boolean
    if (typeof iso === 'string') {
      return fail(line, `timestamp "${shownField(buf, s, e)}": ${iso}`)
    } else if (iso) {
      kind = 'iso'
      ms = iso.offsetMinutes === null ? toUtc(iso.wallMs) : iso.wallMs - iso.offsetMinutes * 60_000
      wholeMinute = iso.wholeMinute
    } else {
      const v = parseDecimal(buf, s, e)
      if (v === NOT_A_NUMBER || !Number.isFinite(v)) {
        return fail(line, `timestamp "${shownField(buf, s, e)}" is neither ISO-8601 nor an epoch number`)
      }
      // A configured epoch unit is trusted; in auto mode the unit follows the magnitude.
      kind = configuredFormat !== null && configuredFormat !== 'auto' && configuredFormat !== 'iso' ? configuredFormat : epochUnitOf(v)
      ms = epochToMs(v, kind)
      wholeMinute = epochIsWholeMinute(v, kind)
    }
    if (!wholeMinute) {
      fail(line, `timestamp "${shownField(buf, s, e)}" is not on a whole minute: bars open on whole minutes, so seconds and fractions must be zero`)
    }
    if (format === null) {
      format = kind
      formatLine = line
    } else if (kind !== format) {
      const was = configuredFormat === 'auto' ? `line ${formatLine} was ${describe(format)}` : `data.timestamp.format is ${format}`
      fail(line, `mixed timestamp formats: "${shownField(buf, s, e)}" is ${describe(kind)} but ${was}`)
    }
    return ms
  }

  const parseLine = (buf: Buffer, start: number, end: number) => {
    lineNo++
    if (end - start > MAX_LINE_BYTES) tooLong(lineNo)
    if (end === start) return // a blank line holds no data (trailing newlines, editors)
    sawBytes = true
    if (firstLine) {
      firstLine = false
      if (buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3 // UTF-8 byte order mark
      if (delimiter < 0) delimiter = detectDelimiter(buf, start, end)
      if (header === null) {
        parseHeader(buf, start, end)
        return
      }
    }
    let fields = buf
    let n = 0
    let fieldStart = start
    for (let i = start; i <= end; i++) {
      if (i === end || buf[i] === delimiter) {
        if (n < 256) {
          starts[n] = fieldStart
          ends[n] = i
        }
        n++
        fieldStart = i + 1
      } else if (buf[i] === QUOTE) {
        // Only lines holding a quote pay for RFC 4180 splitting.
        n = splitQuoted(buf, start, end, lineNo)
        fields = quoted.bytes
        break
      }
    }
    if (n !== fieldCount) fail(lineNo, `has ${n} fields but ${headerKind} has ${fieldCount} (${header!.join(',')})`)
    values[0] = parseTimestamp(fields, starts[index.ts], ends[index.ts], lineNo)
    for (let k = 1; k < BAR_FIELDS.length; k++) {
      const field = BAR_FIELDS[k]
      const col = index[field]
      if (col < 0) {
        values[k] = Number.NaN
        continue
      }
      const v = parseDecimal(fields, starts[col], ends[col])
      if (v === NOT_A_NUMBER) {
        fail(lineNo, `${field} "${shownField(fields, starts[col], ends[col])}" is not a number`)
      }
      values[k] = v as number
    }
    store.push(values, lineNo)
  }

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let buf = chunk
      if (carry) {
        buf = Buffer.concat([carry, chunk])
        carry = null
      }
      let lineStart = 0
      // Next LF and next CR at or after lineStart (-1: none left in buf); each found once, so a chunk is scanned once.
      let nextLf = buf.indexOf(NEWLINE)
      let nextCr = buf.indexOf(CR)
      for (;;) {
        if (nextLf >= 0 && nextLf < lineStart) nextLf = buf.indexOf(NEWLINE, lineStart)
        if (nextCr >= 0 && nextCr < lineStart) nextCr = buf.indexOf(CR, lineStart)
        const brk = nextCr < 0 ? nextLf : nextLf < 0 ? nextCr : Math.min(nextLf, nextCr)
        if (brk < 0) break
        if (buf[brk] === CR && brk + 1 === buf.length) break // maybe the CR of a CRLF split across chunks
        parseLine(buf, lineStart, brk)
        lineStart = buf[brk] === CR && buf[brk + 1] === NEWLINE ? brk + 2 : brk + 1
      }
      if (lineStart < buf.length) {
        // A line without a break so far is kept for the next chunk, up to the cap, so a huge line costs linear time.
        if (buf.length - lineStart > MAX_LINE_BYTES) tooLong(lineNo + 1)
        carry = Buffer.from(buf.subarray(lineStart))
      }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'Z_BUF_ERROR' || e.code === 'Z_DATA_ERROR' || /unexpected end of file/i.test(e.message)) {
      throw new Error(
        `${file}: truncated or corrupt ${compression ?? 'compressed'} data after line ${lineNo} (${e.message}); re-download or re-export the file`,
      )
    }
    if (e.code === 'ENOENT') throw new Error(`${file}: no such file`)
    throw err
  }
  if (carry) parseLine(carry, 0, carry[carry.length - 1] === CR ? carry.length - 1 : carry.length)

  if (!sawBytes) throw new Error(`${file}: the file is empty (no header, no rows)`)
  if (store.length === 0) throw new Error(`${file}: the file has a header but no data rows`)
  const { cols, lines } = store.finish()
  const [ts, open, high, low, close, volume] = cols
  return {
    length: lines.length,
    ts,
    open,
    high,
    low,
    close,
    volume,
    sourceRow: lines,
    rowKind: 'line',
    hasVolume: index.volume >= 0,
    file,
  }
}
