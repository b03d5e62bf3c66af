import { z } from 'zod'
import { MINUTE_MS, type Bars } from './bars.js'
import { fingerprintBars } from './fingerprint.js'
import { detectInterval, intervalMismatch, stepName } from './interval.js'
import { ONE_MINUTE, type Timeframe } from './timeframe.js'
import type { RawBars } from './source.js'

/**
 * What to do with each kind of problem. Defaults fail on anything that would change data, except exact duplicate
 * rows, which are dropped (and reported). `repair` means: backward steps -> stable sort by time; conflicting
 * duplicates -> keep the first row in file order; OHLC violations -> widen high/low to hold open and close;
 * missing volume -> 0. Bad prices cannot be repaired without inventing data, so they fail or drop.
 */
export const validationPolicySchema = z
  .object({
    backward_step: z.enum(['fail', 'drop', 'repair']).default('fail'),
    duplicate_exact: z.enum(['fail', 'drop']).default('drop'),
    duplicate_conflict: z.enum(['fail', 'drop', 'repair']).default('fail'),
    ohlc_violation: z.enum(['fail', 'drop', 'repair', 'keep']).default('fail'),
    bad_price: z.enum(['fail', 'drop']).default('fail'),
    bad_volume: z.enum(['fail', 'drop']).default('fail'),
    missing_volume: z.enum(['fail', 'drop', 'repair', 'keep']).default('keep'),
  })
  .strict()

/** How gaps between consecutive bars are classified (classification only: gaps are never filled). */
export const gapOptionsSchema = z
  .object({
    /** A gap at least this long (minutes) is a weekend (it covers a Saturday, UTC) or a holiday. */
    long_gap_minutes: z.number().int().positive().default(720),
    /** A recurring gap at least this long (minutes) can be a session break. */
    session_break_min_minutes: z.number().int().positive().default(10),
    /** A gap is a session break when its start or end time of day recurs on at least this share of days. */
    session_recurrence: z.number().gt(0).lte(1).default(0.2),
  })
  .strict()

export type ValidationPolicy = z.infer<typeof validationPolicySchema>
export type GapOptions = z.infer<typeof gapOptionsSchema>

export type FindingKind =
  | 'bad_price'
  | 'bad_volume'
  | 'ohlc_violation'
  | 'missing_volume'
  | 'backward_step'
  | 'duplicate_exact'
  | 'duplicate_conflict'
  | 'gap'

export type GapClass = 'intraday' | 'session_break' | 'weekend' | 'holiday'

export interface Finding {
  readonly kind: FindingKind
  /** Source line (CSV, header = line 1) or row (Parquet) of the affected row. */
  readonly row: number
  readonly ts: string
  readonly action: 'failed' | 'dropped' | 'repaired' | 'kept' | 'reported'
  readonly detail: string
  readonly gap_class?: GapClass
  readonly gap_minutes?: number
}

export interface ValidationReport {
  readonly file: string
  readonly row_kind: 'line' | 'row'
  readonly rows: number
  readonly rows_out: number
  readonly first_ts: string | null
  readonly last_ts: string | null
  readonly has_volume: boolean
  /** the configured bar interval, and the most common step between the clean bars (null with fewer than two) */
  readonly interval: { readonly configured: string; readonly detected: string | null; readonly share: number | null }
  readonly policy: ValidationPolicy
  readonly duplicates: { readonly exact: number; readonly conflicting: number; readonly timestamps: number }
  readonly backward_steps: number
  readonly ohlc_violations: number
  readonly bad_prices: number
  readonly bad_volumes: number
  readonly missing_volume: number
  readonly gaps: Record<GapClass, number> & { readonly missing_minutes: Record<GapClass, number>; readonly longest_minutes: number }
  readonly dropped: number
  readonly repaired: number
  readonly failed: readonly FindingKind[]
  readonly fingerprint: string
  readonly findings: readonly Finding[]
}

export class ValidationError extends Error {
  constructor(
    message: string,
    readonly report: ValidationReport,
  ) {
    super(message)
  }
}

/**
 * Prices must lie in [PRICE_MIN, PRICE_MAX] and volumes in [0, VOLUME_MAX]. Features reach models as float32 (at most
 * 3.4e38) and include squares and products of prices, returns and volumes: within these bounds a square of a price
 * (1e24) or of a volume (1e36) and a price times a volume (1e30) stay inside float32, while a close of 1e40 would
 * become infinite inside a model. Both bounds leave room for any real instrument, micro-priced tokens included
 * (prices near 1e-9 traded in volumes near 1e16).
 */
