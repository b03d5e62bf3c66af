/**
 * Confidence intervals for a backtest's Sharpe ratio, total return and hit rate by a circular block bootstrap over
 * days (Politis and Romano, 1992): the test period's UTC days are resampled in blocks of consecutive days (wrapping
 * at the end), so that the dependence between neighbouring days survives in each resample. A trade counts on the
 * day it closed. Percentile intervals; deterministic for a given seed.
 */
import { quantileSorted } from '../core/quantile.js'
import { seededRandom } from '../core/random.js'
import type { BacktestResult } from './engine.js'
import { annualizedSharpe, dailyReturns, tradingDaysPerYear, utcDay, type BacktestMetrics } from './metrics.js'

/** Fewest test days a bootstrap interval is drawn from: with fewer, no interval is claimed. */
export const MIN_BOOTSTRAP_DAYS = 5

export interface BootstrapOptions {
  readonly resamples: number
  /** Days per block; absent: the usual n^(1/3) order of a block bootstrap, rounded (at least 1). */
  readonly blockDays?: number
  /** Two-sided coverage of the percentile intervals, e.g. 0.95. */
  readonly confidence: number
  readonly seed: number
}

export interface Interval {
  /** The statistic on the test period itself. */
  readonly value: number
  readonly lo: number
  readonly hi: number
}

export type BootstrapRecord =
  | {
      readonly days: number
      readonly blockDays: number
      readonly resamples: number
      readonly confidence: number
      readonly sharpe: Interval
      readonly totalReturn: Interval
      /** Share of winning trades; null without trades. */
      readonly hitRate: Interval | null
    }
  | { readonly reason: string }

/** The block length used for `days` days when none is configured. */
export function defaultBlockDays(days: number): number {
  return Math.max(1, Math.round(Math.cbrt(days)))
}

/** The daily series the bootstrap resamples: each UTC day's return of equity, and its closed trades and wins. */
export interface DailySeries {
  readonly returns: Float64Array
  readonly trades: Float64Array
  readonly wins: Float64Array
  /** The calendar's trading days per year (the Sharpe ratio's annualization). */
  readonly periodsPerYear: number
}

/** `barTs` is indexed by absolute bar, as the trades' exit indices are. */
export function dailySeries(r: BacktestResult, barTs: Float64Array): DailySeries {
  const returns = Float64Array.from(dailyReturns(r.ts, r.equity))
  const dayIndex = new Map<number, number>()
  for (let i = 0; i < r.ts.length; i++) {
    const d = utcDay(r.ts[i])
    if (!dayIndex.has(d)) dayIndex.set(d, dayIndex.size)
  }
  const trades = new Float64Array(returns.length)
  const wins = new Float64Array(returns.length)
  for (const t of r.trades) {
    const k = dayIndex.get(utcDay(barTs[t.exitIndex]))
    if (k === undefined) throw new Error(`bootstrap: trade closed at bar ${t.exitIndex}, outside the tested days`)
    trades[k]++
    if (t.net > 0) wins[k]++
  }
  return { returns, trades, wins, periodsPerYear: tradingDaysPerYear(r.ts, returns.length) }
}

const compound = (daily: ArrayLike<number>): number => {
  let e = 1
  for (let i = 0; i < daily.length; i++) e *= 1 + daily[i]
  return e - 1
}

const sum = (x: Float64Array): number => x.reduce((s, v) => s + v, 0)

function interval(value: number, draws: number[], confidence: number): Interval {
  draws.sort((a, b) => a - b)
  const tail = (1 - confidence) / 2
  return { value, lo: quantileSorted(draws, tail), hi: quantileSorted(draws, 1 - tail) }
}

/** Intervals from a daily series (exported for tests on synthetic series). */
export function bootstrapDaily(series: DailySeries, opts: BootstrapOptions): BootstrapRecord {
  const n = series.returns.length
  if (n < MIN_BOOTSTRAP_DAYS)
    return { reason: `the test period has ${n} day${n === 1 ? '' : 's'}; an interval needs ${MIN_BOOTSTRAP_DAYS}` }
  const block = Math.min(n, opts.blockDays ?? defaultBlockDays(n))
  const rand = seededRandom(opts.seed)
  const sharpe: number[] = []
  const total: number[] = []
  const hits: number[] = []
  const resampled = new Float64Array(n)
  for (let b = 0; b < opts.resamples; b++) {
    let trades = 0
    let wins = 0
    for (let filled = 0; filled < n;) {
      const start = Math.floor(rand() * n)
      for (let j = 0; j < block && filled < n; j++, filled++) {
        const day = (start + j) % n
        resampled[filled] = series.returns[day]
        trades += series.trades[day]
        wins += series.wins[day]
      }
    }
    sharpe.push(annualizedSharpe(resampled, series.periodsPerYear))
    total.push(compound(resampled))
    // A resample without a closed trade has no hit rate: it is left out of that interval.
    if (trades > 0) hits.push(wins / trades)
  }
  const allTrades = sum(series.trades)
  return {
    days: n,
    blockDays: block,
    resamples: opts.resamples,
    confidence: opts.confidence,
    sharpe: interval(annualizedSharpe(series.returns, series.periodsPerYear), sharpe, opts.confidence),
    totalReturn: interval(compound(series.returns), total, opts.confidence),
    hitRate: allTrades > 0 && hits.length > 0 ? interval(sum(series.wins) / allTrades, hits, opts.confidence) : null,
  }
}

/** The intervals of a backtest's Sharpe ratio, total return and hit rate. */
export function bootstrapBacktest(r: BacktestResult, barTs: Float64Array, opts: BootstrapOptions): BootstrapRecord {
  return bootstrapDaily(dailySeries(r, barTs), opts)
}

/**
 * A backtest's metrics with the bounds of its intervals (sharpe_lo, sharpe_hi, total_return_lo, ...; absent when
 * the test period is too short for one), so that no Sharpe ratio travels without them.
 */
export function metricsWithIntervals(metrics: BacktestMetrics, intervals: BootstrapRecord): Record<string, number> {
  if ('reason' in intervals) return { ...metrics }
  const bounds = (name: string, i: { lo: number; hi: number } | null) =>
    i ? { [`${name}_lo`]: i.lo, [`${name}_hi`]: i.hi } : {}
  return {
    ...metrics,
    ...bounds('sharpe', intervals.sharpe),
    ...bounds('total_return', intervals.totalReturn),
    ...bounds('win_rate', intervals.hitRate),
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * A Sharpe ratio never stands alone: `3.59 [-1.20, 8.10] (246 trades)` from metrics with their bounds
 * (metricsWithIntervals), or `[no interval]` when the test period was too short for one.
 */
export function sharpeText(b: Readonly<Record<string, number>>): string {
  const ci =
    b.sharpe_lo !== undefined && b.sharpe_hi !== undefined
      ? `[${b.sharpe_lo.toFixed(2)}, ${b.sharpe_hi.toFixed(2)}]`
      : '[no interval]'
  return `${b.sharpe.toFixed(2)} ${ci} (${plural(b.trades, 'trade')})`
}
