/**
 * A local worker process (forked by local.ts): runs the trials it is sent, one at a time, and answers each with its
 * outcome. Its dataset cache lives as long as the process, so later trials of the same features skip them.
 */
import { runTrial, type TrialJob } from './trial.js'

if (!process.send) throw new Error('src/sweep/worker-process.ts runs as a forked worker of mlf sweep')

process.on('message', (message: { id: number; job: TrialJob }) => {
  void runTrial(message.job).then((outcome) => process.send!({ id: message.id, outcome }))
})
// The coordinator gone (killed, or done): nothing more will come.
process.on('disconnect', () => process.exit(0))
