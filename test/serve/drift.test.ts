/**
 * Drift monitoring inside mlf serve: live bars pushed through POST /v1/bars reach the drift monitor of the model that
 * answered them, and /v1/drift, /metrics, the log and the webhook say what it found.
 *
 * The bars are a seeded stationary process (i.i.d. returns around a slowly mean-reverting price, i.i.d. ranges and
 * volumes), so that a contiguous slice held back after the training bars is a sample of the training distribution
 * itself; real markets drift from day to day (docs/drift.md), and a contiguous live slice of them would alert. The
 * features are on the 1-minute bars only: slower ones keep too few independent values in one window. Calendar
 * features are off: a linear model on the day of week answers each weekday differently, which is output drift by
 * construction when the held-back days are other weekdays than the reference's.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { seededRandom, standardNormal } from '../../src/core/random.js'
import { allocBars, MINUTE_MS, type Bars } from '../../src/data/bars.js'
import { loadBundle, REFERENCE_FILE, type LoadedBundle } from '../../src/pipeline/bundle.js'
import { driftOfFile } from '../../src/pipeline/drift.js'
import { loadServable } from '../../src/serve/served-model.js'
import { parseServeOptions } from '../../src/serve/options.js'
import type { DriftEvent } from '../../src/monitor/events.js'
import { repoRoot, tempDir } from '../helpers.js'
import { smallConfig } from '../pipeline/fixture.js'
import { editManifest } from '../bundle/reseal.js'
import { barJson, bundleCopy, call, startServer, trainBundle, type Running } from './fixture.js'
import { BUNDLE_VERSION } from '../../src/bundle/semver.js'

const TRAIN = 20_000
const WINDOW = 1440
/** Bars pushed before the held-back ones: the end of the training bars, which warms the feature engine up. */
const LEAD = 300
const HELD = 3 * WINDOW
const SIGMA = 0.0003
const WEBHOOK_TIMEOUT_MS = 3000

/** The stationary process: returns N(0, SIGMA) pulled back towards a price of 10, ranges |N|, log-normal volumes. */
function stationaryBars(n: number, seed: number): Bars {
  const rand = seededRandom(seed)
  const bars = allocBars(n)
  let prev = 10
  for (let t = 0; t < n; t++) {
    const close = prev * Math.exp(-0.002 * Math.log(prev / 10) + SIGMA * standardNormal(rand))
    const range = 0.5 * SIGMA * Math.abs(standardNormal(rand))
    bars.ts[t] = Date.UTC(2024, 0, 1) + t * MINUTE_MS
    bars.open[t] = prev
    bars.close[t] = close
    bars.high[t] = Math.max(prev, close) * Math.exp(range)
    bars.low[t] = Math.min(prev, close) * Math.exp(-0.8 * range)
    bars.volume[t] = Math.exp(3 + 0.5 * standardNormal(rand))
    prev = close
  }
  return bars
}

type Shift = 'mean' | 'volatility'

/**
 * The bars with a planted shift from bar `from` on: a trend of a quarter of SIGMA per bar (every price of bar i
 * scaled by exp(SIGMA / 4 (i - from + 1))), or volatility doubled (every log price's distance from the close before
 * `from` doubled: every return and range twice as large).
 */
function shifted(bars: Bars, from: number, shift: Shift): Bars {
  const out = allocBars(bars.length)
  out.ts.set(bars.ts)
  out.volume.set(bars.volume)
  const anchor = bars.close[from - 1]
  for (const key of ['open', 'high', 'low', 'close'] as const)
    for (let i = 0; i < bars.length; i++) {
      const p = bars[key][i]
      out[key][i] =
        i < from ? p : shift === 'mean' ? p * Math.exp((SIGMA / 4) * (i - from + 1)) : anchor * (p / anchor) ** 2
    }
  return out
}

