/** The server's options (mlf serve flags), validated and frozen. */
import { z } from 'zod'
import { webhookConfigSchema } from '../monitor/config.js'

export const TOKEN_ENV = 'MLF_SERVE_TOKEN'

export const serveOptionsSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('Address to listen on (loopback unless told otherwise)'),
    port: z.number().int().min(0).max(65535).default(8080).describe('Port to listen on (0: any free port)'),
    body_limit_bytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest request body accepted; a larger one is answered 413'),
    timeout_ms: z
      .number()
      .positive()
      .max(60_000)
      .default(250)
      .describe('A link of the chain that takes longer than this to score hands over to the next'),
    cache_size: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(10_000)
      .describe('Predictions kept per model in the prediction cache (a ring: the oldest go first)'),
    history_bars: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(200_000)
      .describe('Live bars kept to replay into the feature engines of a reloaded bundle'),
    max_bars_per_request: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(10_000)
      .describe('Most bars one request may push or send as a window'),
    drift_webhook: webhookConfigSchema.shape.url
      .nullable()
      .default(null)
      .describe("Where drift events are posted; overrides the bundle's monitor.webhook.url (null: the bundle's)"),
    log_level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('Structured (JSON lines) log level'),
  })
  .strict()

export type ServeOptions = Readonly<z.infer<typeof serveOptionsSchema>>

/** Options from flags and defaults; an unknown key or a value out of range is refused naming the key. */
export function parseServeOptions(raw: unknown): ServeOptions {
  const parsed = serveOptionsSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`serve option ${issue.path.join('.') || '(options)'}: ${issue.message}`)
  }
  return Object.freeze(parsed.data)
}
