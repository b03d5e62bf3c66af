/**
 * Validation of live bars with the bundle's ingest policies (data.validation), one request at a time: the same rules
 * as validate.ts applies to a file, decided against the last bar the server accepted. A request is all or nothing:
 * when any bar meets a `fail` policy, none of its bars is applied and the error names the bar and the rule.
 */
import type { Bar } from '../data/bars.js'
import { PRICE_MAX, PRICE_MIN, VOLUME_MAX, type FindingKind, type ValidationPolicy } from '../data/validate.js'
import type { Timeframe } from '../data/timeframe.js'
import { RequestError } from './errors.js'

/** A bar as a client sends it: epoch milliseconds or ISO-8601 text with an offset; volume optional. */
export interface BarInput {
  readonly ts: number | string
  readonly open: number
  readonly high: number
  readonly low: number
  readonly close: number
  readonly volume?: number | null
}

export type LiveBarAction =
  | { readonly kind: 'push'; readonly bar: Bar; readonly notes: readonly string[]; readonly gapBars: number }
  | { readonly kind: 'dropped'; readonly ts: number; readonly rule: FindingKind; readonly detail: string }

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

/** Epoch ms of a bar's `ts`, or a 400 naming the field. */
export function parseBarTime(ts: number | string, field: string): number {
  let ms: number
  if (typeof ts === 'number') {
    if (!Number.isSafeInteger(ts))
      throw new RequestError(400, `${field} must be whole epoch milliseconds, got ${ts}`, field)
    ms = ts
  } else {
    ms = ISO_WITH_OFFSET.test(ts) ? Date.parse(ts) : Number.NaN
    if (!Number.isFinite(ms))
      throw new RequestError(400, `${field} must be ISO-8601 with an offset (2023-08-01T00:01:00Z), got "${ts}"`, field)
  }
  if (ms % 60_000 !== 0)
    throw new RequestError(400, `${field} is not on a whole minute: ${new Date(ms).toISOString()}`, field)
  return ms
}

const iso = (ms: number): string => new Date(ms).toISOString()

const HOUR_MS = 3_600_000

const priceOk = (p: number): boolean => p >= PRICE_MIN && p <= PRICE_MAX

/**
 * What to do with each bar of a request, given the last accepted bar (null before the first): push (possibly
 * repaired), or drop under a `drop` policy. Throws a RequestError (409 for time order, 422 for values) on the first
 * bar a `fail` policy refuses; nothing is applied then.
 */
export function planLiveBars(
  input: readonly BarInput[],
  last: Bar | null,
  policy: ValidationPolicy,
  interval: Timeframe,
): LiveBarAction[] {
  const actions: LiveBarAction[] = []
  let prev = last
  for (const [i, b] of input.entries()) {
    const at = `bars[${i}]`
    const ts = parseBarTime(b.ts, `${at}.ts`)
    const refuse = (status: number, rule: FindingKind, detail: string, field = at): never => {
      throw new RequestError(
        status,
        `${at} (${iso(ts)}): ${rule.replace('_', ' ')}: ${detail}; the bundle's validation.${rule} is fail, so no bar of this request was applied`,
        field,
      )
    }
    const drop = (rule: FindingKind, detail: string): void => {
      actions.push({ kind: 'dropped', ts, rule, detail })
    }
    const { open, high, low, close } = b
    if (![open, high, low, close].every(priceOk)) {
      const detail = `price not in [${PRICE_MIN}, ${PRICE_MAX}]: open=${open} high=${high} low=${low} close=${close}`
      if (policy.bad_price === 'fail') refuse(422, 'bad_price', detail)
      drop('bad_price', detail)
      continue
    }
    const notes: string[] = []
    let volume = b.volume ?? Number.NaN
    if (!Number.isNaN(volume) && !(volume >= 0 && volume <= VOLUME_MAX)) {
      const detail = `volume ${volume} not in [0, ${VOLUME_MAX}]`
      if (policy.bad_volume === 'fail') refuse(422, 'bad_volume', detail, `${at}.volume`)
      drop('bad_volume', detail)
      continue
    }
    if (Number.isNaN(volume)) {
      if (policy.missing_volume === 'fail') refuse(422, 'missing_volume', 'volume is absent', `${at}.volume`)
      if (policy.missing_volume === 'drop') {
        drop('missing_volume', 'volume is absent')
        continue
      }
      if (policy.missing_volume === 'repair') {
        volume = 0
        notes.push('missing_volume repaired: volume 0')
      }
    }
    let hi = high
    let lo = low
    if (high < Math.max(open, close) || low > Math.min(open, close) || high < low) {
      const detail = `open=${open} high=${high} low=${low} close=${close}`
      if (policy.ohlc_violation === 'fail') refuse(422, 'ohlc_violation', detail)
      if (policy.ohlc_violation === 'drop') {
        drop('ohlc_violation', detail)
        continue
      }
      if (policy.ohlc_violation === 'repair') {
        hi = Math.max(open, high, low, close)
        lo = Math.min(open, high, low, close)
        notes.push(`ohlc_violation repaired: high ${hi}, low ${lo}`)
      } else notes.push(`ohlc_violation kept: ${detail}`)
    }
    const bar: Bar = { ts, open, high: hi, low: lo, close, volume }
    if (prev && ts < prev.ts) {
      // A live stream cannot reorder bars already scored: `repair` (a stable sort of a file) drops the late bar.
      const detail = `time goes back from ${iso(prev.ts)} to ${iso(ts)}`
      if (policy.backward_step === 'fail') refuse(409, 'backward_step', detail, `${at}.ts`)
      drop(
        'backward_step',
        policy.backward_step === 'repair' ? `${detail} (a bar already scored is not reordered)` : detail,
      )
      continue
    }
    if (prev && ts === prev.ts) {
      const same = sameValues(prev, bar)
      const rule: FindingKind = same ? 'duplicate_exact' : 'duplicate_conflict'
      const detail = same
        ? `same time and values as the bar already received`
        : `the bar already received at this time has other values`
      if (policy[rule] === 'fail') refuse(409, rule, detail, `${at}.ts`)
      // `drop` of a conflict drops every copy in a file; live, the copy already scored stays (`repair` keeps it too).
      drop(rule, detail)
      continue
    }
    // Intraday bars sit on the interval's grid (a file of another interval is refused at ingest; live, bar by bar).
    // Daily and longer bars are left alone: their steps follow the exchange's calendar and time zone.
    if (prev && interval.ms <= HOUR_MS && (ts - prev.ts) % interval.ms !== 0)
      throw new RequestError(
        422,
        `${at} (${iso(ts)}) is ${(ts - prev.ts) / 60_000} minute(s) after the previous bar, not a whole number of the bundle's ${interval.name} bars; no bar of this request was applied`,
        `${at}.ts`,
      )
    const gapBars = prev ? Math.round((ts - prev.ts) / interval.ms) - 1 : 0
    actions.push({ kind: 'push', bar, notes, gapBars })
    prev = bar
  }
  return actions
}

function sameValues(a: Bar, b: Bar): boolean {
  const eq = (x: number, y: number): boolean => x === y || (Number.isNaN(x) && Number.isNaN(y))
  return eq(a.open, b.open) && eq(a.high, b.high) && eq(a.low, b.low) && eq(a.close, b.close) && eq(a.volume, b.volume)
}
