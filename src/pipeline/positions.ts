/**
 * The policy link of the chain, as the run and bundle scoring both call it: the chain's outputs on decision rows
 * and the market state at their closes, through every configured policy (the primary first). One code path, so
 * `mlf predict` reproduces the run's positions.
 */
import type { FactoryConfig } from '../config/schema.js'
import type { Bars } from '../data/bars.js'
import type { Outputs } from '../models/contract.js'
import { decide, policyList, type MarketState, type PolicyInputs } from '../policy/registry.js'
import { uncertaintySteps } from './stages/post-process.js'

type PolicyConfigSections = Pick<FactoryConfig, 'policy' | 'labels' | 'backtest' | 'inference'>

/** The market state policies read: the bars, the decision rows, the labels' volatility, barriers and costs. */
export function policyMarket(
  config: PolicyConfigSections,
  bars: Bars,
  rows: Int32Array,
  vol: Float64Array,
): MarketState {
  const { kUp, kDown, costPrice, costBps } = config.labels.tripleBarrier
  return {
    bars,
    rows,
    vol,
    barriers: { kUp, kDown, costPrice, costBps },
    roundTrip: 2 * (config.backtest.fees + config.backtest.slippage) * 1e-4,
  }
}

/** The chain's outputs on the decision rows: the p head's probabilities and the other heads' columns. */
export function policyInputs(config: PolicyConfigSections, p: Float64Array, heads?: Outputs): PolicyInputs {
  const interval = uncertaintySteps(config.inference, 'regression')[0]
  return {
    n: p.length / 3,
    p,
    ...(heads?.p_up ? { p_up: heads.p_up } : {}),
    ...(heads?.E_r ? { E_r: heads.E_r } : {}),
    ...(heads?.q_lo && heads.q_hi && interval
      ? { q_lo: heads.q_lo, q_hi: heads.q_hi, intervalCoverage: interval.params.coverage as number }
      : {}),
  }
}

/** Target positions of every configured policy on the decision rows, the primary first. */
export function decidePositions(
  config: PolicyConfigSections,
  p: Float64Array,
  heads: Outputs | undefined,
  bars: Bars,
  rows: Int32Array,
  vol: Float64Array,
): Float64Array[] {
  const inputs = policyInputs(config, p, heads)
  const market = policyMarket(config, bars, rows, vol)
  return policyList(config.policy).map((policy) => decide(inputs, market, policy))
}
