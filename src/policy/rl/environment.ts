/**
 * The reinforcement-learning environment over bars. A step is a decision row: the agent sees the row's observation
 * (the chain outputs named in `inputs` and market state known at the close of the row's bar, plus the position it
 * holds), sets a target position in [-1, 1], and is paid the net P&L of the next bar: the held position over the gap
 * from the close to the next open, the new one from that open to its close, less the taker cost of the change
 * (backtest/costs.ts, the arithmetic the backtest engine pays). Or, by config, the differential Sharpe ratio of that
 * P&L (Moody and Saffell). P&L is additive over steps (returns on starting capital, not compounded), which is what
 * a per-step reward needs.
 *
 * A vectorised environment steps many episodes at once over typed arrays; `rollout` runs one policy over a whole
 * series from its first row, the path a trained policy's positions take.
 */
import type { BacktestConfig } from '../../backtest/engine.js'
import { takerCostShare } from '../../backtest/costs.js'
import { seededRandom } from '../../core/random.js'
import type { MarketState, PolicyInputs, PolicyNeed } from '../contract.js'

/** What an observation can read: chain outputs on the row, and market state at its close. */
export const RL_INPUTS = ['p', 'p_up', 'E_r', 'q_lo', 'q_hi', 'return_1'] as const
export type RlInput = (typeof RL_INPUTS)[number]

/** How many observation columns an input gives. */
const WIDTH: Record<RlInput, number> = { p: 3, p_up: 1, E_r: 1, q_lo: 1, q_hi: 1, return_1: 1 }

/** The chain outputs the inputs read (return_1 reads the bars only). */
export function rlNeeds(inputs: readonly RlInput[]): PolicyNeed[] {
  const needs = new Set<PolicyNeed>()
  for (const name of inputs) {
    if (name === 'q_lo' || name === 'q_hi') needs.add('q_lo/q_hi')
    else if (name !== 'return_1') needs.add(name)
  }
  return [...needs]
}

/** A series the environment steps over: per decision row, its features and the returns the next bar pays. */
export interface RlSeries {
  readonly n: number
  /** Feature columns per row (the observation is these, plus the held position where observed). */
  readonly width: number
  /**
   * Whether the observation ends with the held position. With it a policy can weigh the cost of a change, but its
   * positions depend on the path from the first row; without it each position is a function of its row alone.
   */
  readonly observesPosition: boolean
  /** (n, width) row-major: the named inputs at each row, as the chain gave them. */
  readonly features: Float64Array
  /** Return from the close of the row's bar to the next bar's open; 0 where the row is the last bar. */
  readonly gap: Float64Array
  /** Return from the next bar's open to its close; 0 where the row is the last bar. */
  readonly hold: Float64Array
  /** Cost of buying and of selling one unit of notional, as a share of it (fee and slippage). */
  readonly costBuy: number
  readonly costSell: number
}

/**
 * The series of decision rows. Features at row i read outputs at row i and bars at or before rows[i] only; `gap`
 * and `hold` read the bar after (they are the reward, paid after the decision). Decision rows must be increasing
 * bars; consecutive rows are steps whatever the bars between them.
 */
export function rlSeries(
  inputs: PolicyInputs,
  market: MarketState,
  names: readonly RlInput[],
  backtest: Pick<BacktestConfig, 'fees' | 'slippage' | 'execution'>,
  observesPosition = true,
): RlSeries {
  if (backtest.execution && backtest.execution.kind !== 'taker')
    throw new Error(
      `policy rl: the environment prices fills as a taker; backtest.execution ${backtest.execution.kind} is not supported`,
    )
  const { bars, rows } = market
  const n = inputs.n
  if (rows.length !== n) throw new Error(`policy rl: ${n} output rows for ${rows.length} decision bars`)
  const width = names.reduce((s, name) => s + WIDTH[name], 0)
  const features = new Float64Array(n * width)
  let col = 0
  for (const name of names) {
    const w = WIDTH[name]
    const source = name === 'return_1' ? null : name === 'p' ? inputs.p : inputs[name]
    if (name !== 'return_1' && !source)
      throw new Error(`policy rl: input ${name}, but the chain gave no ${name} output`)
    for (let i = 0; i < n; i++) {
      const at = i * width + col
      if (source) {
        for (let j = 0; j < w; j++) features[at + j] = source[i * w + j]
      } else {
        const b = rows[i]
        features[at] = b > 0 ? Math.log(bars.close[b] / bars.close[b - 1]) : 0
      }
    }
    col += w
  }
  for (let i = 0; i < features.length; i++)
    if (!Number.isFinite(features[i]))
      throw new Error(
        `policy rl: input ${inputAt(names, i % width)} is ${features[i]} at the row of bar ${rows[Math.floor(i / width)]}`,
      )
  const gap = new Float64Array(n)
  const hold = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const b = rows[i]
    if (i > 0 && b <= rows[i - 1]) throw new Error(`policy rl: decision rows are not increasing at bar ${b}`)
    if (b + 1 >= bars.length) continue
    gap[i] = bars.open[b + 1] / bars.close[b] - 1
    hold[i] = bars.close[b + 1] / bars.open[b + 1] - 1
    if (!Number.isFinite(gap[i]) || !Number.isFinite(hold[i]))
      throw new Error(`policy rl: bar ${b + 1} has a price that is not a positive number`)
  }
  const fee = backtest.fees * 1e-4
  const slip = backtest.slippage * 1e-4
  return {
    n,
    width,
    observesPosition,
    features,
    gap,
    hold,
    costBuy: takerCostShare(1, fee, slip),
    costSell: takerCostShare(-1, fee, slip),
  }
}

