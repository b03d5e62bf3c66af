/**
 * Where trials run: worker processes on this machine (local.ts) or workers anywhere behind a Redis queue
 * (bullmq.ts). An executor runs a batch and returns the outcomes in the batch's order; which worker ran which trial,
 * and when, changes nothing in them.
 */
import type { TrialJob, TrialOutcome } from './trial.js'

export interface Executor {
  /** Says where the trials run, for the log (`2 local worker processes`). */
  readonly description: string
  run(jobs: readonly TrialJob[]): Promise<TrialOutcome[]>
  close(): Promise<void>
}

/** Times a trial is started before it is recorded as failed, when the process running it dies (a crash, a kill). */
export const TRIAL_ATTEMPTS = 3

/** The outcome of a trial whose every attempt died with its process. */
export function crashedOutcome(attempts: number, why: string): TrialOutcome {
  return {
    status: 'failed',
    value: null,
    metrics: {},
    curves: {},
    returns: { ts: [], r: [] },
    error: `the process running it died ${attempts} time(s) (last: ${why})`,
    seconds: 0,
  }
}
