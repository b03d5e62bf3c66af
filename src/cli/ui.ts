import type { Command } from 'commander'
import { userMessage } from '../core/messages.js'
import { createUiServer } from '../ui/server.js'
import { DEFAULT_STORE } from './runs.js'

export function register(program: Command): void {
  program
    .command('ui')
    .description('browse the run store in a browser: runs table, compare view, sweeps, reports (read-only, offline)')
    .option('--store <file>', 'run store', DEFAULT_STORE)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '8765')
    .option('--log-level <level>', 'server log level (JSON lines on stdout): fatal error warn info debug', 'warn')
    .action(async (opts: { store: string; host: string; port: string; logLevel: string }) => {
      if (!/^\d+$/.test(opts.port) || Number(opts.port) > 65535)
        throw new Error(`--port must be a whole number from 0 to 65535, got "${opts.port}"`)
      const server = createUiServer({
        store: opts.store,
        host: opts.host,
        port: Number(opts.port),
        logLevel: opts.logLevel,
      })
      const stop = () => {
        server.close().catch((err: unknown) => {
          process.stderr.write(`mlf ui: ${userMessage(err)}\n`)
          process.exitCode = 1
        })
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const url = await server.listen()
      process.stdout.write(`mlf ui: ${opts.store} on ${url} (Ctrl-C to stop)\n`)
    })
}