function inputAt(names: readonly RlInput[], column: number): string {
  let c = 0
  for (const name of names) {
    if (column < c + WIDTH[name]) return WIDTH[name] > 1 ? `${name}[${column - c}]` : name
    c += WIDTH[name]
  }
  return String(column)
}

/** Net P&L of one step: `held` over the gap, `target` over the next bar, less the cost of moving from one to the other. */
export function stepPnl(series: RlSeries, row: number, held: number, target: number): number {
  const change = target - held
  const cost = change > 0 ? change * series.costBuy : -change * series.costSell
  return held * series.gap[row] + target * series.hold[row] - cost
}

/** Running moments of the differential Sharpe ratio (exponential, rate eta). */
export interface SharpeMoments {
  a: number
  b: number
}

/**
 * The differential Sharpe ratio of return r given the moments before it (Moody and Saffell 1998): the first-order
 * change of the exponentially weighted Sharpe ratio that r brings. Updates the moments; 0 while the variance
 * estimate is not positive.
 */
export function differentialSharpe(m: SharpeMoments, r: number, eta: number): number {
  const da = r - m.a
  const db = r * r - m.b
  const variance = m.b - m.a * m.a
  const d = variance > 1e-30 ? (m.b * da - 0.5 * m.a * db) / variance ** 1.5 : 0
  m.a += eta * da
  m.b += eta * db
  return d
}

export type RewardKind = 'pnl' | 'differential_sharpe'

export interface EnvironmentOptions {
  /** Episodes stepped at once. */
  readonly envs: number
  /** Steps per episode (each starts at a random row with enough rows after it). */
  readonly episode: number
  readonly reward: RewardKind
  /** Rate of the differential Sharpe ratio's moving moments. */
  readonly eta: number
  /** Multiplies the P&L reward (returns per bar are small numbers; networks learn better on order-one rewards). */
  readonly scale: number
  readonly seed: number
  /** Per feature column: subtracted, then divided by (a scaler fitted on training rows). */
  readonly center: Float64Array
  readonly spread: Float64Array
}

/** Observation width: the features and, where observed, the held position. */
export const observationWidth = (series: RlSeries) => series.width + (series.observesPosition ? 1 : 0)

/** Writes row `row`'s observation (with position `held` where observed) at `out[at...]`. */
export function observe(
  series: RlSeries,
  row: number,
  held: number,
  center: Float64Array,
  spread: Float64Array,
  out: Float32Array | Float64Array,
  at: number,
): void {
  const w = series.width
  const f = series.features
  for (let j = 0; j < w; j++) out[at + j] = (f[row * w + j] - center[j]) / spread[j]
  if (series.observesPosition) out[at + w] = held
}

/** A column scaler from the series' rows: mean and standard deviation (1 where a column is constant). */
export function fitScaler(series: RlSeries): { center: Float64Array; spread: Float64Array } {
  const w = series.width
  const center = new Float64Array(w)
  const spread = new Float64Array(w)
  for (let i = 0; i < series.n; i++) for (let j = 0; j < w; j++) center[j] += series.features[i * w + j]
  for (let j = 0; j < w; j++) center[j] /= Math.max(1, series.n)
  for (let i = 0; i < series.n; i++)
    for (let j = 0; j < w; j++) spread[j] += (series.features[i * w + j] - center[j]) ** 2
  for (let j = 0; j < w; j++) {
    const sd = Math.sqrt(spread[j] / Math.max(1, series.n))
    spread[j] = sd > 1e-12 ? sd : 1
  }
  return { center, spread }
}

