import type { Command } from 'commander'
import { startTrialWorker } from '../sweep/bullmq.js'

export function register(program: Command): void {
  program
    .command('worker')
    .description('run sweep trials from a BullMQ queue (mlf sweep --queue) until stopped (SIGINT, SIGTERM)')
    .requiredOption('--queue <url>', 'Redis of the queue: redis://host:port')
    .option('--concurrency <n>', 'trials at once, each in its own process', '1')
    .option(
      '--stalled-ms <ms>',
      "lock of a running trial: a dead worker's trial is taken again after about this long",
      '30000',
    )
    .option('--quiet', 'no log of trials')
    .action(async (opts: { queue: string; concurrency: string; stalledMs: string; quiet?: boolean }) => {
      const concurrency = Number(opts.concurrency)
      const stalledMs = Number(opts.stalledMs)
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new Error(`--concurrency must be a whole number >= 1, got ${opts.concurrency}`)
      if (!Number.isInteger(stalledMs) || stalledMs < 1000)
        throw new Error(`--stalled-ms must be a whole number >= 1000, got ${opts.stalledMs}`)
      const log = (t: string) => {
        if (!opts.quiet) process.stderr.write(`[mlf worker ${process.pid}] ${t}\n`)
      }
      const worker = await startTrialWorker(opts.queue, { concurrency, stalledMs, log })
      log(`taking trials from ${opts.queue}`)
      await new Promise<void>((resolve) => {
        const stop = () => void worker.close().then(resolve)
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      log('stopped')
    })
}
