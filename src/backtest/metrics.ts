import type { BacktestResult } from './engine.js'

const DAY = 86_400_000

export interface BacktestMetrics {
  total_return: number
  sharpe: number
  sortino: number
  max_drawdown: number
  trades: number
  /** Share of trades whose net P&L is positive. */
  win_rate: number
  /** Sum of |position change| (fractions of capital) per day: a round trip of a full position counts 2. */
  turnover_per_day: number
  /** Costs as a share of gross P&L (|gross|); 0 without trades. */
  fee_share_of_gross: number
  /** Sum of the trades' gross returns, each on the capital it started with. */
  gross_return: number
  /** Mean |position| over the bars: the share of capital exposed, on average (the share of bars held at size 1). */
  exposure: number
  /** With maker_first execution: the share of traded notional filled as maker. */
  maker_share?: number
}

/** The UTC day (days since the epoch) of a time in epoch ms. */
export const utcDay = (ms: number): number => Math.floor(ms / DAY)

/** Daily returns from the marked-to-market equity (last mark of each UTC day). */
export function dailyReturns(ts: Float64Array, equity: Float64Array): number[] {
  const out: number[] = []
  let prev = 1
  for (let i = 0; i < equity.length; i++) {
    const lastOfDay = i === equity.length - 1 || utcDay(ts[i + 1]) !== utcDay(ts[i])
    if (lastOfDay) {
      out.push(equity[i] / prev - 1)
      prev = equity[i]
    }
  }
  return out
}

/** The smallest value, 0 for none; a loop, since spreading a long stream into Math.min overflows the call stack. */
function lowest(values: Float64Array): number {
  let min = 0
  for (let i = 0; i < values.length; i++) if (values[i] < min) min = values[i]
  return min
}

export function drawdown(equity: Float64Array): Float64Array {
  const dd = new Float64Array(equity.length)
  let peak = -Infinity
  for (let i = 0; i < equity.length; i++) {
    if (equity[i] > peak) peak = equity[i]
    dd[i] = equity[i] / peak - 1
  }
  return dd
}

/** Calendar days the bars span (at least 1). */
function spanDaysOf(ts: Float64Array): number {
  return ts.length ? Math.max(1, (ts[ts.length - 1] - ts[0]) / DAY) : 1
}

/**
 * Annualization uses the observed share of calendar days with bars (365 for 24/7 markets, about 252 for exchange
 * hours), so a crypto and an index series are annualized by their own calendars.
 */
export function tradingDaysPerYear(ts: Float64Array, days: number): number {
  return Math.min(365, Math.max(1, (days / spanDaysOf(ts)) * 365))
}

/** Annualized Sharpe ratio of daily returns (sample standard deviation); 0 when they do not vary. */
export function annualizedSharpe(daily: ArrayLike<number>, periodsPerYear: number): number {
  const n = daily.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += daily[i]
  mean /= Math.max(1, n)
  let ss = 0
  for (let i = 0; i < n; i++) ss += (daily[i] - mean) ** 2
  const sd = Math.sqrt(ss / Math.max(1, n - 1))
  return sd > 0 ? (mean / sd) * Math.sqrt(periodsPerYear) : 0
}

export function backtestMetrics(r: BacktestResult): BacktestMetrics {
  const daily = dailyReturns(r.ts, r.equity)
  const spanDays = spanDaysOf(r.ts)
  const periodsPerYear = tradingDaysPerYear(r.ts, daily.length)
  const mean = daily.reduce((s, x) => s + x, 0) / Math.max(1, daily.length)
  const downside = Math.sqrt(daily.reduce((s, x) => s + Math.min(0, x) ** 2, 0) / Math.max(1, daily.length))
  const dd = drawdown(r.equity)
  const gross = r.trades.reduce((s, t) => s + t.gross, 0)
  const cost = r.trades.reduce((s, t) => s + t.cost, 0)
  let changes = 0
  let held = 0
  for (let i = 0; i < r.position.length; i++) {
    changes += Math.abs(r.position[i] - (i ? r.position[i - 1] : 0))
    held += Math.abs(r.position[i])
  }
  return {
    total_return: r.equity.length ? r.equity[r.equity.length - 1] - 1 : 0,
    sharpe: annualizedSharpe(daily, periodsPerYear),
    sortino: downside > 0 ? (mean / downside) * Math.sqrt(periodsPerYear) : 0,
    max_drawdown: lowest(dd),
    trades: r.trades.length,
    win_rate: r.trades.length ? r.trades.filter((t) => t.net > 0).length / r.trades.length : 0,
    turnover_per_day: changes / spanDays,
    fee_share_of_gross: Math.abs(gross) > 0 ? cost / Math.abs(gross) : 0,
    gross_return: gross,
    exposure: r.position.length ? held / r.position.length : 0,
    ...(r.orders ? { maker_share: r.makerShare } : {}),
  }
}

/** One volatility regime's trades: what they made, and how sure that their mean is not zero. */
export interface RegimeTrades {
  regime: 'low_vol' | 'mid_vol' | 'high_vol'
  trades: number
  /** Sum of the trades' net returns (each on the capital it started with). */
  pnl: number
  /** Mean net return per trade. */
  meanNet: number
  /**
   * t-statistic of the mean net trade return: mean / sd * sqrt(trades). Not a Sharpe ratio: the headline Sharpe is
   * annualised over daily equity returns, and this is over trades, unannualised (it grows with the trade count).
   */
  tStat: number
  winRate: number
}

/**
 * Per-regime breakdown: trades grouped by the tercile (among the traded decisions) of the volatility at their
 * decision bar. `volatility` is indexed by absolute bar, as the trades' indices are; a trade
 * whose decision bar has no finite volatility is in no regime (the regime counts then sum to fewer than the trades).
 */
export function regimeBreakdown(r: BacktestResult, volatility: Float64Array): RegimeTrades[] {
  const entryVol = r.trades.map((t) => volatility[t.decisionIndex] ?? Number.NaN)
  const sorted = entryVol.filter(Number.isFinite).sort((a, b) => a - b)
  // The largest value of the lowest k thirds (a value <= it is in them): equal thirds when three divides the count.
  const q = (k: number) => sorted[Math.max(0, Math.ceil((k * sorted.length) / 3) - 1)]
  const cuts = sorted.length ? [q(1), q(2)] : [0, 0]
  const names = ['low_vol', 'mid_vol', 'high_vol'] as const
  return names.map((regime, g) => {
    const group = r.trades.filter((_, k) => {
      const v = entryVol[k]
      if (!Number.isFinite(v)) return false
      const bucket = v <= cuts[0] ? 0 : v <= cuts[1] ? 1 : 2
      return bucket === g
    })
    const nets = group.map((t) => t.net)
    const mean = nets.reduce((s, x) => s + x, 0) / Math.max(1, nets.length)
    const sd = Math.sqrt(nets.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, nets.length - 1))
    return {
      regime,
      trades: group.length,
      pnl: nets.reduce((s, x) => s + x, 0),
      meanNet: mean,
      tStat: sd > 0 ? (mean / sd) * Math.sqrt(Math.max(1, nets.length)) : 0,
      winRate: group.length ? nets.filter((x) => x > 0).length / group.length : 0,
    }
  })
}
