import assert from 'node:assert/strict'
import { test } from 'node:test'
import { medianPrunerSchema, medianThresholds } from '../../../src/sweep/pruners/median.js'
import { prunedAt, type TrialHistory } from '../../../src/sweep/pruners/pruner.js'
import {
  isRung,
  successiveHalvingSchema,
  successiveHalvingThresholds,
} from '../../../src/sweep/pruners/successive-halving.js'

const trial = (status: TrialHistory['status'], values: number[]): TrialHistory => ({
  status,
  curves: { 'fit m': values },
})

test('median pruner: bars are the median of completed trials at each step past the warm-up, none before start-up', () => {
  const params = medianPrunerSchema.parse({ kind: 'median', warmup_steps: 1, startup_trials: 3 })
  const history = [trial('complete', [5, 4, 3]), trial('complete', [6, 5, 4]), trial('pruned', [0, 0, 0])]
  assert.deepEqual(medianThresholds(history, params), {}, 'two completed trials: no pruning yet')
  history.push(trial('complete', [7, 6]))
  const bars = medianThresholds(history, params)
  assert.deepEqual(bars, { 'fit m': { 2: 5, 3: 3.5 } })
  assert.equal(prunedAt(bars, 'fit m', 2, 5), false)
  assert.equal(prunedAt(bars, 'fit m', 2, 5.01), true)
  assert.equal(prunedAt(bars, 'fit m', 1, 100), false, 'warm-up step')
  assert.equal(prunedAt(bars, 'other fit', 2, 100), false)
  assert.equal(prunedAt(bars, 'fit m', 3, Number.NaN), true)
})

test('successive halving: rungs at min_steps * eta^k keep the best 1/eta of earlier trials there', () => {
  const params = successiveHalvingSchema.parse({ kind: 'successive_halving', min_steps: 1, eta: 2 })
  assert.deepEqual(
    [1, 2, 3, 4, 6, 8].map((s) => isRung(s, params)),
    [true, true, false, true, false, true],
  )
  const history = [
    trial('complete', [4, 3, 2, 1]),
    trial('pruned', [1]),
    trial('pruned', [3, 9]),
    trial('failed', [0, 0]),
  ]
  // Step 1: values 4, 1, 3 -> best half (2 of 3) bar = 3; step 2: values 3, 9 -> bar 3; steps 3, 4: too few values.
  assert.deepEqual(successiveHalvingThresholds(history, params), { 'fit m': { 1: 3, 2: 3 } })
})
