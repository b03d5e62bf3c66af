/**
 * Runs chosen by a person's filter and order: `sharpe > 1 and preset = 'tabular_stacking'` becomes a parameterised
 * WHERE clause. Names are looked up among the known columns (src/tracking/columns.ts) and replaced by their SQL
 * column; every value becomes a `?` parameter. Nothing the user typed is ever placed into the SQL text.
 *
 *   filter     := or
 *   or         := and ('or' and)*
 *   and        := not ('and' not)*
 *   not        := 'not' not | '(' or ')' | comparison
 *   comparison := name op value | name 'is' ['not'] 'null' | name ['not'] 'like' text | name ['not'] 'in' '(' values ')'
 *   op         := = == != <> < <= > >=
 *   value      := number | 'text' | "text"
 */
import type Database from 'better-sqlite3'
import { didYouMean } from '../core/suggest.js'
import { COLUMNS_BY_NAME, RUN_COLUMNS, type RunColumn } from './columns.js'

type Param = string | number

interface Token {
  readonly kind: 'name' | 'number' | 'text' | 'op' | 'open' | 'close' | 'comma' | 'end'
  readonly text: string
  readonly at: number
}

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'like', 'in'])
const OPS = ['<=', '>=', '!=', '<>', '==', '=', '<', '>']

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    const at = i
    if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c === '(' ? 'open' : c === ')' ? 'close' : 'comma', text: c, at })
      i++
      continue
    }
    const op = OPS.find((o) => src.startsWith(o, i))
    if (op) {
      out.push({ kind: 'op', text: op, at })
      i += op.length
      continue
    }
    if (c === "'" || c === '"') {
      let text = ''
      i++
      for (;;) {
        if (i >= src.length) throw whereError(src, at, 'text not closed by a matching quote')
        if (src[i] === c) {
          // A doubled quote stands for the quote itself, as in SQL.
          if (src[i + 1] === c) {
            text += c
            i += 2
            continue
          }
          i++
          break
        }
        text += src[i++]
      }
      out.push({ kind: 'text', text, at })
      continue
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(src.slice(i))
    if (num) {
      out.push({ kind: 'number', text: num[0], at })
      i += num[0].length
      continue
    }
    const name = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i))
    if (name) {
      out.push({ kind: 'name', text: name[0], at })
      i += name[0].length
      continue
    }
    throw whereError(src, at, `unexpected character ${JSON.stringify(c)}`)
  }
  out.push({ kind: 'end', text: '', at: src.length })
  return out
}

function whereError(src: string, at: number, message: string): Error {
  return new Error(`--where: ${message} at character ${at + 1}\n  ${src}\n  ${' '.repeat(at)}^`)
}

function unknownColumnHint(name: string): string {
  const names = RUN_COLUMNS.map((x) => x.name)
  return `${didYouMean(name, names, ' ')}known columns: ${names.join(', ')}`
}

/** The column a person named, or an error with the closest known name. */
export function columnNamed(name: string, flag = '--where'): RunColumn {
  const c = COLUMNS_BY_NAME.get(name)
  if (c) return c
  throw new Error(`${flag}: unknown column "${name}"; ${unknownColumnHint(name)}`)
}

export interface Where {
  readonly sql: string
  readonly params: readonly Param[]
}

