import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ingestFile } from '../../src/data/ingest.js'
import { repoRoot, SAMPLE } from '../helpers.js'
import { barJson, call, fileSlice, trainBundle } from '../serve/fixture.js'

const CLI = join(repoRoot, 'dist/src/cli/main.js')

const fixture = (async () => {
  const data = await fileSlice(SAMPLE, 2500, 100_000)
  const { bars } = await ingestFile(data)
  return { data, bars, bundle: await trainBundle(data) }
})()

/** `mlf serve` as a child process on an ephemeral loopback port; its JSON log lines as they come. */
async function serveProcess(bundle: string) {
  const child = spawn(process.execPath, [CLI, 'serve', '--bundle', bundle, '--port', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Record<string, unknown>[] = []
  const waiters: { test: (l: Record<string, unknown>) => boolean; resolve: () => void }[] = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    const entry = JSON.parse(line) as Record<string, unknown>
    logs.push(entry)
    for (const w of waiters.splice(0)) (w.test(entry) ? w.resolve : () => waiters.push(w))()
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const until = (test: (l: Record<string, unknown>) => boolean): Promise<void> =>
    logs.some(test) ? Promise.resolve() : new Promise((resolve) => waiters.push({ test, resolve }))
  await until((l) => l.event === 'listening')
  const url = logs.find((l) => l.event === 'listening')!.url as string
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  return { child, logs, until, url, stderr: () => stderr }
}

test('mlf serve: SIGTERM with requests in flight finishes every one (finite, labelled answers), then exits 0', async () => {
  const { bars, bundle } = await fixture
  const server = await serveProcess(bundle)
  const { url } = server
  const warm = await call(url, '/v1/bars', { bars: Array.from({ length: 800 }, (_, i) => barJson(bars, i)) })
  assert.equal(warm.status, 200)
  const started = server.logs.filter((l) => l.msg === 'incoming request').length
  // Windows of bars (features computed per request) and the rest of the stream: work that takes a while.
  const window = Array.from({ length: 1500 }, (_, i) => barJson(bars, 900 + i))
  const inFlight = [
    ...Array.from({ length: 6 }, () => call(url, '/v1/predict', { bars: window })),
    call(url, '/v1/bars', { bars: Array.from({ length: bars.length - 800 }, (_, i) => barJson(bars, 800 + i)) }),
  ]
  await server.until(() => server.logs.filter((l) => l.msg === 'incoming request').length >= started + inFlight.length)
  server.child.kill('SIGTERM')
  const replies = await Promise.all(inFlight)
  const [code] = (await once(server.child, 'exit')) as [number | null]
  assert.equal(code, 0, server.stderr())
  for (const r of replies.slice(0, -1)) {
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.source, 'primary')
    assert.ok((r.body.outputs as Record<string, number>[]).every((o) => Object.values(o).every(Number.isFinite)))
  }
  const pushed = replies.at(-1)!
  assert.equal(pushed.status, 200)
  const answers = pushed.body.answers as { status: string; source: string; outputs: Record<string, number> }[]
  assert.equal(answers.length, bars.length - 800, 'every bar answered')
  for (const a of answers) {
    assert.equal(a.status, 'scored')
    assert.equal(a.source, 'primary')
    assert.ok(Object.values(a.outputs).every(Number.isFinite))
  }
  assert.ok(server.logs.some((l) => l.event === 'shutdown' && l.signal === 'SIGTERM'))
  assert.ok(server.logs.some((l) => l.event === 'closed'))
  await assert.rejects(fetch(`${url}/v1/health`), 'the server still accepts connections after closing')
})

test('mlf serve: SIGHUP re-reads the bundle and swaps it; bad flags and bundles are refused with a message', async () => {
  const { bundle } = await fixture
  const server = await serveProcess(bundle)
  try {
    server.child.kill('SIGHUP')
    await server.until((l) => l.event === 'reload')
    assert.equal((await call(server.url, '/v1/health')).status, 200)
  } finally {
    server.child.kill('SIGTERM')
    await once(server.child, 'exit')
  }
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'serve', ...args], { encoding: 'utf8' })
  const badPort = run('--bundle', bundle, '--port', 'http')
  assert.equal(badPort.status, 1)
  assert.match(badPort.stderr, /--port must be a whole number, got "http"/)
  const badTimeout = run('--bundle', bundle, '--timeout-ms', '-3')
  assert.equal(badTimeout.status, 1)
  assert.match(badTimeout.stderr, /serve option timeout_ms/)
  const missing = run('--bundle', join(bundle, 'nothing'))
  assert.equal(missing.status, 1)
  assert.match(missing.stderr, /^mlf: .*nothing/)
  assert.doesNotMatch(missing.stderr, /\n\s+at /)
})
