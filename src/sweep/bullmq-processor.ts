/**
 * The trial processor BullMQ's sandboxed worker processes load (mlf worker): one trial per job, its outcome the job's
 * return value. A trial's own failure is an outcome; only a crash fails the job, which BullMQ then retries.
 */
import type { Job } from 'bullmq'
import { runTrial, type TrialJob, type TrialOutcome } from './trial.js'

// A sandbox whose worker died (killed, crashed) has no one to report to: it ends rather than finish an orphan trial.
process.on('disconnect', () => process.exit(1))

export default async function processTrial(job: Job<TrialJob>): Promise<TrialOutcome> {
  return runTrial(job.data)
}
