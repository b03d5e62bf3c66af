import { join } from 'node:path'
import { openRunStore } from '../../src/tracking/store.js'
import { beginSweep, finishSweep, recordTrial } from '../../src/tracking/sweeps.js'
import { seededRandom } from '../../src/core/random.js'
import { variedRun } from '../tracking/fixture.js'
import { tempDir } from '../helpers.js'

export const SWEEP_ID = 'sweep-20240102-abcdef12'

/**
 * A run store with `runs` varied runs and one sweep of `trials` trials over a log-uniform learning rate, an integer
 * depth and a choice of model; each trial has a learning curve.
 */
export function uiStore(runs: number, trials = 24): string {
  const path = join(tempDir('mlf-ui-'), 'mlf.sqlite')
  const store = openRunStore(path)
  try {
    store.db.transaction(() => {
      for (let i = 0; i < runs; i++) store.record(variedRun(i))
    })()
    beginSweep(store, {
      sweepId: SWEEP_ID,
      createdAt: '2024-01-02T00:00:00.000Z',
      sweepHash: 'h'.repeat(64),
      dataFingerprint: 'f'.repeat(64),
      dataFile: 'data/sample/x.csv.gz',
      seed: 1,
      spec: {
        space: [
          { path: 'base_models.0.config.learning_rate', param: { type: 'log_uniform', low: 0.001, high: 0.3 } },
          { path: 'base_models.0.config.max_depth', param: { type: 'int', low: 2, high: 8, step: 1 } },
          { path: 'base_models.0.name', param: { type: 'choice', values: ['xgboost', 'xgboost_leafwise'] } },
        ],
        objective: { metric: 'log_loss', direction: 'minimize' },
        sampler: { kind: 'tpe' },
      },
    })
    const rand = seededRandom(5)
    for (let n = 0; n < trials; n++) {
      const lr = 0.001 * Math.pow(300, rand())
      const curve = Array.from({ length: 10 }, (_, k) => 1.1 - 0.02 * k * Math.sqrt(lr * 10) + 0.001 * rand())
      const failed = n % 11 === 10
      recordTrial(store, SWEEP_ID, {
        window: 'all',
        number: n,
        params: {
          'base_models.0.config.learning_rate': lr,
          'base_models.0.config.max_depth': 2 + (n % 7),
          'base_models.0.name': n % 2 ? 'xgboost' : 'xgboost_leafwise',
        },
        outcome: {
          status: failed ? 'failed' : 'complete',
          value: failed ? null : curve[curve.length - 1],
          seconds: 1 + n / 10,
          metrics: {},
          curves: { xgboost: curve },
          returns: { ts: [], r: [] },
        },
      })
    }
    finishSweep(store, SWEEP_ID, { done: true })
  } finally {
    store.close()
  }
  return path
}
