/**
 * How much a sweep's choice may owe to luck. The deflated Sharpe ratio of the chosen configurations' out-of-sample
 * test stream, against the best Sharpe ratio expected among as many unskilled trials as each window chose from; and
 * per window, the probability of backtest overfitting (CSCV) of picking the best trial on its validation slice.
 * Both use the per-bar returns of the policy's backtest (marked to market each bar).
 */
import { deflatedSharpe, returnMoments } from '../validation/deflated-sharpe.js'
import { pboCscv } from '../validation/pbo.js'
import type { TrialOutcome } from './trial.js'

export type DeflatedSharpeRecord =
  | {
      readonly dsr: number
      /** Per-bar Sharpe ratio of the test stream and the benchmark it is deflated against. */
      readonly sharpe: number
      readonly benchmark: number
      readonly trials: number
      readonly trialVariance: number
      readonly bars: number
    }
  | { readonly reason: string }

export type PboRecord =
  | { readonly pbo: number; readonly partitions: number; readonly trials: number; readonly periods: number }
  | { readonly reason: string }

const sharpeOf = (r: readonly number[]): number | null => {
  try {
    return returnMoments(r).sharpe
  } catch {
    return null
  }
}

/**
 * `windows`: every window's trial outcomes. The number of trials is the most completed trials any window chose
 * among; their variance is pooled within windows (differences between windows are market regimes, not choice).
 */
export function deflatedSharpeOfSweep(
  windows: readonly (readonly TrialOutcome[])[],
  testReturns: readonly number[],
): DeflatedSharpeRecord {
  let trials = 0
  let ss = 0
  let dof = 0
  for (const outcomes of windows) {
    const srs = outcomes
      .filter((o) => o.status === 'complete')
      .map((o) => sharpeOf(o.returns.r))
      .filter((s): s is number => s !== null)
    trials = Math.max(trials, srs.length)
    if (srs.length < 2) continue
    const mean = srs.reduce((s, x) => s + x, 0) / srs.length
    ss += srs.reduce((s, x) => s + (x - mean) ** 2, 0)
    dof += srs.length - 1
  }
  if (trials < 2 || dof === 0)
    return { reason: `needs at least 2 completed trials with a defined Sharpe ratio in a window (most: ${trials})` }
  let moments
  try {
    moments = returnMoments(testReturns)
  } catch (err) {
    return { reason: `test stream: ${(err as Error).message}` }
  }
  const trialVariance = ss / dof
  try {
    const d = deflatedSharpe({ ...moments, trials, trialVariance })
    return { dsr: d.dsr, sharpe: moments.sharpe, benchmark: d.benchmark, trials, trialVariance, bars: moments.n }
  } catch (err) {
    return { reason: (err as Error).message }
  }
}

/** CSCV over a window's completed trials, their validation returns aligned by bar time (0 where a trial has none). */
export function pboOfWindow(outcomes: readonly TrialOutcome[]): PboRecord {
  const complete = outcomes.filter((o) => o.status === 'complete')
  if (complete.length < 2) return { reason: `needs at least 2 completed trials (${complete.length})` }
  const times = [...new Set(complete.flatMap((o) => o.returns.ts))].sort((a, b) => a - b)
  const row = new Map(times.map((t, i) => [t, i]))
  const performance = times.map(() => new Float64Array(complete.length))
  complete.forEach((o, j) => o.returns.ts.forEach((t, k) => (performance[row.get(t)!][j] = o.returns.r[k])))
  const partitions = [16, 8, 4].find((p) => times.length >= 2 * p)
  if (!partitions) return { reason: `needs at least 8 bars of validation returns (${times.length})` }
  const r = pboCscv(performance, partitions)
  return { pbo: r.pbo, partitions, trials: complete.length, periods: times.length }
}
