import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { ingestFile } from '../../src/data/ingest.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { bundleFeatures } from '../../src/pipeline/scoring.js'
import type { ScoredRow } from '../../src/serve/server.js'
import { SAMPLE, SHARED_MISSING, SPX } from '../helpers.js'
import {
  answerLine,
  barJson,
  call,
  fileSlice,
  gaussianNbConfig,
  headsConfig,
  logisticConfig,
  mlfPredict,
  startServer,
  trainBundle,
} from './fixture.js'

interface BarReply {
  ts: string
  status: string
  message?: string
  source?: string
  neutral?: boolean
  outputs?: Record<string, number>
}

/**
 * Push every bar of `data` one request at a time through /v1/bars and check each answer against `mlf predict` on
 * the same file: the same rows scored, every value the same bit for bit (compared as the CSV's text), and every row
 * before the first prediction answered "warming up (n of m bars)" with no number.
 */
async function assertLiveParity(bundle: string, data: string): Promise<number> {
  const expected = mlfPredict(bundle, data)
  const { bars } = await ingestFile(data, (await loadBundle(bundle)).config.data)
  // A generous timeout: a busy test machine must not turn a slow answer into a fallback here.
  const running = await startServer({ bundle }, { timeout_ms: 30_000 })
  try {
    let scored = 0
    const warmup = (await loadBundle(bundle)).manifest.signature.inputs.warmup_bars
    for (let i = 0; i < bars.length; i++) {
      const reply = await call(running.url, '/v1/bars', { bars: [barJson(bars, i)] })
      assert.equal(reply.status, 200, JSON.stringify(reply.body))
      const [answer] = reply.body.answers as BarReply[]
      const ts = new Date(bars.ts[i]).toISOString()
      assert.equal(answer.ts, ts)
      const line = expected.byTs.get(ts)
      if (line === undefined) {
        assert.equal(
          answer.status,
          'warming_up',
          `bar ${i} (${ts}): mlf predict has no row, the server said ${answer.status}`,
        )
        assert.equal(answer.message, `warming up (${i + 1} of ${warmup} bars)`)
        assert.equal(answer.outputs, undefined)
        continue
      }
      assert.equal(answer.status, 'scored', `bar ${i} (${ts}): ${answer.message}`)
      assert.equal(answer.source, 'primary', JSON.stringify(answer))
      assert.equal(answer.neutral, false)
      assert.equal(answerLine(ts, answer.outputs!, expected.columns), line, `bar ${i} (${ts})`)
      scored++
    }
    assert.equal(scored, expected.byTs.size, 'every row mlf predict scores is scored live')
    // The cache holds each answer once, readable by time.
    const since = new Date(bars.ts[bars.length - 5]).toISOString()
    const cached = await call(running.url, `/v1/predictions?model=primary&since=${since}`)
    assert.equal(cached.status, 200)
    const last5 = cached.body.predictions as { ts: string; outputs: Record<string, number> }[]
    assert.deepEqual(
      last5.map((p) => answerLine(p.ts, p.outputs, expected.columns)),
      [...expected.byTs.values()].slice(-5),
    )
    return scored
  } finally {
    await running.close()
  }
}

const sample = fileSlice(SAMPLE, 6000, 20_000)

test('live parity on the sample: XGBoost through /v1/bars one bar at a time gives mlf predict bit for bit', async () => {
  const data = await sample
  const n = await assertLiveParity(await trainBundle(data), data)
  assert.ok(n > 5000, `${n} rows scored`)
})

test('live parity on the sample: logistic and naive Bayes (the fast single-row predictors), and a chain with every output column (sets, E_r and its interval, p_up), bit for bit', async () => {
  const data = await sample
  for (const config of [logisticConfig(), gaussianNbConfig(), headsConfig()]) {
    const bundle = await trainBundle(data, config)
    const n = await assertLiveParity(bundle, data)
    assert.ok(n > 5000, `${config.base_models.map((m) => m.name).join('+')}: ${n} rows scored`)
    if (config.base_models.length === 3) {
      const { columns } = mlfPredict(bundle, data)
      for (const c of ['set_down', 'set_flat', 'set_up', 'p_up_binary', 'E_r', 'q_lo', 'q_hi'])
        assert.ok(columns.includes(c), `the chain makes ${c}`)
    }
  }
})

