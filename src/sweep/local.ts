/**
 * The local executor: `workers` child processes of this machine, each running one trial at a time. A process that
 * dies in a trial (a crash, the OOM killer, a kill) is replaced and the trial started again, up to TRIAL_ATTEMPTS.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { crashedOutcome, TRIAL_ATTEMPTS, type Executor } from './executor.js'
import type { TrialJob, TrialOutcome } from './trial.js'

const WORKER = fileURLToPath(new URL('./worker-process.js', import.meta.url))

interface Slot {
  child: ChildProcess
  busy: { id: number; onExit: (why: string) => void } | null
}

/** The local executor, and the process ids of its workers (as they are now: a dead one is replaced). */
export function localExecutor(
  workers: number,
  opts: { readonly onTrialStart?: (job: TrialJob, pid: number) => void } = {},
): Executor & { readonly pids: () => number[] } {
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`--workers must be a whole number >= 1, got ${workers}`)
  let nextId = 0
  const pending = new Map<number, (o: TrialOutcome) => void>()
  const spawn = (): Slot => {
    const child = fork(WORKER, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    const slot: Slot = { child, busy: null }
    child.on('message', (m: { id: number; outcome: TrialOutcome }) => pending.get(m.id)?.(m.outcome))
    child.on('exit', (code, signal) => slot.busy?.onExit(signal ? `killed by ${signal}` : `exit code ${code}`))
    return slot
  }
  const slots: Slot[] = Array.from({ length: workers }, spawn)
  /** Runs one job on a free slot, replacing the slot's process if it dies. */
  const runOn = (k: number, job: TrialJob, attempt: number): Promise<TrialOutcome> =>
    new Promise((resolve) => {
      const id = nextId++
      // A process that died between trials is replaced before it is given one.
      if (slots[k].child.exitCode !== null || slots[k].child.signalCode !== null) slots[k] = spawn()
      const slot = slots[k]
      slot.busy = {
        id,
        onExit: (why) => {
          pending.delete(id)
          slots[k] = spawn()
          resolve(attempt >= TRIAL_ATTEMPTS ? crashedOutcome(attempt, why) : runOn(k, job, attempt + 1))
        },
      }
      pending.set(id, (outcome) => {
        pending.delete(id)
        slot.busy = null
        resolve(outcome)
      })
      slot.child.send({ id, job })
      opts.onTrialStart?.(job, slot.child.pid!)
    })
  return {
    description: `${workers} local worker process${workers > 1 ? 'es' : ''}`,
    pids: () => slots.map((s) => s.child.pid!),
    async run(jobs) {
      const out: TrialOutcome[] = new Array(jobs.length)
      let next = 0
      const lane = async (k: number) => {
        while (next < jobs.length) {
          const i = next++
          out[i] = await runOn(k, jobs[i], 1)
        }
      }
      await Promise.all(slots.map((_, k) => lane(k)))
      return out
    },
    async close() {
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.busy = null
              if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve()
              s.child.once('exit', () => resolve())
              s.child.disconnect()
            }),
        ),
      )
    },
  }
}