/**
 * Many episodes over one series, stepped together. `obs` holds every environment's current observation (envs,
 * width) as float32, ready for a network; `step` takes one target position per environment and writes rewards and
 * episode ends, resetting finished environments to a new random start (their next observation is the new start's).
 */
export class BarEnvironment {
  readonly envs: number
  readonly width: number
  readonly obs: Float32Array
  readonly rewards: Float64Array
  readonly dones: Uint8Array
  /** Each environment's current row and the position it holds there. */
  readonly row: Int32Array
  readonly held: Float64Array
  private readonly left: Int32Array
  private readonly momentA: Float64Array
  private readonly momentB: Float64Array
  private readonly rand: () => number

  constructor(
    readonly series: RlSeries,
    readonly options: EnvironmentOptions,
  ) {
    if (series.n < options.episode + 1)
      throw new Error(`policy rl: ${series.n} rows are too few for episodes of ${options.episode} steps`)
    this.envs = options.envs
    this.width = observationWidth(series)
    this.obs = new Float32Array(this.envs * this.width)
    this.rewards = new Float64Array(this.envs)
    this.dones = new Uint8Array(this.envs)
    this.row = new Int32Array(this.envs)
    this.left = new Int32Array(this.envs)
    this.held = new Float64Array(this.envs)
    this.momentA = new Float64Array(this.envs)
    this.momentB = new Float64Array(this.envs)
    this.rand = seededRandom(options.seed)
    for (let e = 0; e < this.envs; e++) this.start(e)
  }

  private start(e: number): void {
    // The last row has no next bar to pay a reward, so an episode ends before it.
    this.row[e] = Math.floor(this.rand() * (this.series.n - this.options.episode))
    this.left[e] = this.options.episode
    this.held[e] = 0
    this.momentA[e] = 0
    this.momentB[e] = 0
    observe(this.series, this.row[e], 0, this.options.center, this.options.spread, this.obs, e * this.width)
  }

  /** One step of every environment; actions outside [-1, 1] are clipped to it. */
  step(actions: ArrayLike<number>): void {
    const { series, options } = this
    const moments: SharpeMoments = { a: 0, b: 0 }
    for (let e = 0; e < this.envs; e++) {
      const target = Math.max(-1, Math.min(1, actions[e]))
      const r = this.row[e]
      const pnl = stepPnl(series, r, this.held[e], target)
      if (options.reward === 'pnl') {
        this.rewards[e] = pnl * options.scale
      } else {
        moments.a = this.momentA[e]
        moments.b = this.momentB[e]
        this.rewards[e] = differentialSharpe(moments, pnl, options.eta)
        this.momentA[e] = moments.a
        this.momentB[e] = moments.b
      }
      this.held[e] = target
      this.row[e] = r + 1
      this.left[e]--
      if (this.left[e] === 0) {
        this.dones[e] = 1
        this.start(e)
      } else {
        this.dones[e] = 0
        observe(series, r + 1, target, options.center, options.spread, this.obs, e * this.width)
      }
    }
  }
}

/** A deterministic policy: the target position from one observation. */
export type ActFn = (obs: Float64Array) => number

export interface Rollout {
  /** Target position at each row. */
  readonly positions: Float64Array
  /** Net P&L of each step (the last row's is 0: no bar after it). */
  readonly pnl: Float64Array
  /** (n, observation width) the observation at each row. */
  readonly observations: Float64Array
}

/** One pass of a deterministic policy over the whole series from its first row, flat at the start. */
export function rollout(
  series: RlSeries,
  act: ActFn,
  scaler: { readonly center: Float64Array; readonly spread: Float64Array },
): Rollout {
  const width = observationWidth(series)
  const positions = new Float64Array(series.n)
  const pnl = new Float64Array(series.n)
  const observations = new Float64Array(series.n * width)
  const obs = new Float64Array(width)
  let held = 0
  for (let i = 0; i < series.n; i++) {
    observe(series, i, held, scaler.center, scaler.spread, obs, 0)
    observations.set(obs, i * width)
    const target = Math.max(-1, Math.min(1, act(obs)))
    if (!Number.isFinite(target)) throw new Error(`policy rl: the policy gave ${target} at row ${i}`)
    positions[i] = target
    pnl[i] = stepPnl(series, i, held, target)
    held = target
  }
  return { positions, pnl, observations }
}

/** Sum of |position change| over a rollout's steps, per step (a full reversal counts 2). */
export function turnoverPerStep(positions: Float64Array): number {
  let sum = Math.abs(positions[0] ?? 0)
  for (let i = 1; i < positions.length; i++) sum += Math.abs(positions[i] - positions[i - 1])
  return positions.length ? sum / positions.length : 0
}
