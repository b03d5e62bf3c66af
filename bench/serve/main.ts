/**
 * bench/serve: HTTP serving on loopback, a bounded number of requests at a fixed concurrency, the same load generator
 * (this process, Node's fetch) against both sides:
 *  - ours: `mlf serve` (a child process) on a linear (logistic), an XGBoost and a stacked (XGBoost + logistic, ridge
 *    meta-learner) bundle trained on the sample; single-row POST /v1/predict latency p50/p99 and throughput, and the
 *    per-bar latency of POST /v1/bars (one bar per request, after the warm-up);
 *  - peer: FastAPI on uvicorn (python3-fastapi, python3-uvicorn) serving the XGBoost bundle's model file through
 *    python3-xgboost's inplace_predict (class probabilities only: no calibration, policy or fallback checks).
 * BENCH ratio = our XGBoost p99 / the peer's p99 (goal <= 0.5); ours_s and peer_s are those p99s in seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { resolveConfig } from '../../src/config/load.js'
import { barAt } from '../../src/data/bars.js'
import { ingestFile } from '../../src/data/ingest.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { bundleFeatures } from '../../src/pipeline/scoring.js'
import { benchLine, median, repoRoot, SYSTEM_PYTHON, tempDir } from '../lib.js'

const REQUESTS = Number(process.env.BENCH_SERVE_REQUESTS ?? 3000)
const CONCURRENCY = Number(process.env.BENCH_SERVE_CONCURRENCY ?? 4)
const BARS = Number(process.env.BENCH_SERVE_BARS ?? 1000)
const WARMUP_REQUESTS = 300
const SAMPLE = join(repoRoot, 'data/sample/filusdt_1m_2023-08_2023-11_binance.csv.gz')
const CLI = join(repoRoot, 'dist/src/cli/main.js')

/** The default feature set (~240 features) under every bundle, so one feature row serves all three. */
const config = (models: Record<string, unknown>) => resolveConfig({ seed: 11, threads: 1, ...models })

const XGB = { name: 'xgboost', config: { n_estimators: 100, max_depth: 5, learning_rate: 0.1 } }
const LOGISTIC = { name: 'logistic', config: { C: 0.5, max_iter: 200 } }
const BUNDLES = {
  linear: config({ base_models: [LOGISTIC] }),
  xgboost: config({ base_models: [XGB] }),
  stacked: config({
    base_models: [XGB, LOGISTIC],
    ensemble: { method: 'stacking', meta_learner: 'ridge', oof: { n_folds: 3, purge_bars: 30 }, guard: 'report' },
  }),
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  server.close()
  await once(server, 'close')
  return port
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before answering ${url}`)
    try {
      if ((await fetch(`${url}/v1/health`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not come up in 60 s`)
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

interface Load {
  readonly p50: number
  readonly p99: number
  readonly rps: number
}

/** `n` POSTs of bodies (cycled) at `concurrency`, each checked 200; latencies in seconds. */
async function load(url: string, bodies: readonly string[], n: number, concurrency: number): Promise<Load> {
  const latencies = new Float64Array(n)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++
      const t0 = process.hrtime.bigint()
      const res = await fetch(url, {
        method: 'POST',
        body: bodies[i % bodies.length],
        headers: { 'content-type': 'application/json' },
      })
      const text = await res.text()
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e9
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 200)}`)
    }
  }
  const t0 = process.hrtime.bigint()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const sorted = [...latencies].sort((a, b) => a - b)
  return { p50: median(sorted), p99: sorted[Math.min(n - 1, Math.floor(n * 0.99))], rps: n / wall }
}

async function serveOurs(bundle: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--bundle', bundle, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const url = `http://127.0.0.1:${port}`
  await waitHealthy(url, child)
  return { url, child }
}

const ms = (s: number): string => (s * 1000).toFixed(3)

