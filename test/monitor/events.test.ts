import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { referenceOf } from './vectors.js'
import { createDriftMonitor, type DriftMonitorConfig } from '../../src/monitor/monitor.js'
import { checkWebhookUrl, type DriftEvent } from '../../src/monitor/events.js'
import { gauss } from '../helpers.js'

const W = 500
const CONFIG: DriftMonitorConfig = { window: W, psi_warn: 0.1, psi_alert: 0.25, smoothing: 0.5, exclude_groups: [] }

const reference = () => {
  const g = gauss(11)
  return referenceOf({
    interval: '1m',
    from: 0,
    to: 0,
    bins: 10,
    features: [{ name: 'x', group: 'stats', values: Float64Array.from({ length: 10_000 }, g) }],
    outputs: [{ name: 'E_r', values: Float64Array.from({ length: 10_000 }, g) }],
  })
}

/** A local server answering `status`, keeping what was posted to it. */
async function receiver(status: number) {
  const bodies: { url: string; type: string; body: unknown }[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let text = ''
    req.on('data', (c: Buffer) => (text += c.toString()))
    req.on('end', () => {
      bodies.push({ url: req.url ?? '', type: req.headers['content-type'] ?? '', body: JSON.parse(text) })
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/drift?token=secret`
  return { url, bodies, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/** W rows of the reference distribution, then W rows with the output shifted by 1.5: events on E_r. */
function drive(m: ReturnType<typeof createDriftMonitor>): DriftEvent[] {
  const g = gauss(12)
  const events: DriftEvent[] = []
  for (let i = 0; i < 2 * W; i++) events.push(...m.push([g()], { E_r: g() + (i >= W ? 1.5 : 0) }, i * 60_000))
  return events
}

test('events are handed to the callback and posted to the webhook as JSON, one request per row that changed', async () => {
  const hook = await receiver(204)
  try {
    const seen: DriftEvent[] = []
    const m = createDriftMonitor(reference(), CONFIG, { onEvent: (e) => seen.push(e), webhook: { url: hook.url } })
    const events = drive(m)
    await m.flush()
    assert.ok(events.some((e) => e.column === 'E_r' && e.kind === 'output' && e.level === 'alert'))
    assert.deepEqual(seen, events)
    assert.equal(hook.bodies.length, new Set(events.map((e) => e.row)).size)
    assert.deepEqual(
      hook.bodies.flatMap((b) => (b.body as { events: DriftEvent[] }).events),
      JSON.parse(JSON.stringify(events)),
    )
    assert.ok(hook.bodies.every((b) => b.type === 'application/json' && b.url === '/hooks/drift?token=secret'))
    assert.equal(m.webhookFailures, 0)
  } finally {
    await hook.close()
  }
})

test('a failing webhook never breaks the monitor: the failure is reported (without the query) and counted', async () => {
  const hook = await receiver(500)
  const errors: string[] = []
  try {
    const m = createDriftMonitor(reference(), CONFIG, {
      webhook: { url: hook.url },
      onWebhookError: (e) => errors.push(e.message),
    })
    const events = drive(m)
    await m.flush()
    assert.ok(events.length > 0)
    assert.equal(m.webhookFailures, hook.bodies.length)
    assert.equal(errors.length, hook.bodies.length)
    assert.match(errors[0], /^drift webhook http:\/\/127\.0\.0\.1:\d+\/hooks\/drift: the webhook answered 500/)
    assert.ok(errors.every((e) => !e.includes('secret')))
  } finally {
    await hook.close()
  }
  // Nobody listening any more: connection refused, still no throw.
  const m = createDriftMonitor(reference(), CONFIG, { webhook: { url: hook.url, timeoutMs: 2000 } })
  drive(m)
  await m.flush()
  assert.ok(m.webhookFailures > 0)
})

test('a webhook that is not an http(s) URL is refused when the monitor is created', () => {
  assert.throws(() => checkWebhookUrl('not a url'), /"not a url" is not a URL/)
  assert.throws(
    () => createDriftMonitor(reference(), CONFIG, { webhook: { url: 'file:///etc/passwd' } }),
    /is not an http or https URL/,
  )
})
