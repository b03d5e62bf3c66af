/**
 * Training an `rl` policy as the run does: one training (PPO, SAC, TD3 or DQN) per seed (seeds derived from the run's), each selected
 * on validation, each evaluated once on test; the policy kept is the seed with the best validation P&L, and the
 * seeds' test P&L gives a mean with a 95% Student-t interval (the spread that training luck alone makes).
 */
import { deriveSeed } from '../../core/seeds.js'
import type { BacktestConfig } from '../../backtest/engine.js'
import type { MarketState, PolicyInputs } from '../contract.js'
import { rlSeries, rollout, type RlSeries } from './environment.js'
import { policyPosition, type PolicyNetwork } from './mlp.js'
import type { RlPolicy } from './params.js'
import { networkPnl, type TrainResult } from './networks.js'
import { trainPpo } from './ppo.js'
import { trainSac } from './sac.js'
import { trainTd3 } from './td3.js'
import { trainDqn } from './dqn.js'

/** Two-sided 95% quantiles of Student's t for 1..31 degrees of freedom (the schema allows 3..32 seeds). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042, 2.04,
]

export interface MeanInterval {
  readonly n: number
  readonly mean: number
  readonly lo: number
  readonly hi: number
}

/** Mean of at least two values with its 95% t interval. */
export function meanInterval(values: readonly number[]): MeanInterval {
  const n = values.length
  if (n < 2 || n > T975.length + 1) throw new Error(`meanInterval: ${n} values; 2 to ${T975.length + 1} are covered`)
  const mean = values.reduce((s, v) => s + v, 0) / n
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1))
  const half = (T975[n - 2] * sd) / Math.sqrt(n)
  return { n, mean, lo: mean - half, hi: mean + half }
}

export interface RlSeedResult {
  readonly seed: number
  readonly valPnl: number
  readonly testPnl: number
  /** The update validation selected (0: the initial policy). */
  readonly update: number
  readonly network: PolicyNetwork
  /** The policy after the last update, before validation chose. */
  readonly last: PolicyNetwork
}

export interface RlFit {
  readonly algorithm: RlPolicy['algorithm']
  /** The seed whose policy has the best validation P&L: the one the run trades. */
  readonly selected: RlSeedResult
  readonly seeds: readonly RlSeedResult[]
  /** Test P&L (net, sum of per-step returns on capital) over the seeds. */
  readonly testPnl: MeanInterval
}

/** The series a configured policy steps over: its inputs, and the held position where it observes it. */
export function rlPolicySeries(
  inputs: PolicyInputs,
  market: MarketState,
  params: RlPolicy,
  backtest: Pick<BacktestConfig, 'fees' | 'slippage' | 'execution'>,
): RlSeries {
  return rlSeries(inputs, market, params.inputs, backtest, params.observe_position)
}

/** One training of the configured algorithm with one seed. */
export function trainRl(train: RlSeries, val: RlSeries, params: RlPolicy, seed: number): TrainResult {
  for (const s of [train, val])
    if (s.observesPosition !== params.observe_position)
      throw new Error(
        `policy rl: observe_position is ${params.observe_position}, but a series was built the other way (use rlPolicySeries)`,
      )
  switch (params.algorithm) {
    case 'ppo':
      return trainPpo(train, val, params, seed)
    case 'sac':
      return trainSac(train, val, params, seed)
    case 'td3':
      return trainTd3(train, val, params, seed)
    case 'dqn':
      return trainDqn(train, val, params, seed)
  }
}

export function fitRlPolicy(train: RlSeries, val: RlSeries, test: RlSeries, params: RlPolicy, rootSeed: number): RlFit {
  const seeds = Array.from({ length: params.seeds }, (_, i) => {
    const seed = deriveSeed(rootSeed, 'policy', 'rl', params.algorithm, i)
    const r = trainRl(train, val, params, seed)
    return {
      seed,
      valPnl: r.valPnl,
      testPnl: networkPnl(test, r.network),
      update: r.update,
      network: r.network,
      last: r.last,
    }
  })
  const selected = seeds.reduce((a, b) => (b.valPnl > a.valPnl ? b : a))
  return {
    algorithm: params.algorithm,
    selected,
    seeds,
    testPnl: meanInterval(seeds.map((s) => s.testPnl)),
  }
}

/** A trained network's positions over a series, from flat at its first row: the same in the run and in scoring. */
export function networkPositions(series: RlSeries, net: PolicyNetwork): Float64Array {
  const scaler = { center: Float64Array.from(net.center), spread: Float64Array.from(net.spread) }
  return rollout(series, (obs) => policyPosition(net, obs), scaler).positions
}
