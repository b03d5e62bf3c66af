import type { Bars } from '../data/bars.js'
import { tripleBarrierConfigSchema, type TripleBarrierConfig } from './config.js'
import { buildBlockExtremes, firstTouchEither } from './first-touch.js'
import { checkVolatility, formatRow } from './checks.js'

/** Which barrier ended the event. NONE: the row has no event (warm-up, no side, too close to the end, minReturn). */
export const BARRIER_NONE = 0
export const BARRIER_UPPER = 1
export const BARRIER_LOWER = 2
export const BARRIER_VERTICAL = 3
export const BARRIER_NAMES = ['none', 'upper', 'lower', 'vertical'] as const

export interface TripleBarrierLabels {
  readonly n: number
  /** Unsided: -1 / 0 / 1. With a side (meta-labeling): 1 = the side's trade made money net of cost, else 0. */
  readonly label: Int8Array
  /** BARRIER_* code per row. */
  readonly barrier: Uint8Array
  /** Row index of the bar in which the event ended (touch bar or vertical bar); -1 without an event. */
  readonly t1Index: Int32Array
  /** Open time (epoch ms) of that bar; NaN without an event. */
  readonly t1: Float64Array
  /** side * (exit - entry) / entry (side = +1 when unsided), gross of cost; NaN without an event. */
  readonly ret: Float64Array
  readonly entryPrice: Float64Array
  readonly exitPrice: Float64Array
  /** Barrier price levels (after folding costs); NaN without an event. */
  readonly upper: Float64Array
  readonly lower: Float64Array
}

/**
 * Triple-barrier labels with costs folded into the barriers (conventions: docs/label-timing.md).
 *
 * Decision at the close of bar t; volatility `vol[t]` must be causal (bars <= t). Entry at the open of t+1
 * ('next_open') or the close of t ('close'). Barriers are checked on the highs/lows of bars t+1 .. t+maxHolding; a bar
 * that opens beyond a barrier fills at its open (gap), otherwise at the barrier. The vertical barrier exits at the
 * close of bar t+maxHolding. Cost c (price units) is charged to the trade the label stands for: a target must be
 * reached net of c (moved c further away) and a stop is reached c earlier (moved c closer).
 *
 * `side` (optional, meta-labeling): +1 long, -1 short, 0 no event. With a side, kUp is the profit-taking multiple and
 * kDown the stop-loss multiple, placed in the side's direction.
 */
