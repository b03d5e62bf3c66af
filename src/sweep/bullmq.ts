/**
 * Distributed trials on BullMQ (Redis). The coordinator adds each batch as a flow: a batch parent in `mlf-batches`
 * with one child per trial in `mlf-trials`; workers started anywhere with `mlf worker --queue redis://...` take the
 * children and run each in a sandboxed process. A trial whose worker dies is taken again by another worker once its
 * lock expires (stalled), and one whose process crashes is retried with backoff, up to TRIAL_ATTEMPTS. When every
 * child is done the parent is processed by the coordinator, which reads the outcomes from it: the coordinator alone
 * writes the run store. Job ids are the sweep, window and trial number, so a resumed coordinator finds its batch.
 */
import { FlowProducer, Job, Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq'
import { fileURLToPath } from 'node:url'
import { crashedOutcome, TRIAL_ATTEMPTS, type Executor } from './executor.js'
import type { TrialJob, TrialOutcome } from './trial.js'

export const TRIAL_QUEUE = 'mlf-trials'
export const BATCH_QUEUE = 'mlf-batches'
const PROCESSOR = fileURLToPath(new URL('./bullmq-processor.js', import.meta.url))

/** Connection options from `redis://[:password@]host:port[/db]`, refused with the reason when it is not one. */
export function redisConnection(url: string): ConnectionOptions & { host: string; port: number } {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new Error(`--queue ${url}: not a URL; give redis://host:port`)
  }
  if (u.protocol !== 'redis:') throw new Error(`--queue ${url}: only redis:// queues are supported`)
  const port = u.port ? Number(u.port) : 6379
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`--queue ${url}: the database (${u.pathname.slice(1)}) must be a number`)
  return {
    host: u.hostname || '127.0.0.1',
    port,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    // Workers block on Redis; BullMQ requires unlimited retries per request on their connections.
    maxRetriesPerRequest: null,
  }
}

/** A job id from the trial's identity (BullMQ ids may not hold ':'). */
export function trialJobId(job: Pick<TrialJob, 'sweepId' | 'window' | 'number'>): string {
  return `${job.sweepId}|${job.window}|${job.number}`.replace(/:/g, '-')
}

interface BatchValue {
  readonly values: Record<string, TrialOutcome>
  readonly failures: Record<string, string>
}

export async function bullmqExecutor(url: string): Promise<Executor> {
  const connection = redisConnection(url)
  const flows = new FlowProducer({ connection })
  const batches = new Queue(BATCH_QUEUE, { connection })
  const events = new QueueEvents(BATCH_QUEUE, { connection })
  // The batch parent runs once every trial is done: it gathers the outcomes (and the trials that failed for good).
  const collector = new Worker<unknown, BatchValue>(
    BATCH_QUEUE,
    async (job) => ({
      values: (await job.getChildrenValues()) as Record<string, TrialOutcome>,
      failures: await job.getIgnoredChildrenFailures(),
    }),
    { connection },
  )
  try {
    await Promise.all([batches.waitUntilReady(), events.waitUntilReady(), collector.waitUntilReady()])
  } catch (err) {
    await Promise.allSettled([flows.close(), batches.close(), events.close(), collector.close()])
    throw new Error(`cannot reach the queue at ${url}: ${(err as Error).message}`)
  }
  const prefix = 'bull'
  return {
    description: `BullMQ on ${connection.host}:${connection.port}`,
    async run(jobs) {
      const ids = jobs.map(trialJobId)
      const parentId = `${ids[0]}+${jobs.length}`
      let parent = await Job.fromId<unknown, BatchValue>(batches, parentId)
      if (!parent) {
        const node = await flows.add({
          name: 'batch',
          queueName: BATCH_QUEUE,
          data: { sweepId: jobs[0].sweepId, window: jobs[0].window },
          opts: { jobId: parentId },
          children: jobs.map((job, i) => ({
            name: 'trial',
            queueName: TRIAL_QUEUE,
            data: job,
            opts: {
              jobId: ids[i],
              attempts: TRIAL_ATTEMPTS,
              backoff: { type: 'exponential', delay: 1000 },
              ignoreDependencyOnFailure: true,
            },
          })),
        })
        parent = node.job as Job<unknown, BatchValue>
      }
      const value = (await parent.waitUntilFinished(events)) as BatchValue
      return ids.map((id) => {
        const key = `${prefix}:${TRIAL_QUEUE}:${id}`
        return value.values[key] ?? crashedOutcome(TRIAL_ATTEMPTS, value.failures[key] ?? 'no outcome recorded')
      })
    },
    async close() {
      await Promise.allSettled([collector.close(), events.close(), batches.close(), flows.close()])
    },
  }
}

export interface TrialWorkerOptions {
  /** Trials this worker runs at once, each in its own process. */
  readonly concurrency: number
  /** How long a trial's lock lasts without renewal: a dead worker's trial is taken again after about this long. */
  readonly stalledMs: number
  readonly log?: (line: string) => void
}

/** `mlf worker`: take trials from the queue until closed. */
export async function startTrialWorker(url: string, opts: TrialWorkerOptions): Promise<Worker<TrialJob, TrialOutcome>> {
  const connection = redisConnection(url)
  const log = opts.log ?? (() => {})
  const worker = new Worker<TrialJob, TrialOutcome>(TRIAL_QUEUE, PROCESSOR, {
    connection,
    concurrency: opts.concurrency,
    lockDuration: opts.stalledMs,
    stalledInterval: opts.stalledMs,
    maxStalledCount: TRIAL_ATTEMPTS - 1,
    useWorkerThreads: false,
  })
  worker.on('active', (job) => log(`trial ${job.id} started (attempt ${job.attemptsStarted})`))
  worker.on('completed', (job, outcome) => log(`trial ${job.id} ${outcome.status}`))
  worker.on('failed', (job, err) => log(`trial ${job?.id ?? '?'} crashed: ${err.message}`))
  worker.on('error', (err) => log(`queue error: ${err.message}`))
  try {
    await worker.waitUntilReady()
  } catch (err) {
    await worker.close()
    throw new Error(`cannot reach the queue at ${url}: ${(err as Error).message}`)
  }
  return worker
}