export const PRICE_MIN = 1e-12
export const PRICE_MAX = 1e12
export const VOLUME_MAX = 1e18

const priceInRange = (p: number) => p >= PRICE_MIN && p <= PRICE_MAX

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms))

function sameRow(b: Bars, i: number, j: number): boolean {
  const eq = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y))
  return (
    eq(b.open[i], b.open[j]) &&
    eq(b.high[i], b.high[j]) &&
    eq(b.low[i], b.low[j]) &&
    eq(b.close[i], b.close[j]) &&
    eq(b.volume[i], b.volume[j])
  )
}

/**
 * Checks raw bars against every rule, applies the policy, and returns clean bars (strictly increasing time) with a
 * report of every affected row. Findings are always computed in full; if any rule whose policy is `fail` fired,
 * a ValidationError carrying the full report is thrown.
 */
export function validateBars(
  raw: RawBars,
  policy: ValidationPolicy = validationPolicySchema.parse({}),
  gapOptions: GapOptions = gapOptionsSchema.parse({}),
  interval: Timeframe = ONE_MINUTE,
): { bars: Bars; report: ValidationReport } {
  const n = raw.length
  const findings: Finding[] = []
  const keep = new Uint8Array(n).fill(1)
  const open = raw.open.slice()
  const high = raw.high.slice()
  const low = raw.low.slice()
  const volume = raw.volume.slice()
  const failed = new Set<FindingKind>()
  let repaired = 0
  const add = (kind: FindingKind, i: number, action: Finding['action'], detail: string) => {
    findings.push({ kind, row: raw.sourceRow[i], ts: iso(raw.ts[i]), action, detail })
    if (action === 'failed') failed.add(kind)
  }
  const act = (p: string): Finding['action'] =>
    p === 'fail' ? 'failed' : p === 'drop' ? 'dropped' : p === 'repair' ? 'repaired' : 'kept'

  let badPrices = 0
  let badVolumes = 0
  let ohlcViolations = 0
  let missingVolume = 0
  for (let i = 0; i < n; i++) {
    const o = open[i]
    const h = high[i]
    const l = low[i]
    const c = raw.close[i]
    if (!(priceInRange(o) && priceInRange(h) && priceInRange(l) && priceInRange(c))) {
      badPrices++
      add(
        'bad_price',
        i,
        act(policy.bad_price),
        `price not in [${PRICE_MIN}, ${PRICE_MAX}] (non-positive, non-finite or extreme): open=${o} high=${h} low=${l} close=${c}`,
      )
      if (policy.bad_price === 'drop') keep[i] = 0
      continue
    }
    const v = volume[i]
    if (!Number.isNaN(v) && !(v >= 0 && v <= VOLUME_MAX)) {
      badVolumes++
      add('bad_volume', i, act(policy.bad_volume), `volume ${v} not in [0, ${VOLUME_MAX}] (negative, non-finite or extreme)`)
      if (policy.bad_volume === 'drop') {
        keep[i] = 0
        continue
      }
    }
    if (h < Math.max(o, c) || l > Math.min(o, c) || h < l) {
      ohlcViolations++
      add('ohlc_violation', i, act(policy.ohlc_violation), `open=${o} high=${h} low=${l} close=${c}`)
      if (policy.ohlc_violation === 'drop') keep[i] = 0
      else if (policy.ohlc_violation === 'repair') {
        high[i] = Math.max(o, h, l, c)
        low[i] = Math.min(o, h, l, c)
        repaired++
      }
    }
    if (raw.hasVolume && Number.isNaN(volume[i])) {
      missingVolume++
      add('missing_volume', i, act(policy.missing_volume), 'volume is empty')
      if (policy.missing_volume === 'drop') keep[i] = 0
      else if (policy.missing_volume === 'repair') {
        volume[i] = 0
        repaired++
      }
    }
  }

  // Time order. Every backward step is reported; `drop` removes rows earlier than the latest time already seen.
  let backwardSteps = 0
  let runningMax = Number.NEGATIVE_INFINITY
  for (let i = 0; i < n; i++) {
    if (i > 0 && raw.ts[i] < raw.ts[i - 1]) {
      backwardSteps++
      add('backward_step', i, act(policy.backward_step), `time goes back from ${iso(raw.ts[i - 1])} to ${iso(raw.ts[i])}`)
    }
    if (policy.backward_step === 'drop' && raw.ts[i] < runningMax && keep[i]) keep[i] = 0
    if (keep[i] && raw.ts[i] > runningMax) runningMax = raw.ts[i]
  }

  // Stable order by time (file order among equal times), then duplicates.
  let order = Int32Array.from({ length: n }, (_, i) => i).filter((i) => keep[i] === 1)
  if (backwardSteps > 0) order = order.sort((a, b) => raw.ts[a] - raw.ts[b] || a - b)
  let exact = 0
  let conflicting = 0
  let dupTimestamps = 0
  for (let g = 0; g < order.length; ) {
    let e = g + 1
    while (e < order.length && raw.ts[order[e]] === raw.ts[order[g]]) e++
    if (e - g > 1) {
      dupTimestamps++
      const first = order[g]
      let allSame = true
      for (let k = g + 1; k < e; k++) allSame &&= sameRow(raw, first, order[k])
      if (allSame) {
        for (let k = g + 1; k < e; k++) {
          exact++
          add('duplicate_exact', order[k], act(policy.duplicate_exact), `same values as ${raw.rowKind} ${raw.sourceRow[first]}`)
          keep[order[k]] = 0
        }
      } else {
        const rows = Array.from(order.subarray(g, e), (i) => raw.sourceRow[i]).join(', ')
        for (let k = g; k < e; k++) {
          conflicting++
          const i = order[k]
          const action: Finding['action'] =
            policy.duplicate_conflict === 'repair' ? (k === g ? 'kept' : 'dropped') : act(policy.duplicate_conflict)
          add('duplicate_conflict', i, action, `timestamp shared by ${raw.rowKind}s ${rows} with different values`)
          if (policy.duplicate_conflict === 'drop' || (policy.duplicate_conflict === 'repair' && k > g)) keep[i] = 0
        }
      }
    }
    g = e
  }
  if (policy.backward_step === 'repair' && backwardSteps > 0) repaired += backwardSteps

  const kept = order.filter((i) => keep[i] === 1)
  const m = kept.length
  const bars: Bars = {
    length: m,
    ts: Float64Array.from(kept, (i) => raw.ts[i]),
    open: Float64Array.from(kept, (i) => open[i]),
    high: Float64Array.from(kept, (i) => high[i]),
    low: Float64Array.from(kept, (i) => low[i]),
    close: Float64Array.from(kept, (i) => raw.close[i]),
    volume: Float64Array.from(kept, (i) => volume[i]),
  }

  const gapStats = classifyGaps(bars, gapOptions, interval.ms)
  for (const gap of gapStats.gaps) {
    const i = kept[gap.index]
    const missingBars = interval.ms === MINUTE_MS ? '' : `${(gap.minutes * MINUTE_MS) / interval.ms} missing bar(s), `
    findings.push({
      kind: 'gap',
      row: raw.sourceRow[i],
      ts: iso(raw.ts[i]),
      action: 'reported',
      detail: `${missingBars}${gap.minutes} missing minute(s) after ${iso(bars.ts[gap.index - 1])}`,
      gap_class: gap.cls,
      gap_minutes: gap.minutes,
    })
  }
  findings.sort((a, b) => a.row - b.row)
  const detected = detectInterval(bars.ts)

  const report: ValidationReport = {
    file: raw.file,
    row_kind: raw.rowKind,
    rows: n,
    rows_out: m,
    first_ts: m > 0 ? iso(bars.ts[0]) : null,
    last_ts: m > 0 ? iso(bars.ts[m - 1]) : null,
    has_volume: raw.hasVolume,
    interval: {
      configured: interval.name,
      detected: detected ? stepName(detected.stepMs) : null,
      share: detected ? detected.share : null,
    },
    policy,
    duplicates: { exact, conflicting, timestamps: dupTimestamps },
    backward_steps: backwardSteps,
    ohlc_violations: ohlcViolations,
    bad_prices: badPrices,
    bad_volumes: badVolumes,
    missing_volume: missingVolume,
    gaps: { ...gapStats.counts, missing_minutes: gapStats.minutes, longest_minutes: gapStats.longest },
    dropped: n - m,
    repaired,
    failed: [...failed],
    fingerprint: fingerprintBars(bars),
    findings,
  }
  // Bars of another interval would silently become features of the wrong timeframe: refuse before any policy says ok.
  const mismatch = intervalMismatch(raw.file, bars.ts, interval)
  if (mismatch) throw new ValidationError(mismatch, report)
  if (failed.size > 0) {
    const parts = [...failed].map((k) => {
      const first = findings.find((f) => f.kind === k && f.action === 'failed')!
      const count = findings.filter((f) => f.kind === k).length
      return `${count} ${k.replace('_', ' ')} finding(s), first at ${raw.rowKind} ${first.row} (${first.ts}: ${first.detail}); set validation.${k} to ${policyChoices(k)} to accept`
    })
    throw new ValidationError(`${raw.file}: validation failed:\n  ${parts.join('\n  ')}`, report)
  }
  return { bars, report }
}

