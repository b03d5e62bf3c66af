import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { runSweep, type SweepResult } from '../../src/sweep/coordinator.js'
import { localExecutor } from '../../src/sweep/local.js'
import { openRunStore } from '../../src/tracking/store.js'
import { trialsOf } from '../../src/tracking/sweeps.js'
import type { TrialOutcome } from '../../src/sweep/trial.js'
import type { ResolvedSweep } from '../../src/sweep/config.js'
import { poisonedFrom, sampleSlice } from '../pipeline/fixture.js'
import { tempDir } from '../helpers.js'
import { smallBase, smallSweep, sweepInMemory, trialFacts } from './fixture.js'

const slice = sampleSlice(9000)
const executors = new Map<number, ReturnType<typeof localExecutor>>()
const executor = (workers: number) => {
  let e = executors.get(workers)
  if (!e) executors.set(workers, (e = localExecutor(workers)))
  return e
}
after(async () => {
  for (const e of executors.values()) await e.close()
})

const sweepOn = async (sweep: ResolvedSweep, dataFile: string, workers = 2) =>
  sweepInMemory(sweep, dataFile, executor(workers))

const choices = (r: SweepResult) => r.windows.map((w) => ({ key: w.key, chosen: w.chosen }))

test('same seed, same sweep: identical trials, choices and test results with 1 or 2 worker processes', async () => {
  const sweep = smallSweep()
  const a = await sweepOn(sweep, await slice, 2)
  const b = await sweepOn(sweep, await slice, 1)
  assert.equal(a.trials.length, 4)
  assert.ok(a.trials.every((t) => t.status === 'complete' && Number.isFinite(t.value)))
  assert.deepEqual(trialFacts(b.trials), trialFacts(a.trials))
  assert.deepEqual(choices(b.result), choices(a.result))
  assert.deepEqual(b.result.test, a.result.test)
  assert.ok(a.result.test && Number.isFinite(a.result.test.metrics.log_loss))
  const best = Math.min(...a.trials.map((t) => t.value!))
  assert.equal(a.result.windows[0].chosen!.value, best, 'the chosen trial has the lowest validation log-loss')
  const other = await sweepOn(smallSweep({ seed: 99 }), await slice, 2)
  assert.notDeepEqual(
    other.trials.map((t) => t.params),
    a.trials.map((t) => t.params),
    'another seed, other trials',
  )
})

test('poisoned test: mirroring every bar from the test slice on changes no trial score and no choice', async () => {
  const sweep = smallSweep()
  const clean = await sweepOn(sweep, await slice)
  const testStart = clean.result.windows[0].testStart
  const poisoned = await sweepOn(sweep, poisonedFrom(await slice, testStart))
  assert.deepEqual(trialFacts(poisoned.trials), trialFacts(clean.trials))
  assert.deepEqual(choices(poisoned.result), choices(clean.result))
  // The poison reached the test slice: the one test of the chosen configuration saw other bars.
  assert.notDeepEqual(poisoned.result.test!.metrics, clean.result.test!.metrics)
})

test("walk-forward: each window searches on its own validation slice; poisoning from a window's test on leaves its search and choice unchanged", async () => {
  const base = smallBase({
    splits: { method: 'walk_forward' },
    evaluation: { walk_forward: { train: '3d', test: '1d', val: 0.25 } },
  })
  const sweep = smallSweep({}, base)
  const clean = await sweepOn(sweep, await slice)
  const windows = clean.result.windows
  assert.equal(windows.length, 3)
  assert.equal(clean.result.method, 'walk_forward')
  const [first, second] = windows
  assert.ok(first.valStart < first.testStart && first.testStart < second.testStart)
  assert.equal(clean.trials.length, 4 * windows.length)
  const poisoned = await sweepOn(sweep, poisonedFrom(await slice, first.testStart))
  const ofFirst = (t: Awaited<ReturnType<typeof sweepOn>>['trials']) =>
    trialFacts(t.filter((x) => x.window === first.key))
  assert.deepEqual(ofFirst(poisoned.trials), ofFirst(clean.trials))
  assert.deepEqual(poisoned.result.windows[0].chosen, first.chosen)
  assert.notDeepEqual(poisoned.result.windows[0].test, first.test, 'the first window was tested on the poisoned bars')
  assert.equal(
    clean.result.test?.rows,
    windows.reduce((n, w) => n + w.rows.test, 0),
  )
})