export default async function run(): Promise<void> {
  const out = tempDir()
  const dirs: Record<string, string> = {}
  for (const [name, cfg] of Object.entries(BUNDLES)) {
    process.stderr.write(`[bench serve] training the ${name} bundle on the sample\n`)
    dirs[name] = (await runPipeline({ config: cfg, dataFile: SAMPLE, outDir: join(out, name) })).bundleDir
  }
  const bundle = await loadBundle(dirs.xgboost)
  const { bars } = await ingestFile(SAMPLE, bundle.config.data)
  const frame = bundleFeatures(bundle, bars)
  // 256 usable rows from the end of the sample, each a single-row request.
  const rows: number[] = []
  for (let r = frame.length - 1; r >= 0 && rows.length < 256; r--) {
    if (frame.usable[r] && frame.columns.every((c) => Number.isFinite(c[r]))) rows.push(r)
  }
  const bodies = rows.map((r) => JSON.stringify({ rows: [frame.columns.map((c) => c[r])] }))

  const ours: Record<string, Load> = {}
  for (const name of Object.keys(BUNDLES)) {
    const server = await serveOurs(dirs[name])
    try {
      await load(`${server.url}/v1/predict`, bodies, WARMUP_REQUESTS, CONCURRENCY)
      ours[name] = await load(`${server.url}/v1/predict`, bodies, REQUESTS, CONCURRENCY)
    } finally {
      await stop(server.child)
    }
  }

  // Live bars: the warm-up, then one bar per request, sequentially.
  const server = await serveOurs(dirs.xgboost)
  let barsLoad: Load
  try {
    const warm = bundle.manifest.signature.inputs.warmup_bars + 100
    const start = bars.length - warm - BARS
    const barBody = (i: number) => JSON.stringify({ bars: [barAt(bars, start + i)] })
    // The warm-up in requests of 2,000 bars (within the default body limit).
    for (let from = 0; from < warm; from += 2000) {
      const chunk = Array.from({ length: Math.min(2000, warm - from) }, (_, i) => barAt(bars, start + from + i))
      const res = await fetch(`${server.url}/v1/bars`, {
        method: 'POST',
        body: JSON.stringify({ bars: chunk }),
        headers: { 'content-type': 'application/json' },
      })
      if (res.status !== 200) throw new Error(`warm-up push: ${res.status} ${await res.text()}`)
    }
    barsLoad = await load(
      `${server.url}/v1/bars`,
      Array.from({ length: BARS }, (_, i) => barBody(warm + i)),
      BARS,
      1,
    )
  } finally {
    await stop(server.child)
  }

  const port = await freePort()
  const model = join(dirs.xgboost, 'model', 'model.ubj')
  const peer = spawn(SYSTEM_PYTHON, [join(repoRoot, 'bench/serve/peer.py'), model, String(port), '1'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  let peerLoad: Load
  try {
    const url = `http://127.0.0.1:${port}`
    await waitHealthy(url, peer)
    await load(`${url}/v1/predict`, bodies, WARMUP_REQUESTS, CONCURRENCY)
    peerLoad = await load(`${url}/v1/predict`, bodies, REQUESTS, CONCURRENCY)
  } finally {
    await stop(peer)
  }

  process.stdout.write(`serve: ${REQUESTS} single-row requests at concurrency ${CONCURRENCY} (loopback)\n`)
  for (const [name, l] of [...Object.entries(ours), ['peer_fastapi_xgboost', peerLoad] as const])
    process.stdout.write(`  ${name.padEnd(22)} p50 ${ms(l.p50)} ms  p99 ${ms(l.p99)} ms  ${l.rps.toFixed(0)} req/s\n`)
  process.stdout.write(`  bars (one per request)  p50 ${ms(barsLoad.p50)} ms  p99 ${ms(barsLoad.p99)} ms\n`)
  const x = ours.xgboost
  process.stdout.write(
    `${benchLine('serve', x.p99, peerLoad.p99, {
      throughput_ratio: x.rps / peerLoad.rps,
      ours_rps: x.rps,
      peer_rps: peerLoad.rps,
      ours_p50_ms: x.p50 * 1000,
      peer_p50_ms: peerLoad.p50 * 1000,
      linear_p99_ms: ours.linear.p99 * 1000,
      stacked_p99_ms: ours.stacked.p99 * 1000,
      bars_p50_ms: barsLoad.p50 * 1000,
      bars_p99_ms: barsLoad.p99 * 1000,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
    })}\n`,
  )
}
