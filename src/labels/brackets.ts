import { z } from 'zod'
import { MINUTE_MS, type Bars } from '../data/bars.js'
import { formatRow } from './checks.js'
import { deepFreeze } from './config.js'
import { bracketOutcomes } from './targets.js'

/**
 * Bracket outcomes of periodic events (issue 18): at each decision time T (e.g. every day at 00:00 UTC), K exclusive
 * ranges of where the close will settle at T + horizon, around the prior close C0.
 *
 * Timing. Bars are stamped with their open time and close `barMs` later. The decision uses the last bar CLOSED at or
 * before T (for a 1m bar: the one opening at T - 1m), so C0 is its close and nothing at or after T is read. The settle
 * price is the close of the last bar closed at or before T + horizon. A looked-up bar that closed more than
 * `toleranceMinutes` before the time asked for means the data has a gap over that time: the event is dropped and
 * counted with its reason (never filled from stale prices silently).
 *
 * Ranges. sigma is the sample standard deviation of the N = `sigmaWindow` log returns of the closes at T - j*horizon,
 * j = 0..N (the N horizon-long windows ending at T), so it uses bars closed by T only. The outcome is the range of
 * z = log(settle / C0) / sigma: range i is [edges[i-1], edges[i]) (half-open), range 0 is (-inf, edges[0]) and range
 * K-1 is [edges[K-2], +inf). In price, edge e sits at C0 * exp(e * sigma).
 */
export const bracketConfigSchema = z
  .object({
    /** Decision time of day, UTC, 'HH:MM'; with a period other than a day, the phase of the decision grid. */
    decisionTime: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (UTC)')
      .default('00:00'),
    /** Minutes between decision times (1440: daily). */
    periodMinutes: z.number().int().positive().default(1440),
    /** Settle time = decision time + this many minutes. */
    horizonMinutes: z.number().int().positive().default(1440),
    /** Range edges in units of sigma (log return), strictly increasing; K = edges + 1 ranges. */
    edges: z
      .array(z.number().finite())
      .min(1)
      .default([-1.5, -0.5, 0, 0.5, 1.5])
      .superRefine((e, ctx) => {
        for (let i = 1; i < e.length; i++) {
          if (!(e[i] > e[i - 1]))
            ctx.addIssue({
              code: 'custom',
              path: [i],
              message: `edges must be strictly increasing (${e[i - 1]}, ${e[i]})`,
            })
        }
      }),
    /** Number of past horizon-long log returns in sigma. */
    sigmaWindow: z.number().int().min(2).default(20),
    /** Largest accepted age (minutes) of a bar's close at the time it stands for (decision, settle, sigma points). */
    toleranceMinutes: z.number().min(0).default(5),
  })
  .strict()

export type BracketConfig = z.infer<typeof bracketConfigSchema>

