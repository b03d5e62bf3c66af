/**
 * What a policy is: an entry of the policy registry that turns the chain's outputs on decision rows into target
 * positions, one per row, a signed fraction of capital in [-1, 1] (+ long, - short, 0 no new position). Each entry
 * declares the chain outputs it reads, so a config asking for a policy whose inputs the run does not produce is
 * refused at load.
 */
import type { z } from 'zod'
import type { BacktestConfig } from '../backtest/engine.js'
import type { Bars } from '../data/bars.js'

/** Chain outputs a policy can read (src/config/heads.ts lists the heads a run trains). */
export type PolicyNeed = 'p' | 'p_up' | 'E_r' | 'q_lo/q_hi'

/** The chain's outputs on the decision rows (row-major where a row has several values). */
export interface PolicyInputs {
  readonly n: number
  /** (n, 3) calibrated class probabilities of the triple barrier: down, flat, up. */
  readonly p: Float64Array
  /** P(up) of the binary p_up head. */
  readonly p_up?: Float64Array
  /** Expected forward return over the label horizon (the E_r head). */
  readonly E_r?: Float64Array
  /** The conformal interval around E_r and its coverage (a method on E_r in inference.uncertainty). */
  readonly q_lo?: Float64Array
  readonly q_hi?: Float64Array
  readonly intervalCoverage?: number
}

/** The triple barrier's multipliers and the label cost folded into them (labels.tripleBarrier). */
export interface Barriers {
  readonly kUp: number
  readonly kDown: number
  readonly costPrice: number
  readonly costBps: number
}

/**
 * Market state known at the close of each decision row. Policies read `bars` and `vol` at or before a row's bar
 * index only (a perturbation test holds every policy to it).
 */
export interface MarketState {
  readonly bars: Bars
  /** The bar index of each decision row. */
  readonly rows: Int32Array
  /** The labels' volatility estimator per bar, in price units (NaN during its warm-up). */
  readonly vol: Float64Array
  readonly barriers: Barriers
  /**
   * Round-trip cost of a trade as a return: the taker fee and slippage on entry and exit. Maker fills cost less,
   * so edges after this cost are counted conservatively.
   */
  readonly roundTrip: number
}

/** Decision rows as a policy's fit reads them: the chain's outputs there and the market state at their closes. */
export interface PolicyRows {
  readonly inputs: PolicyInputs
  readonly market: MarketState
}

/**
 * What a policy that learns is fitted on, all from one window. It learns on `train` and selects on `select` (both
 * validation rows, where the chain's outputs are out of sample); `test` is evaluated once after the fit.
 */
export interface PolicyFitData {
  readonly train: PolicyRows
  readonly select: PolicyRows
  readonly test: PolicyRows
  readonly backtest: BacktestConfig
  /** The window's policy seed (derived from the run's). */
  readonly seed: number
}

/** One training seed of a fitted policy: its P&L on the selection rows and on test (net, additive returns). */
export interface PolicySeedScore {
  readonly seed: number
  readonly selectPnl: number
  readonly testPnl: number
}

export interface PolicyFit<S = unknown> {
  /** What scoring needs (JSON): the chain link's state in the bundle. */
  readonly state: S
  readonly seeds: readonly PolicySeedScore[]
}

export interface PolicyEntry<P = unknown, S = unknown> {
  readonly kind: string
  readonly params: z.ZodType<P, unknown>
  /** The chain outputs these params make the policy read. */
  needs(params: P): readonly PolicyNeed[]
  /**
   * How the backtest holds a position: `horizon` (the default) opens a trade held the label horizon and reads a 0
   * as "no new position"; `target` holds each position to the next decision, a 0 going flat.
   */
  readonly holds?: 'horizon' | 'target'
  /** A policy that learns: its fit on a window's rows, and the schema its fitted state is checked against on load. */
  readonly fit?: (data: PolicyFitData, params: P) => PolicyFit<S>
  readonly state?: z.ZodType<S, unknown>
  /** Target positions in [-1, 1], one per decision row; never NaN. `state` is the fit's, for a policy that learns. */
  decide(inputs: PolicyInputs, market: MarketState, params: P, state?: S): Float64Array
}
