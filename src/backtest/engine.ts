import { z } from 'zod'
import type { Bars } from '../data/bars.js'
import { executionConfigSchema } from '../policy/execution/registry.js'
import { limitFill, type MakerFirstExecution } from '../policy/execution/maker-first.js'
import { Account, type FillCause, type Trade } from './account.js'

export type { Trade } from './account.js'

export const backtestConfigSchema = z
  .object({
    /** Taker fee per side, in basis points of notional. */
    fees: z.number().min(0).max(1000).default(2).describe('Taker fee per fill, in basis points of its notional'),
    /** Slippage per taker fill, in basis points of price. */
    slippage: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .describe('Slippage of a taker fill, in basis points of its price (paid on entry and exit)'),
    // This and execution are optional (absent: 0 and taker), so configs written before them hash, and their bundles
    // load, as before.
    rebalance_band: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'Smallest resize of a held position worth trading, as a fraction of capital: a same-side change below it is skipped (opening, reversing and exiting always trade); absent: 0',
      ),
    execution: executionConfigSchema
      .optional()
      .describe(
        'How orders fill: taker (next open plus slippage; the default when absent) or maker_first (a resting limit first)',
      ),
  })
  .strict()

export type BacktestConfig = z.infer<typeof backtestConfigSchema>

/** The same backtest with every cost at zero (taker fee, slippage, maker fee): what the positions earn gross. */
export function withoutCosts(config: BacktestConfig): BacktestConfig {
  const execution = config.execution
  return {
    ...config,
    fees: 0,
    slippage: 0,
    ...(execution && execution.kind === 'maker_first' ? { execution: { ...execution, maker_fee: 0 } } : {}),
  }
}

/** How a maker_first backtest's orders ended. */
export interface OrderCounts {
  /** Limit orders posted, filled whole as maker, crossed as taker at their timeout, cancelled there. */
  limit: number
  filled: number
  crossed: number
  cancelled: number
  /** Working orders replaced by a later decision before they were done. */
  replaced: number
}

export interface BacktestResult {
  trades: Trade[]
  /** Marked-to-market equity at the close of each bar of the tested range (starts at 1). */
  equity: Float64Array
  ts: Float64Array
  /** Position at the close of each bar (after that bar's fills), a signed fraction of capital. */
  position: Float64Array
  /** The return of equity over each bar (the first from the starting capital): the per-bar P&L. */
  returns: Float64Array
  /** Share of the traded notional filled as maker. */
  makerShare: number
  /** How the orders ended, with maker_first execution. */
  orders?: OrderCounts
}

/** An order the engine works towards the target position (a signed fraction of capital). */
type Order =
  | { readonly kind: 'market'; readonly target: number; readonly cause: FillCause }
  | {
      readonly kind: 'limit'
      readonly target: number
      readonly cause: FillCause
      readonly buy: boolean
      readonly limit: number
      readonly expires: number
      remaining: number
    }

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0)

/**
 * Backtest of target positions over bars [start, end). A decision at row t (formed at the close of bar t) sets the
 * intended position for a trade held the label horizon: from flat or against the held side it opens (or reverses
 * to) its size, due to exit at the close of bar t + horizon (the vertical barrier); of the held side it resizes the
 * position and leaves its exit due; a decision of 0 leaves the intention as it is. The execution model fills the
 * orders that move the position to the intention: taker at the next open (a horizon exit at its close) with
 * slippage and the taker fee; maker_first as a resting limit (src/policy/execution/maker-first.ts). Costs are paid
 * on what each fill trades, so resizing costs the change only. Equity is cash plus units held at each close; a
 * position still open at the end is closed at the last close.
 */
