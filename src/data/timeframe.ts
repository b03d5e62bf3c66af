import { MINUTE_MS } from './bars.js'

/** A bar duration such as `1m`, `45m`, `1h`, `4h` or `1d`. */
export interface Timeframe {
  readonly name: string
  readonly ms: number
}

export const DEFAULT_LADDER = ['1m', '5m', '10m', '15m', '20m', '25m', '30m', '45m', '1h'] as const

const UNIT_MS: Record<string, number> = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 1440 * MINUTE_MS }

export function parseTimeframe(name: string): Timeframe {
  const m = /^(\d+)([mhd])$/.exec(name.trim())
  if (!m || Number(m[1]) <= 0) {
    throw new Error(`invalid timeframe "${name}": expected a positive count and a unit m, h or d (e.g. 5m, 1h)`)
  }
  return { name: name.trim(), ms: Number(m[1]) * UNIT_MS[m[2]] }
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