function csvFile(bars: Bars, from: number, to: number): string {
  const lines = ['ts_utc,open,high,low,close,volume']
  for (let i = from; i < to; i++)
    lines.push(
      `${new Date(bars.ts[i]).toISOString()},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]},${bars.volume[i]}`,
    )
  const path = join(tempDir('mlf-serve-drift-'), `bars-${from}-${to}.csv.gz`)
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`))
  return path
}

interface Post {
  readonly body: { events: DriftEvent[] }
  /** Answer the post (held posts wait for this). */
  readonly answer: () => void
}

/**
 * A local webhook: records every post; `hold` keeps the answers back until released, `never` never answers (the
 * monitor's timeout ends it).
 */
async function webhookListener() {
  const posts: Post[] = []
  let mode: 'answer' | 'hold' | 'never' = 'answer'
  const http = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const answer = () => void res.writeHead(200).end('ok')
      posts.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Post['body'], answer })
      if (mode === 'answer') answer()
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hooks/drift?token=secret`
  return {
    url,
    posts,
    setMode: (m: typeof mode) => void (mode = m),
    events: () => posts.flatMap((p) => p.body.events),
    reset: () => void posts.splice(0),
    close: () => {
      http.closeAllConnections()
      http.close()
    },
  }
}

const fixture = (async () => {
  const webhook = await webhookListener()
  const bars = stationaryBars(TRAIN + HELD + LEAD, 11)
  const config = smallConfig({
    timeframes: ['1m', '5m', '15m'],
    features: {
      momentum: { timeframes: ['1m'] },
      volatility: { timeframes: ['1m'] },
      volume: { timeframes: ['1m'] },
      stats: { timeframes: ['1m'] },
      regime: { enabled: false },
      micro: { enabled: false },
      wavelet: { enabled: false },
      // The process has no calendar: a model on the day of week would answer each weekday differently.
      calendar: { enabled: false },
      interactions: { list: [] },
    },
    base_models: [{ name: 'logistic', config: { C: 0.5, max_iter: 200 } }],
    monitor: { window: WINDOW, webhook: { url: webhook.url, timeout_ms: WEBHOOK_TIMEOUT_MS } },
  })
  const bundle = await trainBundle(csvFile(bars, 0, TRAIN), config)
  return { webhook, bars, bundle, loaded: await loadBundle(bundle) }
})()

/** A copy of the bundle as a bundle of format 3.0 would be: no reference distributions. */
function withoutReference(dir: string): string {
  const copy = bundleCopy(dir)
  rmSync(join(copy, REFERENCE_FILE))
  editManifest(copy, (m) => {
    delete m.files[REFERENCE_FILE]
    m.bundle_version = '3.0.0'
  })
  return copy
}

interface Answer {
  status: string
  source?: string
}

/** Push bars [from, to) through POST /v1/bars in requests of 1,000; returns the answers. */
async function push(url: string, bars: Bars, from: number, to: number): Promise<Answer[]> {
  const out: Answer[] = []
  for (let start = from; start < to; start += 1000) {
    const chunk = Array.from({ length: Math.min(1000, to - start) }, (_, k) => barJson(bars, start + k))
    const reply = await call(url, '/v1/bars', { bars: chunk })
    assert.equal(reply.status, 200, JSON.stringify(reply.body))
    out.push(...(reply.body.answers as Answer[]))
  }
  return out
}

interface ModelDrift {
  name: string
  checksum: string
  available: boolean
  state: string
  reason: string | null
  window: { rows: number; size: number; seen: number; last_ts: string | null } | null
  webhook: { url: string; failures: number } | null
  columns: { name: string; kind: string; level: string; excluded: boolean; psi: number; wasserstein: number }[]
  recent_events: DriftEvent[]
}

/** GET /v1/drift by model name; `version` is the primary bundle's format. */
async function drift(url: string, version = BUNDLE_VERSION): Promise<Record<string, ModelDrift>> {
  const reply = await call(url, '/v1/drift')
  assert.equal(reply.status, 200, JSON.stringify(reply.body))
  assert.equal(reply.body.bundle_version, version)
  return Object.fromEntries((reply.body.models as ModelDrift[]).map((m) => [m.name, m]))
}

