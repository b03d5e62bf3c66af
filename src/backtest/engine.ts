import { z } from 'zod'
import type { Bars } from '../data/bars.js'

export const backtestConfigSchema = z
  .object({
    /** Fee per side, in basis points of notional. */
    fees: z.number().min(0).default(2),
    /** Slippage per side, in basis points of price (paid on entry and exit). */
    slippage: z.number().min(0).default(1),
  })
  .strict()

export type BacktestConfig = z.infer<typeof backtestConfigSchema>

export interface Trade {
  side: 1 | -1
  entryIndex: number
  exitIndex: number
  entryPrice: number
  exitPrice: number
  /** side * price return, before costs. */
  gross: number
  /** Fees and slippage as a return. */
  cost: number
  net: number
  /** Why it ended: the horizon, an opposite signal, or the end of the data. */
  exit: 'horizon' | 'flip' | 'end'
}

export interface BacktestResult {
  trades: Trade[]
  /** Marked-to-market equity at the close of each bar of the tested range (starts at 1). */
  equity: Float64Array
  ts: Float64Array
  /** Position held over each bar (after that bar's fills). */
  position: Int8Array
}

/**
 * Event-driven backtest of one position at a time over bars [start, end). The decision at row t (a signal formed at
 * the close of bar t) fills at the open of bar t+1, matching the labels' entry. A position is held until its horizon
 * (exit at the close of bar entry+horizon-1, i.e. decision + horizon, as the vertical barrier) or until the opposite
 * signal, which exits at the next open and reverses. Fees and slippage are paid on every fill. Equity compounds per
 * trade and is marked to market at every close.
 */
export function runBacktest(
  bars: Bars,
  signals: Int8Array,
  rows: Int32Array,
  horizon: number,
  config: BacktestConfig,
): BacktestResult {
  if (signals.length !== rows.length) throw new Error(`backtest: ${signals.length} signals for ${rows.length} rows`)
  const start = rows.length ? rows[0] : 0
  const end = rows.length ? Math.min(bars.length, rows[rows.length - 1] + 1) : 0
  const signalAt = new Int8Array(bars.length)
  const decided = new Uint8Array(bars.length)
  for (let k = 0; k < rows.length; k++) {
    signalAt[rows[k]] = signals[k]
    decided[rows[k]] = 1
  }
  const fee = config.fees * 1e-4
  const slip = config.slippage * 1e-4
  const trades: Trade[] = []
  const m = end - start
  const equity = new Float64Array(m)
  const position = new Int8Array(m)
  let capital = 1
  let side: 0 | 1 | -1 = 0
  let entryPrice = 0
  let entryIndex = -1
  let exitDue = -1

  const close = (t: number, price: number, why: Trade['exit']) => {
    const fillExit = price * (1 - side * slip)
    const gross = (side * (price - entryPrice)) / entryPrice
    const net = (side * (fillExit - entryFill)) / entryFill - 2 * fee
    trades.push({
      side: side as 1 | -1,
      entryIndex,
      exitIndex: t,
      entryPrice,
      exitPrice: price,
      gross,
      cost: gross - net,
      net,
      exit: why,
    })
    capital *= 1 + net
    side = 0
  }
  let entryFill = 0
  const open = (t: number, s: 1 | -1) => {
    side = s
    entryIndex = t
    entryPrice = bars.open[t]
    entryFill = entryPrice * (1 + s * slip)
    exitDue = t + horizon - 1
  }

  for (let t = start; t < end; t++) {
    // Fills at this bar's open, from the decision at the previous close.
    if (t > start && decided[t - 1]) {
      const s = signalAt[t - 1]
      if (side !== 0 && s === -side) {
        close(t, bars.open[t], 'flip')
        open(t, s as 1 | -1)
      } else if (side === 0 && s !== 0) open(t, s as 1 | -1)
    }
    if (side !== 0 && t >= exitDue) close(t, bars.close[t], 'horizon')
    const mark = side === 0 ? capital : capital * (1 + (side * (bars.close[t] - entryFill)) / entryFill - fee)
    equity[t - start] = mark
    position[t - start] = side
  }
  if (side !== 0 && m > 0) {
    close(end - 1, bars.close[end - 1], 'end')
    equity[m - 1] = capital
  }
  return { trades, equity, ts: bars.ts.slice(start, end), position }
}