export function tripleBarrier(
  bars: Bars,
  vol: Float64Array,
  config: Partial<TripleBarrierConfig> = {},
  side?: Int8Array | Float64Array,
): TripleBarrierLabels {
  const cfg = parseTripleBarrierConfig(config)
  const n = bars.length
  const H = cfg.maxHolding
  if (vol.length !== n) throw new Error(`volatility has ${vol.length} values for ${n} bars`)
  if (H >= n) throw new Error(`horizon maxHolding=${H} bars is longer than the data (${n} bars): no row can be labeled`)
  if (side && side.length !== n) throw new Error(`side has ${side.length} values for ${n} bars`)
  checkVolatility(vol, bars.ts, 'triple barrier')

  const { open, high, low, close, ts } = bars
  const blocks = buildBlockExtremes(high, low)
  const out = allocLabels(n)
  const { kUp, kDown, costPrice, minReturn } = cfg
  const costFrac = cfg.costBps * 1e-4
  const nextOpen = cfg.entry === 'next_open'
  const stopFirst = cfg.intrabar === 'stop_first'
  const verticalSign = cfg.verticalLabel === 'sign'

  for (let t = 0; t + H < n; t++) {
    const v = vol[t]
    if (!(v > 0)) continue // warm-up (checkVolatility rejected NaN or <= 0 after it)
    let s = 0
    if (side) {
      s = side[t]
      if (s === 0) continue
      if (s !== 1 && s !== -1) throw new Error(`side must be -1, 0 or 1; got ${s} at ${formatRow(t, ts)}`)
    }
    const entry = nextOpen ? open[t + 1] : close[t]
    if (!(entry > 0)) throw new Error(`entry price ${entry} is not positive at ${formatRow(nextOpen ? t + 1 : t, ts)}`)
    if (v / entry < minReturn) continue
    const cost = costPrice + costFrac * entry
    let up: number
    let dn: number
    if (s === 0) {
      up = entry + kUp * v + cost
      dn = entry - kDown * v - cost
    } else {
      const stopDistance = kDown * v - cost
      if (!(stopDistance > 0)) {
        throw new Error(`cost ${cost} reaches the stop (kDown*vol = ${kDown * v}) at ${formatRow(t, ts)}: raise kDown`)
      }
      const profitDistance = kUp * v + cost
      up = s > 0 ? entry + profitDistance : entry + stopDistance
      dn = s > 0 ? entry - stopDistance : entry - profitDistance
    }
    const a = t + 1
    const b = t + H
    const j0 = firstTouchEither(high, low, blocks, a, b, up, dn)
    let j: number
    let hit: number
    let exit: number
    if (j0 < 0) {
      j = b
      hit = BARRIER_VERTICAL
      exit = close[b]
    } else {
      j = j0
      const hu = high[j] >= up
      const hd = low[j] <= dn
      hit = hu && hd ? resolveSameBar(open[j], up, dn, stopFirst, s) : hu ? BARRIER_UPPER : BARRIER_LOWER
      const o = open[j]
      exit = hit === BARRIER_UPPER ? (o >= up ? o : up) : o <= dn ? o : dn
    }
    const sign = s === 0 ? 1 : s
    const r = (sign * (exit - entry)) / entry
    const costRet = cost / entry
    let label: number
    if (hit === BARRIER_VERTICAL) {
      if (!verticalSign) label = 0
      else if (s === 0) label = r > costRet ? 1 : r < -costRet ? -1 : 0
      else label = r > costRet ? 1 : 0
    } else if (s === 0) {
      label = hit === BARRIER_UPPER ? 1 : -1
    } else {
      const profit = s > 0 === (hit === BARRIER_UPPER)
      label = profit ? 1 : 0
    }
    out.label[t] = label
    out.barrier[t] = hit
    out.t1Index[t] = j
    out.t1[t] = ts[j]
    out.ret[t] = r
    out.entryPrice[t] = entry
    out.exitPrice[t] = exit
    out.upper[t] = up
    out.lower[t] = dn
  }
  return out
}

/**
 * Both barriers inside one bar whose open lies between them: the order inside the bar is unknown.
 * A gap open beyond a barrier is unambiguous (the open came first).
 * 'stop_first': the stop (unsided: the lower barrier, the long's stop) wins, so a label is never optimistic.
 * 'nearest_to_open': the barrier closer to the open wins; a tie falls back to the stop.
 */
function resolveSameBar(o: number, up: number, dn: number, stopFirst: boolean, side: number): number {
  if (o >= up) return BARRIER_UPPER
  if (o <= dn) return BARRIER_LOWER
  const stop = side < 0 ? BARRIER_UPPER : BARRIER_LOWER
  if (stopFirst) return stop
  const dUp = up - o
  const dDn = o - dn
  return dUp < dDn ? BARRIER_UPPER : dDn < dUp ? BARRIER_LOWER : stop
}

export function parseTripleBarrierConfig(config: Partial<TripleBarrierConfig>): TripleBarrierConfig {
  const r = tripleBarrierConfigSchema.safeParse(config)
  if (!r.success) {
    const msg = r.error.issues.map((i) => `labels.tripleBarrier.${i.path.join('.')}: ${i.message}`).join('; ')
    throw new Error(`invalid triple-barrier config: ${msg}`)
  }
  return r.data
}

function allocLabels(n: number): TripleBarrierLabels {
  const nan = (): Float64Array => new Float64Array(n).fill(NaN)
  return {
    n,
    label: new Int8Array(n),
    barrier: new Uint8Array(n),
    t1Index: new Int32Array(n).fill(-1),
    t1: nan(),
    ret: nan(),
    entryPrice: nan(),
    exitPrice: nan(),
    upper: nan(),
    lower: nan(),
  }
}