async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`)
  assert.equal(res.status, 200)
  return res.text()
}

/** The value of one sample of /metrics (labels in the order prom-client writes them), or null. */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  const key = `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`
  const line = text.split('\n').find((l) => l.startsWith(`${key} `))
  return line === undefined ? null : Number(line.slice(key.length + 1))
}

/** Wait (up to 10 s) until `done()`, or fail with `message`. */
async function until(done: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  assert.ok(done(), message)
}

const logOf = (lines: readonly string[], event: string) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === event)

/** Every number in `x` is finite. */
function assertFinite(x: unknown, path = '$'): void {
  if (typeof x === 'number') assert.ok(Number.isFinite(x), `${path} is ${x}`)
  else if (Array.isArray(x)) x.forEach((v, i) => assertFinite(v, `${path}[${i}]`))
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) assertFinite(v, `${path}.${k}`)
}

async function withServer<T>(
  sources: Parameters<typeof startServer>[0],
  lines: string[],
  body: (r: Running) => Promise<T>,
  load?: (dir: string) => Promise<LoadedBundle>,
): Promise<T> {
  const running = await startServer(
    sources,
    {},
    { logStream: { write: (l: string) => void lines.push(l) }, ...(load ? { load } : {}) },
  )
  try {
    return await body(running)
  } finally {
    await running.close()
  }
}

test('held-back live bars of the training distribution raise no alert; /v1/drift equals mlf drift on the same bars; a bundle without a reference serves with drift unavailable', async () => {
  const { bars, bundle, webhook } = await fixture
  const old = withoutReference(bundle)
  const lines: string[] = []
  webhook.reset()
  await withServer({ bundle, fallback: old }, lines, async ({ url }) => {
    const answers = await push(url, bars, TRAIN - LEAD, TRAIN + HELD)
    const scored = answers.filter((a) => a.status === 'scored')
    assert.ok(scored.every((a) => a.source === 'primary'))
    const d = await drift(url)
    const primary = d.primary
    assert.equal(primary.available, true)
    assert.notEqual(primary.state, 'alert')
    assert.deepEqual(primary.window, {
      rows: WINDOW,
      size: WINDOW,
      seen: scored.length,
      last_ts: new Date(bars.ts[TRAIN + HELD - 1]).toISOString(),
    })
    assert.deepEqual(
      primary.recent_events.filter((e) => e.level === 'alert'),
      [],
    )
    assert.equal(primary.webhook?.url, webhook.url.split('?')[0])
    assertFinite(d)
    // The live window's statistics are those of mlf drift on the same bars (features from the batch engine, outputs
    // from mlf predict's scoring), bit for bit.
    const batch = await driftOfFile(await loadBundle(bundle), csvFile(bars, TRAIN - LEAD, TRAIN + HELD))
    assert.equal(batch.report.rows, scored.length)
    assert.deepEqual(primary.columns, JSON.parse(JSON.stringify(batch.report.last.columns)))
    // The fallback, a bundle without a reference, never answered; its drift is unavailable, said once.
    assert.equal(d.fallback.available, false)
    assert.equal(d.fallback.state, 'unavailable')
    assert.match(d.fallback.reason ?? '', /has no reference distributions \(bundle format 3\.0\.0/)
    const unavailable = logOf(lines, 'drift_unavailable')
    assert.equal(unavailable.length, 1)
    assert.equal(unavailable[0].model, 'fallback')
    const m = await metricsText(url)
    assert.equal(sample(m, 'mlf_drift_state', { model: 'fallback', state: 'unavailable' }), 1)
    assert.equal(sample(m, 'mlf_drift_state', { model: 'primary', state: primary.state }), 1)
    assert.equal(sample(m, 'mlf_drift_window_rows', { model: 'primary' }), WINDOW)
    for (const c of primary.columns)
      assert.equal(sample(m, 'mlf_drift_psi', { model: 'primary', column: c.name }), c.psi)
    assert.ok(!/^mlf_drift_alerts_total\{[^}]*level="alert"\} /m.test(m), 'an alert was counted')
    assert.match(m, /^# TYPE mlf_drift_alerts_total counter$/m)
  })
  assert.deepEqual(
    logOf(lines, 'drift').filter((l) => l.drift_level === 'alert'),
    [],
  )
  assert.deepEqual(
    webhook.events().filter((e) => e.level === 'alert'),
    [],
  )
})

for (const shift of ['mean', 'volatility'] as const) {
  test(`a planted ${shift} shift pushed through /v1/bars alerts within the window: in /v1/drift, /metrics, the log and the webhook`, async () => {
    const { bars, bundle, webhook } = await fixture
    const from = TRAIN + WINDOW + WINDOW / 2
    const live = shifted(bars, from, shift)
    const lines: string[] = []
    webhook.reset()
    await withServer({ bundle }, lines, async ({ url }) => {
      const before = (await push(url, live, TRAIN - LEAD, from)).filter((a) => a.status === 'scored').length
      const calm = await drift(url)
      assert.deepEqual(
        calm.primary.recent_events.filter((e) => e.level === 'alert'),
        [],
      )
      await push(url, live, from, from + WINDOW)
      const d = (await drift(url)).primary
      const alert = d.recent_events.find((e) => e.level === 'alert')
      assert.ok(alert, `no alert: ${d.state}`)
      assert.ok(alert.row > before && alert.row <= before + WINDOW, `alert at row ${alert.row}, the shift at ${before}`)
      assert.equal(d.state, 'alert')
      const expect =
        shift === 'volatility'
          ? /^(atr|rv|parkinson|garman_klass|rogers_satchell|ret_std|bb_width)_1m$/
          : /^(rsi|roc|ret_mean|macd|macd_signal|stoch_k|stoch_d|bb_pctb)_1m$|^p_(down|flat|up)$/
      const alerted = d.columns.filter((c) => c.level === 'alert')
      assert.ok(
        alerted.some((c) => expect.test(c.name)),
        alerted.map((c) => c.name).join(', '),
      )
      assertFinite(d)
      const m = await metricsText(url)
      const column = alert.column
      assert.ok((sample(m, 'mlf_drift_alerts_total', { model: 'primary', column, level: 'alert' }) ?? 0) >= 1)
      assert.equal(sample(m, 'mlf_drift_state', { model: 'primary', state: 'alert' }), 1)
      const psi = d.columns.find((c) => c.name === column)!.psi
      assert.equal(sample(m, 'mlf_drift_psi', { model: 'primary', column }), psi)
      const logged = logOf(lines, 'drift').filter((l) => l.drift_level === 'alert')
      assert.ok(
        logged.some((l) => l.column === column && l.row === alert.row && l.model === 'primary' && l.level === 40),
        JSON.stringify(logged[0]),
      )
    })
    // Closed: every post has been answered. The webhook received the alert as the monitor raised it.
    assert.ok(
      webhook.events().some((e) => e.level === 'alert' && e.row > 0),
      `${webhook.posts.length} posts`,
    )
    assert.ok(logOf(lines, 'drift_flushed').length === 1)
    assert.equal(logOf(lines, 'drift_flushed')[0].webhook_failures, 0)
  })
}

test('the monitor of the model that answered: the fallback gets the rows when the primary fails; reload swaps the monitors (fresh windows, the old status logged)', async () => {
  const { bars, bundle, webhook } = await fixture
  const fallback = bundleCopy(bundle)
  const lines: string[] = []
  webhook.reset()
  let broken = true
  const load = async (dir: string): Promise<LoadedBundle> => {
    const b = await loadServable(dir)
    if (dir !== bundle || !broken) return b
    return {
      ...b,
      model: {
        ...b.model,
        predict: () => {
          throw new Error('planted failure of the primary model')
        },
      },
    }
  }
  await withServer(
    { bundle, fallback },
    lines,
    async ({ url, server }) => {
      const answers = (await push(url, bars, TRAIN - LEAD, TRAIN + 200)).filter((a) => a.status === 'scored')
      assert.ok(answers.length > 0 && answers.every((a) => a.source === 'fallback'))
      let d = await drift(url)
      assert.equal(d.primary.window?.seen, 0)
      assert.equal(d.fallback.window?.seen, answers.length)
      const before = d.fallback.window
      // Reload (the primary healed): fresh monitors for both, the old ones' last status in the log.
      broken = false
      const reply = await call(url, '/v1/admin/reload', {})
      assert.equal(reply.status, 200, JSON.stringify(reply.body))
      const retired = logOf(lines, 'drift_retired')
      assert.deepEqual(
        retired.map((l) => [l.model, l.seen, l.state, l.last_ts]),
        [
          ['primary', 0, 'warming_up', null],
          ['fallback', answers.length, 'warming_up', before?.last_ts],
        ],
      )
      d = await drift(url)
      assert.equal(d.primary.window?.seen, 0)
      assert.equal(d.fallback.window?.seen, 0)
      const next = (await push(url, bars, TRAIN + 200, TRAIN + 300)).filter((a) => a.status === 'scored')
      assert.ok(next.every((a) => a.source === 'primary'))
      d = await drift(url)
      assert.equal(d.primary.window?.seen, 100)
      assert.equal(d.fallback.window?.seen, 0)
      // A reload to a bundle without a reference: it serves, its drift unavailable, said once.
      assert.equal((await call(url, '/v1/admin/reload', { bundle: withoutReference(bundle) })).status, 200)
      d = await drift(url, '3.0.0')
      assert.equal(d.primary.state, 'unavailable')
      assert.equal(d.primary.available, false)
      assert.equal(logOf(lines, 'drift_unavailable').length, 1)
      assert.equal((await push(url, bars, TRAIN + 300, TRAIN + 310)).filter((a) => a.status === 'scored').length, 10)
      assert.equal(server.drift()[0].monitor, null)
      // An unknown model is a 404 naming those served; an unknown query field a 400.
      const unknown = await call(url, '/v1/drift?model=nope')
      assert.equal(unknown.status, 404)
      assert.match(String(unknown.body.error), /no served model "nope"; served: primary, fallback/)
      assert.equal((await call(url, '/v1/drift?modle=primary')).status, 400)
      assert.equal((await call(url, '/v1/drift?model=fallback')).body.models instanceof Array, true)
    },
    load,
  )
  assert.deepEqual(logOf(lines, 'observer_failed'), [])
})

test('shutdown waits for a webhook post that never answers only as long as the webhook timeout, and logs the failure', async () => {
  const { bars, bundle, webhook } = await fixture
  const live = shifted(bars, TRAIN, 'volatility')
  const lines: string[] = []
  webhook.reset()
  webhook.setMode('never')
  const running = await startServer({ bundle }, {}, { logStream: { write: (l: string) => void lines.push(l) } })
  let closed = false
  try {
    await push(running.url, live, TRAIN - LEAD, TRAIN + WINDOW)
    await until(() => webhook.posts.length > 0, 'nothing was posted')
    const started = Date.now()
    await running.close()
    closed = true
    const waited = Date.now() - started
    assert.ok(waited < WEBHOOK_TIMEOUT_MS + 2000, `close took ${waited} ms`)
    const failed = logOf(lines, 'drift_webhook_failed')
    assert.ok(failed.length > 0)
    assert.match(String(failed[0].error), /^drift webhook http:\/\/127\.0\.0\.1:\d+\/hooks\/drift: /)
    assert.ok(!String(failed[0].error).includes('secret'), 'the query reached the log')
    assert.equal(logOf(lines, 'drift_flushed')[0].webhook_failures, failed.length)
  } finally {
    webhook.setMode('answer')
    if (!closed) await running.close()
  }
})

test('mlf serve: SIGTERM with a webhook post under way delivers it before the process exits (--drift-webhook)', async () => {
  const { bars, bundle } = await fixture
  const hook = await webhookListener()
  hook.setMode('hold')
  const live = shifted(bars, TRAIN, 'mean')
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist/src/cli/main.js'), 'serve', '--bundle', bundle, '--port', '0', '--drift-webhook', hook.url],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  let buffered = ''
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      buffered += c.toString()
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      for (const l of parts) {
        lines.push(l)
        const parsed = JSON.parse(l) as Record<string, unknown>
        if (parsed.event === 'listening') resolve(String(parsed.url))
      }
    })
    child.on('exit', () => reject(new Error(`mlf serve exited: ${stderr}`)))
  })
  try {
    const url = await listening
    await push(url, live, TRAIN - LEAD, TRAIN + WINDOW)
    await until(() => hook.events().some((e) => e.level === 'alert'), 'the alert was not posted')
    child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(child.exitCode, null, 'the server exited with a post under way')
    for (const p of hook.posts) p.answer()
    assert.equal(await exited, 0, stderr)
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(events.find((e) => e.event === 'drift_flushed')?.webhook_failures, 0)
    assert.ok(events.some((e) => e.event === 'closed'))
    assert.ok(!events.some((e) => e.event === 'drift_webhook_failed'))
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    hook.close()
  }
})

test('a --drift-webhook that is no http(s) URL is refused before the server starts, naming the flag, no stack trace', async () => {
  const { bundle } = await fixture
  assert.equal(parseServeOptions({ drift_webhook: 'http://127.0.0.1:9/x' }).drift_webhook, 'http://127.0.0.1:9/x')
  assert.equal(parseServeOptions({}).drift_webhook, null)
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist/src/cli/main.js'), 'serve', '--bundle', bundle, '--drift-webhook', 'file:///etc/passwd'],
    { encoding: 'utf8', timeout: 60_000 },
  )
  assert.equal(r.status, 1)
  assert.match(
    r.stderr,
    /serve option drift_webhook: drift webhook: "file:\/\/\/etc\/passwd" is not an http or https URL/,
  )
  assert.ok(!/\n\s+at /.test(r.stderr), r.stderr)
})

after(async () => (await fixture).webhook.close())