export function runBacktest(
  bars: Bars,
  targets: Float64Array,
  rows: Int32Array,
  horizon: number,
  config: BacktestConfig,
): BacktestResult {
  if (targets.length !== rows.length) throw new Error(`backtest: ${targets.length} positions for ${rows.length} rows`)
  const start = rows.length ? rows[0] : 0
  const end = rows.length ? Math.min(bars.length, rows[rows.length - 1] + 1) : 0
  const targetAt = new Float64Array(bars.length)
  const decided = new Uint8Array(bars.length)
  for (let k = 0; k < rows.length; k++) {
    if (!(targets[k] >= -1 && targets[k] <= 1))
      throw new Error(`backtest: the position for the row at bar ${rows[k]} is ${targets[k]}, not in [-1, 1]`)
    targetAt[rows[k]] = targets[k]
    decided[rows[k]] = 1
  }
  const fee = config.fees * 1e-4
  const slip = config.slippage * 1e-4
  const band = config.rebalance_band ?? 0
  const maker = config.execution?.kind === 'maker_first' ? (config.execution as MakerFirstExecution) : null
  const counts: OrderCounts = { limit: 0, filled: 0, crossed: 0, cancelled: 0, replaced: 0 }
  const account = new Account()
  const m = Math.max(0, end - start)
  const equity = new Float64Array(m)
  const position = new Float64Array(m)
  let intent = 0
  let exitDue = -1
  let order: Order | null = null

  /** A taker fill now at `raw` towards `target` of equity (a reversal closes first, then opens on what is left). */
  const cross = (t: number, raw: number, target: number, cause: FillCause) => {
    if (account.units !== 0 && sign(target) !== sign(account.units))
      account.fill(t, -account.units, raw, raw * (1 - sign(account.units) * slip), fee, false, cause)
    if (target !== 0) {
      const e = account.equity(raw)
      const dir = sign((target * e) / raw - account.units)
      if (dir === 0) return
      const price = raw * (1 + dir * slip)
      const units = (target * e) / price - account.units
      // A resize inside the slippage band changes nothing.
      if (sign(units) !== dir) return
      account.fill(t, units, raw, price, fee, false, cause)
    }
    account.setSize(target)
  }

  /** A limit order posted at the close of bar t towards `target`, or null when the position is there already. */
  const post = (t: number, target: number, cause: FillCause): Order | null => {
    const ref = bars.close[t]
    const offset = maker!.offset * 1e-4
    const u = account.units
    let dir: number
    let units: number
    let limit: number
    if (u !== 0 && sign(target) !== sign(u)) {
      // Close at the limit (after its maker fee), then open on the equity left.
      dir = -sign(u)
      limit = ref * (1 - dir * offset)
      const left = account.cash + u * limit - maker!.maker_fee * 1e-4 * Math.abs(u) * limit
      units = -u + (target * left) / limit
    } else {
      dir = sign((target * account.equity(ref)) / ref - u)
      if (dir === 0) return null
      limit = ref * (1 - dir * offset)
      units = (target * account.equity(limit)) / limit - u
      if (sign(units) !== dir) return null
    }
    counts.limit++
    return {
      kind: 'limit',
      target,
      cause,
      buy: dir > 0,
      limit,
      expires: t + maker!.timeout,
      remaining: Math.abs(units),
    }
  }

  /** Moves the position towards a new intention from the close of bar t: taker now or next open, or a limit. */
  const place = (t: number, target: number, cause: FillCause, now: boolean) => {
    if (order && order.kind === 'limit' && order.remaining > 0) counts.replaced++
    order = null
    if (target === account.size) return
    if (maker) order = post(t, target, cause)
    else if (now) cross(t, bars.close[t], target, cause)
    else order = { kind: 'market', target, cause }
  }

  const volumeCap = maker?.partial_fills
    ? { share: maker.partial_fills.volume_share, unitsPerBase: 1 / maker.partial_fills.capital }
    : undefined

  for (let t = start; t < end; t++) {
    // Fills during bar t of the order placed at or before the previous close.
    const working = order as Order | null
    if (working?.kind === 'market') {
      order = null
      cross(t, bars.open[t], working.target, working.cause)
    } else if (working?.kind === 'limit') {
      const bar = { high: bars.high[t], low: bars.low[t], volume: bars.volume[t] }
      const q = limitFill(working.buy, working.limit, bar, maker!.fill, working.remaining, volumeCap)
      if (q > 0) {
        const done = q >= working.remaining
        working.remaining = done ? 0 : working.remaining - q
        account.fill(
          t,
          (working.buy ? 1 : -1) * q,
          working.limit,
          working.limit,
          maker!.maker_fee * 1e-4,
          true,
          working.cause,
        )
        account.setSize(done ? working.target : account.exposure(working.limit))
        if (done) {
          counts.filled++
          order = null
        }
      }
      if (order && t >= working.expires) {
        order = null
        if (maker!.on_timeout === 'cross') {
          counts.crossed++
          order = { kind: 'market', target: working.target, cause: working.cause }
        } else {
          counts.cancelled++
          // What shrinks the position still crosses: a horizon exit, the closing part of a reversal or a cut.
          const held = account.size
          const shrinkTo =
            held === 0
              ? null
              : sign(working.target) !== sign(held)
                ? 0
                : Math.abs(working.target) < Math.abs(held)
                  ? working.target
                  : null
          if (shrinkTo !== null) order = { kind: 'market', target: shrinkTo, cause: working.cause }
        }
      }
    }
    if (intent !== 0 && t >= exitDue) {
      intent = 0
      place(t, 0, { exit: 'horizon', decisionIndex: t }, true)
    }
    equity[t - start] = account.equity(bars.close[t])
    position[t - start] = account.size
    // The decision at this close.
    const s = targetAt[t]
    const opens = intent === 0 || sign(s) !== sign(intent)
    if (decided[t] && s !== 0 && s !== intent && (opens || Math.abs(s - intent) >= band)) {
      if (opens) exitDue = t + horizon
      intent = s
      place(t, s, { exit: 'flip', decisionIndex: t }, false)
    }
  }
  if (account.units !== 0 && m > 0) {
    cross(end - 1, bars.close[end - 1], 0, { exit: 'end', decisionIndex: end - 1 })
    equity[m - 1] = account.cash
  }
  const returns = new Float64Array(m)
  for (let i = 0; i < m; i++) returns[i] = equity[i] / (i ? equity[i - 1] : 1) - 1
  const traded = account.makerNotional + account.takerNotional
  return {
    trades: account.trades,
    equity,
    ts: bars.ts.slice(start, end),
    position,
    returns,
    makerShare: traded > 0 ? account.makerNotional / traded : 0,
    ...(maker ? { orders: counts } : {}),
  }
}