/** Validate, fill defaults and freeze. Errors name the field (`brackets.horizonMinutes: ...`). */
export function parseBracketConfig(input: unknown, source = 'brackets'): BracketConfig {
  const r = bracketConfigSchema.safeParse(input ?? {})
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${[source, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ')
    throw new Error(`invalid bracket config: ${msg}`)
  }
  return deepFreeze(r.data)
}

export const DROP_REASONS = [
  /** No bar closed within the tolerance before the decision time. */
  'decision_gap',
  /** Fewer than sigmaWindow horizon-long windows of data before the decision. */
  'sigma_warmup',
  /** A gap over one of sigma's lookback times. */
  'sigma_gap',
  /** sigma is 0 (flat prices): the ranges would collapse onto C0. */
  'sigma_zero',
  /** The data ends before the settle time. */
  'unsettled',
  /** A gap over the settle time. */
  'settle_gap',
] as const
export type DropReason = (typeof DROP_REASONS)[number]

export interface BracketEvent {
  /** Decision time T (epoch ms). */
  readonly decisionTs: number
  /** Settle time T + horizon (epoch ms). */
  readonly settleTs: number
  /** Row of the decision bar (the last closed at or before T); the row at which features are read. */
  readonly decisionRow: number
  readonly settleRow: number
  /** Prior close: the decision bar's close. */
  readonly c0: number
  readonly settle: number
  /** log(settle / c0). */
  readonly logReturn: number
  /** Standard deviation of past horizon-long log returns (known at T). */
  readonly sigma: number
  /** The K-1 edges in price, increasing: C0 * exp(edge * sigma). */
  readonly priceEdges: readonly number[]
  /** Index (0..K-1) of the range holding the settle price. */
  readonly outcome: number
}

export interface BracketEvents {
  /** Number of ranges. */
  readonly k: number
  readonly config: BracketConfig
  readonly events: readonly BracketEvent[]
  /** Every decision time on the grid that has no event, with its reason, in time order. */
  readonly dropped: readonly { readonly decisionTs: number; readonly reason: DropReason }[]
  readonly droppedBy: Readonly<Record<DropReason, number>>
}

/** Price bounds [lo, hi) of range i of an event; the first range has lo = -Infinity, the last hi = Infinity. */
export function rangeBounds(event: BracketEvent, i: number): [number, number] {
  const e = event.priceEdges
  if (!(Number.isInteger(i) && i >= 0 && i <= e.length)) throw new Error(`range ${i} is outside 0..${e.length}`)
  return [i === 0 ? -Infinity : e[i - 1], i === e.length ? Infinity : e[i]]
}

/** The bracket events of `bars` (strictly increasing open times, `barMs` apart or more). */
export function bracketEvents(bars: Bars, config: unknown = {}, barMs = MINUTE_MS): BracketEvents {
  const cfg = parseBracketConfig(config)
  if (!(Number.isInteger(barMs) && barMs > 0)) throw new Error(`bar length must be a positive whole ms, got ${barMs}`)
  const { ts, close } = bars
  const n = bars.length
  for (let i = 1; i < n; i++) {
    if (!(ts[i] > ts[i - 1])) throw new Error(`bracket events: bar times must increase, ${formatRow(i, ts)}`)
  }
  const period = cfg.periodMinutes * MINUTE_MS
  const horizon = cfg.horizonMinutes * MINUTE_MS
  const tolerance = cfg.toleranceMinutes * MINUTE_MS
  const [hh, mm] = cfg.decisionTime.split(':').map(Number)
  const phase = (hh * 60 + mm) * MINUTE_MS
  const droppedBy = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>
  const dropped: { decisionTs: number; reason: DropReason }[] = []
  const kept: Omit<BracketEvent, 'outcome' | 'priceEdges'>[] = []
  if (n === 0) return { k: cfg.edges.length + 1, config: cfg, events: [], dropped, droppedBy }

  const firstClose = ts[0] + barMs
  const lastClose = ts[n - 1] + barMs
  /** Row of the last bar closed at or before `time` and fresh within the tolerance, else -1. */
  const closedAt = (time: number): number => {
    let lo = 0
    let hi = n // first row with ts + barMs > time
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (ts[mid] + barMs <= time) lo = mid + 1
      else hi = mid
    }
    const i = lo - 1
    return i >= 0 && time - (ts[i] + barMs) <= tolerance ? i : -1
  }
  const price = (i: number): number => {
    const c = close[i]
    if (!(c > 0 && c < Infinity))
      throw new Error(`bracket events: close ${c} is not a positive price at ${formatRow(i, ts)}`)
    return c
  }

  const N = cfg.sigmaWindow
  const rets = new Float64Array(N)
  for (let T = phase + Math.ceil((firstClose - phase) / period) * period; T <= lastClose; T += period) {
    const drop = (reason: DropReason): void => {
      dropped.push({ decisionTs: T, reason })
      droppedBy[reason]++
    }
    const d = closedAt(T)
    if (d < 0) {
      drop('decision_gap')
      continue
    }
    if (T - N * horizon < firstClose) {
      drop('sigma_warmup')
      continue
    }
    let later = price(d)
    let gap = false
    for (let j = 1; j <= N && !gap; j++) {
      const r = closedAt(T - j * horizon)
      if (r < 0) gap = true
      else {
        const earlier = price(r)
        rets[j - 1] = Math.log(later / earlier)
        later = earlier
      }
    }
    if (gap) {
      drop('sigma_gap')
      continue
    }
    const sigma = sampleStd(rets)
    if (!(sigma > 0)) {
      drop('sigma_zero')
      continue
    }
    const S = T + horizon
    if (S > lastClose) {
      drop('unsettled')
      continue
    }
    const s = closedAt(S)
    if (s < 0) {
      drop('settle_gap')
      continue
    }
    const c0 = price(d)
    const settle = price(s)
    kept.push({
      decisionTs: T,
      settleTs: S,
      decisionRow: d,
      settleRow: s,
      c0,
      settle,
      logReturn: Math.log(settle / c0),
      sigma,
    })
  }
  const z = Float64Array.from(kept, (e) => e.logReturn / e.sigma)
  const { bin } = bracketOutcomes(z, cfg.edges)
  const events = kept.map((e, i) => ({
    ...e,
    priceEdges: cfg.edges.map((x) => e.c0 * Math.exp(x * e.sigma)),
    outcome: bin[i],
  }))
  return { k: cfg.edges.length + 1, config: cfg, events, dropped, droppedBy }
}

function sampleStd(x: Float64Array): number {
  let mean = 0
  for (const v of x) mean += v
  mean /= x.length
  let ss = 0
  for (const v of x) ss += (v - mean) * (v - mean)
  return Math.sqrt(ss / (x.length - 1))
}