function policyChoices(kind: FindingKind): string {
  const field = validationPolicySchema.shape[kind as keyof ValidationPolicy]
  const options: readonly string[] = field ? field.unwrap().options : []
  return options.filter((o) => o !== 'fail').join(' or ')
}

interface Gap {
  index: number
  minutes: number
  cls: GapClass
}

/**
 * Gaps between consecutive bars, classified without a calendar: long gaps are weekends (covering a Saturday, UTC)
 * or holidays; a shorter gap is a session break when its start or end time of day recurs on many days (daily
 * maintenance breaks, exchange closes; two modes when the session follows daylight saving); the rest are intraday
 * missing minutes.
 */
export function classifyGaps(bars: Bars, options: GapOptions, intervalMs = MINUTE_MS) {
  const gaps: Gap[] = []
  const days = new Set<number>()
  const startCount = new Map<number, Set<number>>()
  const endCount = new Map<number, Set<number>>()
  const minuteOfDay = (ms: number) => Math.floor(ms / MINUTE_MS) % 1440
  const dayOf = (ms: number) => Math.floor(ms / 86_400_000)
  for (let i = 0; i < bars.length; i++) days.add(dayOf(bars.ts[i]))
  for (let i = 1; i < bars.length; i++) {
    // Missing time in whole bars of the interval, counted in minutes (the unit of every gap threshold).
    const missingBars = Math.round((bars.ts[i] - bars.ts[i - 1]) / intervalMs) - 1
    if (missingBars <= 0) continue
    const minutes = (missingBars * intervalMs) / MINUTE_MS
    gaps.push({ index: i, minutes, cls: 'intraday' })
    if (minutes >= options.session_break_min_minutes && minutes < options.long_gap_minutes) {
      const start = minuteOfDay(bars.ts[i - 1] + intervalMs)
      const end = minuteOfDay(bars.ts[i])
      if (!startCount.has(start)) startCount.set(start, new Set())
      if (!endCount.has(end)) endCount.set(end, new Set())
      startCount.get(start)!.add(dayOf(bars.ts[i]))
      endCount.get(end)!.add(dayOf(bars.ts[i]))
    }
  }
  const threshold = Math.max(2, options.session_recurrence * days.size)
  const counts: Record<GapClass, number> = { intraday: 0, session_break: 0, weekend: 0, holiday: 0 }
  const minutesBy: Record<GapClass, number> = { intraday: 0, session_break: 0, weekend: 0, holiday: 0 }
  let longest = 0
  for (const gap of gaps) {
    const from = bars.ts[gap.index - 1] + intervalMs
    const to = bars.ts[gap.index]
    if (gap.minutes >= options.long_gap_minutes) {
      gap.cls = coversSaturday(from, to) ? 'weekend' : 'holiday'
    } else if (gap.minutes >= options.session_break_min_minutes) {
      const recurring =
        (startCount.get(minuteOfDay(from))?.size ?? 0) >= threshold || (endCount.get(minuteOfDay(to))?.size ?? 0) >= threshold
      if (recurring) gap.cls = 'session_break'
    }
    counts[gap.cls]++
    minutesBy[gap.cls] += gap.minutes
    if (gap.minutes > longest) longest = gap.minutes
  }
  return { gaps, counts, minutes: minutesBy, longest }
}

function coversSaturday(from: number, to: number): boolean {
  for (let t = Math.floor(from / 86_400_000) * 86_400_000; t < to; t += 86_400_000) {
    if (new Date(t).getUTCDay() === 6 && t + 86_400_000 > from) return true
  }
  return false
}