test('live parity on the shared SPX file (gaps, session breaks, no volume)', async (t) => {
  if (!existsSync(SPX)) return t.skip(SHARED_MISSING)
  const data = await fileSlice(SPX, 6000, 200_000)
  const n = await assertLiveParity(await trainBundle(data), data)
  assert.ok(n > 4000, `${n} rows scored`)
})

test('/v1/predict on feature rows and on a window of bars answers as mlf predict; observers see each scored row', async () => {
  const data = await sample
  const bundle = await trainBundle(data)
  const expected = mlfPredict(bundle, data)
  const loaded = await loadBundle(bundle)
  const { bars } = await ingestFile(data, loaded.config.data)
  const seen: ScoredRow[] = []
  const running = await startServer(
    { bundle },
    { timeout_ms: 30_000, max_bars_per_request: 10_000, body_limit_bytes: 8 * 1024 * 1024 },
    {
      observers: [
        (row) => void seen.push(row),
        () => {
          throw new Error('an observer that fails changes no answer')
        },
      ],
    },
  )
  try {
    // The whole file as a window: the prediction at its last bar's close.
    const all = Array.from({ length: bars.length }, (_, i) => barJson(bars, i))
    const window = await call(running.url, '/v1/predict', { bars: all })
    assert.equal(window.status, 200, JSON.stringify(window.body))
    const lastTs = new Date(bars.ts[bars.length - 1]).toISOString()
    assert.equal(window.body.ts, lastTs)
    const [out] = window.body.outputs as Record<string, number>[]
    assert.equal(answerLine(lastTs, out, expected.columns), expected.byTs.get(lastTs))
    // Too short a window is warming up, with no number.
    const short = await call(running.url, '/v1/predict', { bars: all.slice(0, 100) })
    assert.equal(short.status, 200)
    assert.equal(short.body.status, 'warming_up')
    assert.equal(short.body.outputs, undefined)
    // Feature rows: the frame's rows of the last bars, as mlf predict computes them.
    const frame = bundleFeatures(loaded, bars)
    const rows = [bars.length - 3, bars.length - 2, bars.length - 1]
    // A missing value (NaN in the frame) is sent as null.
    const asJson = (v: number) => (Number.isNaN(v) ? null : v)
    const reply = await call(running.url, '/v1/predict', {
      rows: rows.map((r) => frame.columns.map((c) => asJson(c[r]))),
    })
    assert.equal(reply.status, 200, JSON.stringify(reply.body))
    const outputs = reply.body.outputs as Record<string, number>[]
    for (const [k, r] of rows.entries()) {
      const ts = new Date(bars.ts[r]).toISOString()
      assert.equal(answerLine(ts, outputs[k], expected.columns), expected.byTs.get(ts))
    }
    // Live bars: observers get each scored row's features and outputs.
    await call(running.url, '/v1/bars', { bars: all.slice(0, 600) })
    const live = seen.filter((s) => s.route === 'bars')
    assert.ok(live.length > 50)
    const last = live.at(-1)!
    assert.equal(last.source, 'primary')
    assert.deepEqual(last.names, frame.names)
    const r = 599
    assert.deepEqual(
      [...last.features!],
      frame.columns.map((c) => c[r]),
    )
    const cached = (await call(running.url, '/v1/predictions')).body.predictions as { outputs: unknown }[]
    assert.deepEqual(last.outputs, cached.at(-1)!.outputs)
    assert.equal(seen.filter((s) => s.route === 'predict').length, 3)
  } finally {
    await running.close()
  }
})
