/**
 * A synthetic market for RL sanity tests: at each bar a hidden sign s is drawn, the chain's p_up reads it
 * (0.5 +- 0.2, with noise), and the next bar returns `edge * s` plus noise. With `edge: 0` the signal is pure noise.
 */
import { seededNormal, seededRandom } from '../../../src/core/random.js'
import type { Bars } from '../../../src/data/bars.js'
import type { MarketState, PolicyInputs } from '../../../src/policy/contract.js'
import { rlSeries, stepPnl, turnoverPerStep, type RlSeries } from '../../../src/policy/rl/environment.js'
import { fitRlPolicy, networkPositions, type RlFit } from '../../../src/policy/rl/fit.js'
import type { RlPolicy } from '../../../src/policy/rl/params.js'

export const COSTS = { fees: 2, slippage: 1 }

export interface Planted {
  readonly series: RlSeries
  /** The hidden sign at each row: the oracle's position. */
  readonly sign: Float64Array
}

export function planted(n: number, edge: number, seed: number): Planted {
  const rand = seededRandom(seed)
  const normal = seededNormal(seed + 1)
  const sign = Float64Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1))
  const open = new Float64Array(n + 1)
  const close = new Float64Array(n + 1)
  close[0] = open[0] = 100
  for (let b = 1; b <= n; b++) {
    open[b] = close[b - 1]
    close[b] = open[b] * (1 + edge * sign[b - 1] + 0.002 * normal())
  }
  const bars: Bars = {
    length: n + 1,
    ts: Float64Array.from({ length: n + 1 }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open,
    high: Float64Array.from(close, (c, i) => Math.max(c, open[i])),
    low: Float64Array.from(close, (c, i) => Math.min(c, open[i])),
    close,
    volume: new Float64Array(n + 1).fill(1),
  }
  const p_up = Float64Array.from(sign, (s) => 0.5 + 0.2 * s + 0.05 * normal())
  const p = new Float64Array(3 * n)
  for (let i = 0; i < n; i++) {
    p[3 * i] = (1 - p_up[i]) / 2
    p[3 * i + 1] = (1 - p_up[i]) / 2
    p[3 * i + 2] = p_up[i]
  }
  const inputs: PolicyInputs = { n, p, p_up }
  const rows = Int32Array.from({ length: n }, (_, i) => i)
  const market: MarketState = {
    bars,
    rows,
    vol: new Float64Array(n + 1).fill(0.2),
    barriers: { kUp: 1, kDown: 1, costPrice: 0, costBps: 0 },
    roundTrip: 6e-4,
  }
  return { series: rlSeries(inputs, market, ['p_up'], COSTS), sign }
}

/** Net P&L of holding `positions` (from flat) over the series. */
export function pnlOf(series: RlSeries, positions: Float64Array): number {
  let held = 0
  let sum = 0
  for (let i = 0; i < series.n; i++) {
    sum += stepPnl(series, i, held, positions[i])
    held = positions[i]
  }
  return sum
}

/** Every seed of a fit on the planted signal (edge 0.002), with the oracle's test P&L. */
export function plantedFit(params: RlPolicy, rootSeed: number): { fit: RlFit; oracle: number; test: RlSeries } {
  const tst = planted(1000, 0.002, 13)
  const fit = fitRlPolicy(
    planted(4000, 0.002, 11).series,
    planted(1000, 0.002, 12).series,
    tst.series,
    params,
    rootSeed,
  )
  return { fit, oracle: pnlOf(tst.series, tst.sign), test: tst.series }
}

/** Each seed's test turnover per step on pure noise: the selected policy's, and the last update's. */
export function noiseTurnovers(params: RlPolicy, rootSeed: number): { seed: number; selected: number; last: number }[] {
  const tst = planted(1000, 0, 23).series
  const fit = fitRlPolicy(planted(4000, 0, 21).series, planted(1000, 0, 22).series, tst, params, rootSeed)
  return fit.seeds.map((s) => ({
    seed: s.seed,
    selected: turnoverPerStep(networkPositions(tst, s.network)),
    last: turnoverPerStep(networkPositions(tst, s.last)),
  }))
}
