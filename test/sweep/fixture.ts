/** Small sweeps for the tests: the raw form of test/pipeline/fixture.ts smallConfig, and a sweep over it. */
import { resolveSweep, type ResolvedSweep } from '../../src/sweep/config.js'

export function smallBase(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed: 7,
    threads: 1,
    timeframes: ['1m', '5m', '15m'],
    features: {
      momentum: { timeframes: ['1m', '15m'] },
      volatility: { timeframes: ['1m', '15m'] },
      volume: { timeframes: ['1m'] },
      regime: { timeframes: ['1m'] },
      stats: { timeframes: ['1m', '5m'] },
      interactions: { list: [] },
    },
    labels: { tripleBarrier: { maxHolding: 30, costBps: 5 } },
    base_models: [
      { name: 'xgboost', config: { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 } },
    ],
    ...over,
  }
}

/** A sweep of `trials` random trials over XGBoost's depth and learning rate on the small base. */
export function smallSweep(over: Record<string, unknown> = {}, base = smallBase()): ResolvedSweep {
  return resolveSweep({
    base,
    space: {
      'base_models.0.config.max_depth': { type: 'int', low: 2, high: 4 },
      'base_models.0.config.learning_rate': { type: 'log_uniform', low: 0.05, high: 0.5 },
    },
    sampler: { kind: 'random' },
    batch: 2,
    budget: { trials: 4 },
    objective: { metric: 'log_loss' },
    ...over,
  })
}
