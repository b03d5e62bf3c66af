/**
 * A small CSV table reader for files of predictions (thousands of rows, not millions of bars): the header names the
 * columns, every field stays text, and each row keeps its source line verbatim so that a command can write the input
 * rows back with a column appended, unchanged. Delimiter `,`; RFC 4180 quoting within a line (a quoted field may hold
 * commas, `""` is one quote); a field may not span lines. Errors name the file and the 1-based line.
 */
import { readFile } from 'node:fs/promises'

export interface CsvRow {
  /** 1-based line in the file (the header is line 1). */
  readonly line: number
  /** The line as it was, without its line break. */
  readonly text: string
  readonly fields: readonly string[]
}

export interface CsvTable {
  readonly file: string
  readonly header: readonly string[]
  /** The header line as it was. */
  readonly headerText: string
  readonly rows: readonly CsvRow[]
}

/** Fields of one line, or a message saying what is malformed. */
export function splitCsvLine(text: string): string[] | string {
  const fields: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) return `field ${fields.length + 1} opens a quote that is not closed on this line`
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += text[i++]
      }
      if (i < text.length && text[i] !== ',') return `field ${fields.length + 1} has text after its closing quote`
    } else {
      const end = text.indexOf(',', i)
      field = text.slice(i, end < 0 ? text.length : end)
      if (field.includes('"'))
        return `field ${fields.length + 1} holds a quote but is not quoted; quote the whole field and double the quotes inside ("")`
      i = end < 0 ? text.length : end
    }
    fields.push(field)
    if (i >= text.length) return fields
    i++ // the comma
  }
}

/** Parses CSV text; `file` is only for messages. Blank lines (a trailing newline included) are skipped. */
export function parseCsvTable(text: string, file: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split('\n')
  const fail = (line: number, why: string): never => {
    throw new Error(`${file}:${line}: ${why}`)
  }
  let header: string[] | null = null
  let headerText = ''
  const rows: CsvRow[] = []
  for (let l = 0; l < lines.length; l++) {
    const raw = lines[l].endsWith('\r') ? lines[l].slice(0, -1) : lines[l]
    if (raw.trim() === '') continue
    const fields = splitCsvLine(raw)
    if (typeof fields === 'string') fail(l + 1, fields)
    const f = fields as string[]
    if (header === null) {
      header = f.map((name) => name.trim())
      headerText = raw
      const seen = new Set<string>()
      for (const name of header) {
        if (name === '') fail(l + 1, 'the header has an empty column name')
        if (seen.has(name)) fail(l + 1, `the header names column "${name}" twice`)
        seen.add(name)
      }
      continue
    }
    if (f.length !== header.length) fail(l + 1, `${f.length} fields, but the header names ${header.length} columns`)
    rows.push({ line: l + 1, text: raw, fields: f })
  }
  if (header === null) throw new Error(`${file}: the file is empty (no header line)`)
  return { file, header, headerText, rows }
}

export async function readCsvTable(file: string): Promise<CsvTable> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(err as Error).message}`)
  }
  return parseCsvTable(text, file)
}

/** The index of column `name`, or an error listing the columns there are. */
export function columnIndex(table: CsvTable, name: string, option: string): number {
  const i = table.header.indexOf(name)
  if (i < 0) throw new Error(`${option} ${name}: ${table.file} has no such column (columns: ${table.header.join(', ')})`)
  return i
}
