import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Job, Queue } from 'bullmq'
import { bullmqExecutor, redisConnection, TRIAL_QUEUE } from '../../src/sweep/bullmq.js'
import type { ResolvedSweep } from '../../src/sweep/config.js'
import type { Executor } from '../../src/sweep/executor.js'
import { localExecutor } from '../../src/sweep/local.js'
import { repoRoot } from '../helpers.js'
import { sampleSlice } from '../pipeline/fixture.js'
import { smallBase, smallSweep, sweepInMemory, trialFacts } from './fixture.js'
import { hasRedis, REDIS_MISSING, startRedis, watchLines } from './redis.js'

const skip = hasRedis() ? false : REDIS_MISSING
const MAIN = join(repoRoot, 'dist/src/cli/main.js')
let redis: Awaited<ReturnType<typeof startRedis>>
const workers: ChildProcess[] = []
const slice = sampleSlice(9000)

before(async () => {
  if (!skip) redis = await startRedis()
})
after(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM')
  await Promise.all(
    workers.map(
      (w) => new Promise((r) => (w.exitCode !== null || w.signalCode !== null ? r(null) : w.once('exit', r))),
    ),
  )
  await redis?.stop()
})

function startWorker() {
  const child = spawn(process.execPath, [MAIN, 'worker', '--queue', redis.url, '--stalled-ms', '2000'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  workers.push(child)
  return { child, ...watchLines(child) }
}

async function sweepWith(sweep: ResolvedSweep, executor: Executor) {
  try {
    return await sweepInMemory(sweep, await slice, executor)
  } finally {
    await executor.close()
  }
}

test(
  "a sweep over 2 BullMQ workers on loopback Redis gives the local run's trials, choice and test",
  { skip },
  async () => {
    const a = startWorker()
    const b = startWorker()
    await Promise.all([a.waitFor(/taking trials/), b.waitFor(/taking trials/)])
    const sweep = smallSweep()
    const local = await sweepWith(sweep, localExecutor(2))
    const queued = await sweepWith(sweep, await bullmqExecutor(redis.url))
    assert.equal(queued.trials.length, 4)
    assert.deepEqual(trialFacts(queued.trials), trialFacts(local.trials))
    assert.deepEqual(
      queued.result.windows.map((w) => w.chosen),
      local.result.windows.map((w) => w.chosen),
    )
    assert.deepEqual(queued.result.test, local.result.test)
    const ran = [...a.lines, ...b.lines].filter((l) => /started/.test(l))
    assert.ok(
      a.lines.some((l) => /started/.test(l)) && b.lines.some((l) => /started/.test(l)),
      `both workers took trials:\n${ran.join('\n')}`,
    )
    a.child.kill('SIGTERM')
    b.child.kill('SIGTERM')
  },
)

test(
  'SIGKILL of a worker in the middle of a trial loses nothing: the trial is taken again, each recorded once',
  { skip },
  async () => {
    // Trials long enough to be killed in: more rounds, no early stop.
    const base = smallBase({
      base_models: [
        {
          name: 'xgboost',
          config: { n_estimators: 150, max_depth: 4, learning_rate: 0.05, early_stopping_rounds: 150 },
        },
      ],
    })
    const sweep = smallSweep({}, base)
    const victim = startWorker()
    const survivor = startWorker()
    await Promise.all([victim.waitFor(/taking trials/), survivor.waitFor(/taking trials/)])
    const running = sweepWith(sweep, await bullmqExecutor(redis.url))
    const started = await victim.waitFor(/trial (\S+) started/)
    const killedId = /trial (\S+) started/.exec(started)![1]
    process.kill(victim.child.pid!, 'SIGKILL')
    const queued = await running
    assert.equal(queued.trials.length, 4)
    assert.deepEqual(queued.trials.map((t) => t.number).sort(), [0, 1, 2, 3], 'every trial recorded, once')
    assert.ok(
      queued.trials.every((t) => t.status === 'complete'),
      queued.trials.map((t) => t.outcome.error).join('; '),
    )
    assert.ok(
      survivor.lines.some((l) => l.includes(`trial ${killedId} started`)),
      `the survivor took ${killedId} again`,
    )
    const queue = new Queue(TRIAL_QUEUE, { connection: redisConnection(redis.url) })
    const job = await Job.fromId(queue, killedId)
    await queue.close()
    assert.ok(job && job.attemptsStarted >= 2, `the killed trial was started ${job?.attemptsStarted} times`)
    const local = await sweepWith(sweep, localExecutor(1))
    assert.deepEqual(trialFacts(queued.trials), trialFacts(local.trials), 'and its outcome is the one a local run gets')
  },
)
