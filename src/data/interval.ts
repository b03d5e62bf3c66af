import { MINUTE_MS } from './bars.js'

/** The bar interval a file's timestamps show: the most common positive step between consecutive bars. */
export interface DetectedInterval {
  /** the most common step, in milliseconds */
  readonly stepMs: number
  /** share of all positive steps that are exactly `stepMs` */
  readonly share: number
  /** number of positive steps counted */
  readonly steps: number
}

/**
 * The most common positive step between consecutive timestamps. Gaps (missing bars, session breaks, weekends) are
 * longer steps that each occur rarely, so the mode is the bar interval even in gappy data; ties go to the shorter
 * step. Null when there are fewer than two bars.
 */
export function detectInterval(ts: Float64Array): DetectedInterval | null {
  const counts = new Map<number, number>()
  let steps = 0
  for (let i = 1; i < ts.length; i++) {
    const step = ts[i] - ts[i - 1]
    if (!(step > 0)) continue
    counts.set(step, (counts.get(step) ?? 0) + 1)
    steps++
  }
  let best = 0
  let bestCount = 0
  for (const [step, count] of counts) {
    if (count > bestCount || (count === bestCount && step < best)) {
      best = step
      bestCount = count
    }
  }
  return steps === 0 ? null : { stepMs: best, share: bestCount / steps, steps }
}

const UNITS = [
  { ms: 1440 * MINUTE_MS, short: 'd', word: 'day' },
  { ms: 60 * MINUTE_MS, short: 'h', word: 'hour' },
  { ms: MINUTE_MS, short: 'm', word: 'minute' },
  { ms: 1000, short: 's', word: 'second' },
] as const

function largestUnit(ms: number) {
  return UNITS.find((u) => ms % u.ms === 0) ?? { ms: 1, short: 'ms', word: 'millisecond' }
}

/** A step as a timeframe name in its largest whole unit: 300000 -> `5m`, 86400000 -> `1d`, 30000 -> `30s`. */
export function stepName(ms: number): string {
  const u = largestUnit(ms)
  return `${ms / u.ms}${u.short}`
}

/** A step as an adjective for messages: `5-minute`, `1-day`. */
export function stepWords(ms: number): string {
  const u = largestUnit(ms)
  return `${ms / u.ms}-${u.word}`
}

/** Steps needed before a file without one step of the configured interval counts as another interval. */
const MIN_EVIDENCE_STEPS = 20

/**
 * Why the bars' interval disagrees with the configured one, or null when it agrees or the file is too short or too
 * sparse to tell, e.g. `bars in x.csv are 5-minute (most common step 5m in 98% of steps) but data.interval is 1m;
 * set data.interval: 5m`. Refused: bars finer than the interval in at least half of the steps; or, over at least
 * MIN_EVIDENCE_STEPS steps, another most common step in at least half of them, or not one step of the interval.
 * Short files and thinly traded bars (gaps of a few bars more common than single steps) stay valid.
 */
export function intervalMismatch(
  file: string,
  ts: Float64Array,
  interval: { readonly name: string; readonly ms: number },
): string | null {
  const found = detectInterval(ts)
  if (!found || found.stepMs === interval.ms) return null
  let finer = 0
  let exact = 0
  for (let i = 1; i < ts.length; i++) {
    const step = ts[i] - ts[i - 1]
    if (step > 0 && step < interval.ms) finer++
    else if (step === interval.ms) exact++
  }
  const enough = found.steps >= MIN_EVIDENCE_STEPS
  const refused = finer * 2 >= found.steps || (enough && (found.share >= 0.5 || exact === 0))
  if (!refused) return null
  const pct = Math.floor(found.share * 1000) / 10
  const fix =
    found.stepMs % MINUTE_MS === 0
      ? `set data.interval: ${stepName(found.stepMs)}`
      : 'data.interval must be a whole number of minutes, so this file cannot be used as it is'
  return `bars in ${file} are ${stepWords(found.stepMs)} (most common step ${stepName(found.stepMs)} in ${pct}% of ${found.steps} steps) but data.interval is ${interval.name}; ${fix}`
}
