/** Small sweeps for the tests over test/pipeline/fixture.ts smallConfigInput, and running one into a fresh store. */
import { resolveSweep, type ResolvedSweep } from '../../src/sweep/config.js'
import { runSweep } from '../../src/sweep/coordinator.js'
import type { Executor } from '../../src/sweep/executor.js'
import type { TrialOutcome } from '../../src/sweep/trial.js'
import { openRunStore } from '../../src/tracking/store.js'
import { trialsOf } from '../../src/tracking/sweeps.js'
import { smallConfigInput } from '../pipeline/fixture.js'

export const smallBase = smallConfigInput

/** A sweep of 4 random trials (batches of 2) over XGBoost's depth and learning rate on the small base. */
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

/** Run a sweep into an in-memory store; its result and its recorded trials. */
export async function sweepInMemory(sweep: ResolvedSweep, dataFile: string, executor: Executor) {
  const store = openRunStore(':memory:')
  try {
    const result = await runSweep({ sweep, dataFile, executor, store })
    return { result, trials: trialsOf<TrialOutcome>(store, result.sweepId) }
  } finally {
    store.close()
  }
}

/** What must not change between two sweeps: every trial's values, status, score, metrics, curves and returns. */
export const trialFacts = (trials: Awaited<ReturnType<typeof sweepInMemory>>['trials']) =>
  trials.map((t) => ({
    window: t.window,
    number: t.number,
    params: t.params,
    status: t.status,
    value: t.value,
    metrics: t.outcome.metrics,
    curves: t.outcome.curves,
    returns: t.outcome.returns,
  }))
