import { MINUTE_MS } from './bars.js'

/** A bar duration such as `1m`, `45m`, `1h`, `4h` or `1d`. */
export interface Timeframe {
  readonly name: string
  readonly ms: number
}

/** The default bar interval (`data.interval`): the canonical bars are 1-minute unless configured otherwise. */
export const ONE_MINUTE: Timeframe = { name: '1m', ms: MINUTE_MS }

export const DEFAULT_LADDER = ['1m', '5m', '10m', '15m', '20m', '25m', '30m', '45m', '1h'] as const

const UNIT_MS: Record<string, number> = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 1440 * MINUTE_MS }

export function parseTimeframe(name: string): Timeframe {
  const m = /^(\d+)([mhd])$/.exec(name.trim())
  if (!m || Number(m[1]) <= 0) {
    throw new Error(`invalid timeframe "${name}": expected a positive count and a unit m, h or d (e.g. 5m, 1h)`)
  }
  return { name: name.trim(), ms: Number(m[1]) * UNIT_MS[m[2]] }
}

/** Why `tf` cannot be built from bars of `base` (null when it can): it must hold a whole number of them. */
export function notWholeBars(tf: Timeframe, base: Timeframe): string | null {
  return tf.ms % base.ms === 0 ? null : `timeframe ${tf.name} is not a whole number of ${base.name} bars (data.interval)`
}

/**
 * The default ladder on bars of `base`: the 1-minute ladder on 1m bars; its multiples of the base for other intraday
 * intervals (5m: 5m ... 1h); on daily bars 1d and 7d, whose buckets (anchored to resample.origin, a Thursday by
 * default) each hold one of every weekday, so a trading week closes with its last day's bar, not the next Monday's.
 */
export function defaultLadder(base: Timeframe): string[] {
  if (base.ms === 1440 * MINUTE_MS) return [base.name, '7d']
  const multiples = DEFAULT_LADDER.map(parseTimeframe).filter((tf) => tf.ms > base.ms && tf.ms % base.ms === 0)
  return [base.name, ...multiples.map((tf) => tf.name)]
}

export function parseLadder(names: readonly string[]): Timeframe[] {
  const tfs = names.map(parseTimeframe).sort((a, b) => a.ms - b.ms)
  for (let i = 1; i < tfs.length; i++) {
    if (tfs[i].ms === tfs[i - 1].ms) throw new Error(`timeframe ladder lists ${tfs[i].name} twice`)
  }
  for (const tf of tfs) {
    if (tf.ms % MINUTE_MS !== 0) throw new Error(`timeframe ${tf.name} is not a whole number of minutes`)
  }
  return tfs
}
