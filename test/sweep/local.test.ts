import assert from 'node:assert/strict'
import { test } from 'node:test'
import { localExecutor } from '../../src/sweep/local.js'
import { sampleSlice } from '../pipeline/fixture.js'
import { smallBase, smallSweep, sweepInMemory, trialFacts } from './fixture.js'

test('a local worker process killed in a trial is replaced and the trial run again, with the same outcome', async () => {
  const base = smallBase({
    base_models: [
      { name: 'xgboost', config: { n_estimators: 150, max_depth: 4, learning_rate: 0.05, early_stopping_rounds: 150 } },
    ],
  })
  const sweep = smallSweep({ budget: { trials: 2 } }, base)
  const data = await sampleSlice(9000)
  const clean = localExecutor(1)
  const expected = await sweepInMemory(sweep, data, clean)
  await clean.close()
  let first = 0
  const starts: number[] = []
  const executor = localExecutor(1, {
    // The first trial's process is killed half a second into it (its features alone take longer).
    onTrialStart: (job, pid) => {
      starts.push(job.number)
      if (job.number === 0 && first === 0) setTimeout(() => process.kill((first = pid), 'SIGKILL'), 500)
    },
  })
  const got = await sweepInMemory(sweep, data, executor)
  assert.notEqual(executor.pids()[0], first, 'the killed process was replaced')
  assert.deepEqual(starts, [0, 0, 1], 'the killed trial was started again')
  await executor.close()
  assert.deepEqual(trialFacts(got.trials), trialFacts(expected.trials))
  assert.throws(() => localExecutor(0), /--workers must be a whole number >= 1, got 0/)
})
