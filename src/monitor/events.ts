/**
 * Drift events and their delivery. A column's level (ok, warn, alert) is held by the monitor once its window is full;
 * each change of it is one structured event, handed to the caller's callback and, when a webhook is set, posted as
 * JSON (`{ "events": [...] }`, one request per pushed row that changed anything). Posting never throws into the
 * monitor: a failed or slow post is reported through `onWebhookError` and counted.
 */
export type DriftLevel = 'ok' | 'warn' | 'alert'
export type ColumnKind = 'feature' | 'output'

export const LEVELS: readonly DriftLevel[] = ['ok', 'warn', 'alert']

export interface DriftEvent {
  readonly type: 'drift'
  readonly level: DriftLevel
  readonly previous: DriftLevel
  readonly column: string
  readonly kind: ColumnKind
  readonly psi: number
  /** KL(window || reference), in nats. */
  readonly kl: number
  /** The PSI threshold crossed: the new level's going up, the one above the new level going down. */
  readonly threshold: number
  /** How many rows the monitor had been pushed when it happened (this row included). */
  readonly row: number
  /** The row's bar time (ISO 8601) when the push gave one. */
  readonly ts: string | null
  readonly windowRows: number
}

export interface WebhookOptions {
  /** An http(s) URL the events are posted to. */
  readonly url: string
  /** Milliseconds before a post is abandoned (default 5000). */
  readonly timeoutMs?: number
}

/** Posts batches of events; `flush` waits for every post under way. */
export interface WebhookPoster {
  post(events: readonly DriftEvent[]): void
  flush(): Promise<void>
  readonly failures: number
}

export function checkWebhookUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`drift webhook: ${JSON.stringify(url)} is not a URL`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`drift webhook: ${JSON.stringify(url)} is not an http or https URL`)
  return parsed
}

/** A webhook URL as logs and answers show it: without its query, which may hold a secret. */
export const shownUrl = (url: URL): string => `${url.origin}${url.pathname}`

export function createWebhookPoster(options: WebhookOptions, onError: (err: Error) => void): WebhookPoster {
  const url = checkWebhookUrl(options.url)
  const timeoutMs = options.timeoutMs ?? 5000
  const pending = new Set<Promise<void>>()
  let failures = 0
  const send = async (events: readonly DriftEvent[]) => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(timeoutMs),
      })
      // The body is not read (nothing in it matters), but it must be consumed to free the connection.
      await res.body?.cancel()
      if (!res.ok) throw new Error(`the webhook answered ${res.status} ${res.statusText}`)
    } catch (err) {
      failures++
      onError(new Error(`drift webhook ${shownUrl(url)}: ${(err as Error).message}`))
    }
  }
  return {
    post(events) {
      if (events.length === 0) return
      const p = send(events).finally(() => pending.delete(p))
      pending.add(p)
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending])
    },
    get failures() {
      return failures
    },
  }
}
