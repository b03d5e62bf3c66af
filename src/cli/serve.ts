import type { Command } from 'commander'
import { userMessage } from '../core/messages.js'
import { parseServeOptions, TOKEN_ENV } from '../serve/options.js'
import { createServer } from '../serve/server.js'

interface ServeFlags {
  bundle: string
  fallback?: string
  host: string
  port: string
  timeoutMs: string
  bodyLimit: string
  cacheSize: string
  historyBars: string
  maxBars: string
  driftWebhook?: string
  logLevel: string
}

/** A whole-number flag, or an error naming it. */
function integerFlag(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`${flag} must be a whole number, got "${value}"`)
  return Number(value)
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a bundle over HTTP: live bars, predictions, a fallback chain, a prediction cache, metrics')
    .requiredOption('--bundle <dir>', 'bundle directory (runs/<run-id>/bundle)')
    .option('--fallback <dir>', 'bundle that answers when the primary fails')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--timeout-ms <ms>', 'a link slower than this hands over to the next', '250')
    .option('--body-limit <bytes>', 'largest request body accepted', String(1024 * 1024))
    .option('--cache-size <n>', 'predictions kept per model in the prediction cache', '10000')
    .option('--history-bars <n>', 'live bars kept to replay into a reloaded bundle', '200000')
    .option('--max-bars <n>', 'most bars (or feature rows) per request', '10000')
    .option('--drift-webhook <url>', "post drift events here (overrides the bundle's monitor.webhook)")
    .option('--log-level <level>', 'log level (JSON lines on stdout): fatal error warn info debug trace silent', 'info')
    .addHelpText(
      'after',
      `\nRoutes that change the server's state (POST /v1/bars, POST /v1/admin/reload) require the token in ${TOKEN_ENV}\nwhen it is set (Authorization: Bearer <token>).`,
    )
    .action(async (flags: ServeFlags) => {
      const options = parseServeOptions({
        host: flags.host,
        port: integerFlag(flags.port, '--port'),
        timeout_ms: Number(flags.timeoutMs),
        body_limit_bytes: integerFlag(flags.bodyLimit, '--body-limit'),
        cache_size: integerFlag(flags.cacheSize, '--cache-size'),
        history_bars: integerFlag(flags.historyBars, '--history-bars'),
        max_bars_per_request: integerFlag(flags.maxBars, '--max-bars'),
        drift_webhook: flags.driftWebhook ?? null,
        log_level: flags.logLevel,
      })
      const server = await createServer({ bundle: flags.bundle, fallback: flags.fallback ?? null }, options)
      const log = server.app.log
      let stopping = false
      const stop = (signal: string): void => {
        if (stopping) return
        stopping = true
        log.info({ event: 'shutdown', signal }, 'finishing requests in flight, then closing')
        server.close().then(
          () => log.info({ event: 'closed' }, 'closed'),
          (err: unknown) => {
            log.error({ event: 'close_failed', error: userMessage(err) }, 'close failed')
            process.exitCode = 1
          },
        )
      }
      process.once('SIGTERM', () => stop('SIGTERM'))
      process.once('SIGINT', () => stop('SIGINT'))
      process.on('SIGHUP', () => {
        server.reload().catch(() => {
          // Refused reloads are logged and counted by the server; the old bundles keep serving.
        })
      })
      const url = await server.listen()
      log.info({ event: 'listening', url, primary: server.state().primary.bundle.checksum }, `serving on ${url}`)
    })
}
