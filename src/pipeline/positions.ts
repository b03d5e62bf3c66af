/**
 * The policy link of the chain, as the run and bundle scoring both call it: the chain's outputs on decision rows
 * and the market state at their closes, through every configured policy (the primary first). One code path, so
 * `mlf predict` reproduces the run's positions.
 */
import type { FactoryConfig } from '../config/schema.js'
import type { Bars } from '../data/bars.js'
import type { Outputs } from '../models/contract.js'
import {
  decide,
  fitPolicy,
  policyLearns,
  policyList,
  type MarketState,
  type PolicyFit,
  type PolicyInputs,
  type PolicyRows,
} from '../policy/registry.js'
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

/**
 * Target positions of every configured policy on the decision rows, the primary first; a policy that learns decides
 * from its fitted state (`states`, in the list's order).
 */
export function decidePositions(
  config: PolicyConfigSections,
  p: Float64Array,
  heads: Outputs | undefined,
  bars: Bars,
  rows: Int32Array,
  vol: Float64Array,
  states: readonly unknown[] = [],
): Float64Array[] {
  const inputs = policyInputs(config, p, heads)
  const market = policyMarket(config, bars, rows, vol)
  return policyList(config.policy).map((policy, j) => decide(inputs, market, policy, states[j]))
}

/** The chain's outputs on some decision rows, as the policy link reads them. */
export interface ChainRows {
  readonly p: Float64Array
  readonly heads?: Outputs
  readonly rows: Int32Array
}

/** Share of the validation rows (the first, chronologically) a learning policy trains on; the rest select. */
export const POLICY_TRAIN_SHARE = 0.7

/** Rows [from, to) of a policy's inputs. */
function sliceInputs(inputs: PolicyInputs, from: number, to: number): PolicyInputs {
  const cut = (a: Float64Array | undefined, w = 1) => a?.slice(from * w, to * w)
  return {
    n: to - from,
    p: cut(inputs.p, 3)!,
    ...(inputs.p_up ? { p_up: cut(inputs.p_up) } : {}),
    ...(inputs.E_r ? { E_r: cut(inputs.E_r) } : {}),
    ...(inputs.q_lo && inputs.q_hi
      ? { q_lo: cut(inputs.q_lo), q_hi: cut(inputs.q_hi), intervalCoverage: inputs.intervalCoverage }
      : {}),
  }
}

/**
 * Each configured policy's fit (undefined for those that do not learn), the primary first. A learning policy trains
 * on the first 70% of the window's validation rows and selects on the rest, reading the chain's final outputs there;
 * the test rows are evaluated once after. `seed` gives each policy's seed by kind.
 */
export function fitPolicies(
  config: PolicyConfigSections,
  val: ChainRows,
  test: ChainRows,
  bars: Bars,
  vol: Float64Array,
  seed: (kind: string) => number,
): (PolicyFit | undefined)[] {
  const policies = policyList(config.policy)
  if (!policies.some(policyLearns)) return policies.map(() => undefined)
  const valInputs = policyInputs(config, val.p, val.heads)
  const cut = Math.floor(POLICY_TRAIN_SHARE * valInputs.n)
  const rowsOf = (inputs: PolicyInputs, rows: Int32Array): PolicyRows => ({
    inputs,
    market: policyMarket(config, bars, rows, vol),
  })
  const train = rowsOf(sliceInputs(valInputs, 0, cut), val.rows.slice(0, cut))
  const select = rowsOf(sliceInputs(valInputs, cut, valInputs.n), val.rows.slice(cut))
  const tested = rowsOf(policyInputs(config, test.p, test.heads), test.rows)
  return policies.map((policy) =>
    policyLearns(policy)
      ? fitPolicy({ train, select, test: tested, backtest: config.backtest, seed: seed(policy.kind) }, policy)
      : undefined,
  )
}
