/**
 * bench/sweep: 64 trials of fast_baseline variants (XGBoost depth, learning rate, subsample, the volume features
 * ablated or not) on the sample, random sampler in batches of 8, with 1 and then 2 local worker processes (one
 * engine thread per trial); and the scheduling overhead of BullMQ on a loopback redis-server: the round trip of a
 * one-trial batch through the queue and a worker, for a trial that is refused at once (so nearly all of it is queue).
 * No peer runs the same job; the peer figure is the goal: 2 workers at least 1.7x faster than 1 (ratio = the 2-worker
 * time over a 1.7x speed-up of the 1-worker time: below 1 meets it). Goal for the queue: under 50 ms per trial.
 * BENCH_SWEEP_TRIALS sets the trial count.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { SAMPLE_DATA, DEFAULT_PRESET } from '../../src/cli/run.js'
import { resolveSweep } from '../../src/sweep/config.js'
import { runSweep } from '../../src/sweep/coordinator.js'
import { bullmqExecutor } from '../../src/sweep/bullmq.js'
import { localExecutor } from '../../src/sweep/local.js'
import { openRunStore } from '../../src/tracking/store.js'
import { hasRedis, startRedis, watchLines } from '../../test/sweep/redis.js'
import { benchLine, median, repoRoot } from '../lib.js'

const TRIALS = Number(process.env.BENCH_SWEEP_TRIALS ?? 64)
const ROUND_TRIPS = 30

function sweep() {
  const base = { ...(parse(readFileSync(DEFAULT_PRESET, 'utf8')) as Record<string, unknown>), threads: 1 }
  return resolveSweep({
    base,
    space: {
      'base_models.0.config.max_depth': { type: 'int', low: 3, high: 7 },
      'base_models.0.config.learning_rate': { type: 'log_uniform', low: 0.03, high: 0.3 },
      'base_models.0.config.subsample': { type: 'uniform', low: 0.6, high: 1 },
      // Two feature sets: a worker keeps two datasets, so no trial recomputes features after the first two.
      'features.ablate': { type: 'choice', values: [[], ['volume']] },
    },
    sampler: { kind: 'random' },
    batch: 8,
    budget: { trials: TRIALS },
    objective: { metric: 'log_loss' },
  })
}

async function timedSweep(workers: number): Promise<number> {
  const executor = localExecutor(workers)
  const store = openRunStore(':memory:')
  const t0 = performance.now()
  try {
    await runSweep({ sweep: sweep(), dataFile: SAMPLE_DATA, executor, store })
    return (performance.now() - t0) / 1000
  } finally {
    store.close()
    await executor.close()
  }
}

/** Median round trip (ms) of a one-trial batch through Redis and one mlf worker; the trial is refused at once. */
async function queueRoundTrip(): Promise<number> {
  const redis = await startRedis()
  const worker = spawn(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), 'worker', '--queue', redis.url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  try {
    await watchLines(worker).waitFor(/taking trials/)
    const executor = await bullmqExecutor(redis.url)
    const times: number[] = []
    const job = (n: number) => ({
      sweepId: 'bench-queue',
      window: 'all',
      number: n,
      params: {},
      baseRaw: { seed: 'not a number' },
      dataFile: SAMPLE_DATA,
      fingerprint: '',
      objective: { metric: 'log_loss', direction: 'minimize' } as const,
    })
    for (let n = 0; n < ROUND_TRIPS + 3; n++) {
      const t0 = performance.now()
      const [outcome] = await executor.run([job(n)])
      if (outcome.status !== 'failed') throw new Error('the refused trial was not refused')
      // The first trips start the sandboxed process and load modules: not scheduling.
      if (n >= 3) times.push(performance.now() - t0)
    }
    await executor.close()
    return median(times)
  } finally {
    worker.kill('SIGTERM')
    await redis.stop()
  }
}

export default async function run(): Promise<void> {
  const one = await timedSweep(1)
  const two = await timedSweep(2)
  const extra: Record<string, string | number> = {
    peer: 'goal_1.7x',
    trials: TRIALS,
    one_worker_s: one,
    two_workers_s: two,
    speedup: one / two,
    per_trial_s: two / TRIALS,
  }
  if (hasRedis()) {
    const ms = await queueRoundTrip()
    extra.queue_roundtrip_ms = ms
    extra.queue_goal_ratio = ms / 50
  } else extra.queue_roundtrip_ms = 'n/a_no_redis_server'
  process.stdout.write(`${benchLine('sweep', two, one / 1.7, extra)}\n`)
}