/** The filter as SQL over `runs` with `?` parameters; '' for an empty filter. */
export function parseWhere(src: string): Where {
  const tokens = tokenize(src)
  if (tokens.length === 1) return { sql: '', params: [] }
  let pos = 0
  const params: Param[] = []
  const peek = () => tokens[pos]
  const isWord = (t: Token, w: string) => t.kind === 'name' && t.text.toLowerCase() === w
  const accept = (w: string) => {
    if (isWord(peek(), w)) {
      pos++
      return true
    }
    return false
  }
  const fail = (t: Token, what: string): never => {
    throw whereError(src, t.at, `expected ${what}, found ${t.kind === 'end' ? 'the end' : JSON.stringify(t.text)}`)
  }

  const value = (column: RunColumn): string => {
    const t = tokens[pos++]
    if (t.kind === 'number') {
      if (column.type !== 'number')
        throw whereError(src, t.at, `${column.name} holds text: quote the value ('${t.text}')`)
      params.push(Number(t.text))
      return '?'
    }
    if (t.kind === 'text') {
      if (column.type !== 'text')
        throw whereError(src, t.at, `${column.name} is a number: compare it with a number, not text`)
      params.push(t.text)
      return '?'
    }
    return fail(t, `a value for ${column.name} (a number or 'quoted text')`)
  }

  const comparison = (): string => {
    const t = tokens[pos++]
    if (t.kind !== 'name' || KEYWORDS.has(t.text.toLowerCase())) return fail(t, 'a column name')
    const column = COLUMNS_BY_NAME.get(t.text)
    if (!column) {
      const e = whereError(src, t.at, `unknown column "${t.text}"`)
      throw new Error(`${e.message}\n${unknownColumnHint(t.text)}`)
    }
    const col = column.sql
    if (accept('is')) {
      const not = accept('not')
      if (!accept('null')) fail(peek(), 'null')
      return `${col} IS ${not ? 'NOT ' : ''}NULL`
    }
    const not = accept('not')
    if (accept('like')) {
      const s = tokens[pos]
      if (s.kind !== 'text') fail(s, "a 'quoted' pattern")
      if (column.type !== 'text')
        throw whereError(src, s.at, `like applies to text columns; ${column.name} is a number`)
      pos++
      params.push(s.text)
      return `${col} ${not ? 'NOT ' : ''}LIKE ?`
    }
    if (accept('in')) {
      if (peek().kind !== 'open') fail(peek(), '(')
      pos++
      const values = [value(column)]
      while (peek().kind === 'comma') {
        pos++
        values.push(value(column))
      }
      if (peek().kind !== 'close') fail(peek(), ', or )')
      pos++
      return `${col} ${not ? 'NOT ' : ''}IN (${values.join(', ')})`
    }
    if (not) fail(peek(), 'like or in after not')
    const op = tokens[pos++]
    if (op.kind !== 'op') fail(op, 'a comparison (= != < <= > >=), is null, like or in')
    const sqlOp = op.text === '==' ? '=' : op.text === '<>' ? '!=' : op.text
    return `${col} ${sqlOp} ${value(column)}`
  }

  const negation = (): string => {
    if (accept('not')) {
      const inner = negation()
      return inner.startsWith('(') && inner.endsWith(')') ? `NOT ${inner}` : `NOT (${inner})`
    }
    if (peek().kind === 'open') {
      pos++
      const inner = disjunction()
      if (peek().kind !== 'close') fail(peek(), ')')
      pos++
      return `(${inner})`
    }
    return comparison()
  }
  const conjunction = (): string => {
    const parts = [negation()]
    while (accept('and')) parts.push(negation())
    return parts.join(' AND ')
  }
  const disjunction = (): string => {
    const parts = [conjunction()]
    while (accept('or')) parts.push(conjunction())
    return parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join(' OR ')
  }

  const sql = disjunction()
  if (peek().kind !== 'end') fail(peek(), 'and, or, or the end')
  return { sql, params }
}

export interface SortKey {
  readonly column: RunColumn
  readonly descending: boolean
}

/** `sharpe` or `-sharpe` (descending), several separated by commas. */
export function parseSort(src: string): SortKey[] {
  return src
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const descending = s.startsWith('-')
      return { column: columnNamed(descending ? s.slice(1) : s, '--sort'), descending }
    })
}

export type RunRow = Record<string, string | number | null>

/**
 * The rows of `runs` passing the filter, in the order asked (then newest first), with the columns asked, each keyed
 * by its user-facing name.
 */
export function queryRuns(
  db: Database.Database,
  options: {
    where?: string
    sort?: string
    columns?: readonly RunColumn[]
    limit?: number
    /** Only these runs. */
    runIds?: readonly string[]
  } = {},
): RunRow[] {
  const filter = parseWhere(options.where ?? '')
  const ids = options.runIds
  const where = ids
    ? {
        sql: [filter.sql && `(${filter.sql})`, `run_id IN (${ids.map(() => '?').join(', ')})`]
          .filter(Boolean)
          .join(' AND '),
        params: [...filter.params, ...ids],
      }
    : filter
  const sort = parseSort(options.sort ?? '')
  const columns = options.columns ?? RUN_COLUMNS
  const limit = options.limit ?? -1
  if (!Number.isInteger(limit)) throw new Error(`--limit must be a whole number, got ${limit}`)
  // NULLs last whichever the direction: a run without the metric is no better and no worse than the others.
  const order = [
    ...sort.map((k) => `${k.column.sql} IS NULL, ${k.column.sql} ${k.descending ? 'DESC' : 'ASC'}`),
    'created_at DESC',
    'id DESC',
  ]
  const sql = `SELECT ${columns.map((c) => `${c.sql} AS "${c.name}"`).join(', ')} FROM runs${
    where.sql ? ` WHERE ${where.sql}` : ''
  } ORDER BY ${order.join(', ')} LIMIT ?`
  return db.prepare(sql).all(...where.params, limit) as RunRow[]
}

/** The run id a person typed: the id itself, or a prefix that names exactly one run. */
export function resolveRunId(db: Database.Database, text: string): string {
  const exact = db.prepare('SELECT run_id FROM runs WHERE run_id = ?').pluck().get(text) as string | undefined
  if (exact !== undefined) return exact
  const matches = db
    .prepare('SELECT run_id FROM runs WHERE substr(run_id, 1, length(?)) = ? ORDER BY run_id LIMIT 6')
    .pluck()
    .all(text, text) as string[]
  if (matches.length === 1) return matches[0]
  if (matches.length === 0) throw new Error(`no run ${JSON.stringify(text)} in the store`)
  throw new Error(
    `${JSON.stringify(text)} names several runs (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', ...' : ''}); type more of the id`,
  )
}