test('a coordinator stopped midway resumes from the store: every trial recorded once, results as uninterrupted', async () => {
  const sweep = smallSweep()
  const whole = await sweepOn(sweep, await slice)
  const path = join(tempDir(), 'mlf.sqlite')
  const store = openRunStore(path)
  await assert.rejects(
    runSweep({
      sweep,
      dataFile: await slice,
      executor: executor(2),
      store,
      afterBatch: () => {
        throw new Error('coordinator stopped')
      },
    }),
    /coordinator stopped/,
  )
  const sweepId = store.db.prepare('SELECT sweep_id FROM sweeps').pluck().get() as string
  assert.equal(trialsOf(store, sweepId).length, 2, 'the first batch was recorded before the stop')
  store.close()
  const again = openRunStore(path)
  const result = await runSweep({ sweep, dataFile: await slice, executor: executor(2), store: again, resume: sweepId })
  const trials = trialsOf<TrialOutcome>(again, sweepId)
  assert.equal(result.sweepId, sweepId)
  assert.deepEqual(trialFacts(trials), trialFacts(whole.trials))
  assert.deepEqual(choices(result), choices(whole.result))
  await assert.rejects(
    runSweep({
      sweep: smallSweep({ seed: 1 }),
      dataFile: await slice,
      executor: executor(2),
      store: again,
      resume: sweepId,
    }),
    /started from another sweep file/,
  )
  again.close()
})

test('median pruning stops trials whose validation curve trails earlier batches, the same way on 1 or 2 workers', async () => {
  const base = smallBase({
    base_models: [{ name: 'xgboost', config: { n_estimators: 40, max_depth: 3, early_stopping_rounds: 40 } }],
  })
  const sweep = smallSweep(
    {
      space: { 'base_models.0.config.learning_rate': { type: 'log_uniform', low: 0.005, high: 0.5 } },
      pruner: { kind: 'median', warmup_steps: 3, startup_trials: 2 },
      budget: { trials: 10 },
    },
    base,
  )
  const a = await sweepOn(sweep, await slice, 2)
  const b = await sweepOn(sweep, await slice, 1)
  assert.deepEqual(trialFacts(b.trials), trialFacts(a.trials))
  const pruned = a.trials.filter((t) => t.status === 'pruned')
  assert.ok(pruned.length > 0, 'some trial was pruned')
  for (const t of pruned) {
    const curve = Object.values(t.outcome.curves)[0]
    assert.ok(
      curve.length > 3 && curve.length < 40,
      `pruned after the warm-up, before the end (${curve.length} rounds)`,
    )
    assert.match(t.outcome.error ?? '', /pruned at fit xgboost step \d+/)
  }
  assert.equal(a.result.windows[0].pruned, pruned.length)
})

test('successive halving prunes a neural network on its validation loss per epoch', async () => {
  const base = smallBase({ base_models: [{ name: 'mlp', config: { epochs: 9, patience: 0, hidden: [16] } }] })
  const sweep = smallSweep(
    {
      space: { 'base_models.0.config.lr': { type: 'log_uniform', low: 1e-5, high: 0.05 } },
      pruner: { kind: 'successive_halving', min_steps: 1, eta: 3 },
      batch: 3,
      budget: { trials: 9 },
    },
    base,
  )
  const { trials } = await sweepOn(sweep, await slice, 2)
  const curves = trials.map((t) => Object.entries(t.outcome.curves))
  assert.ok(
    curves.every((c) => c.length === 1 && c[0][0] === 'fit mlp'),
    "one curve per trial: the network's validation loss",
  )
  const pruned = trials.filter((t) => t.status === 'pruned')
  assert.ok(pruned.length > 0 && pruned.length < trials.length, `${pruned.length} of ${trials.length} pruned`)
  for (const t of pruned)
    assert.ok([1, 3].includes(t.outcome.curves['fit mlp'].length), 'pruned at a rung (epoch 1 or 3)')
})

test('a time budget stops starting trials once spent; the trials run are whole batches', async () => {
  const { result, trials } = await sweepOn(smallSweep({ budget: { trials: 50, time: '1s' } }), await slice, 2)
  assert.ok(trials.length >= 2 && trials.length < 50 && trials.length % 2 === 0, `${trials.length} trials`)
  assert.equal(result.windows[0].trials, trials.length)
})
