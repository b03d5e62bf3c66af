import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { ingestFile } from '../../src/data/ingest.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { SAMPLE, SHARED_MISSING, SPX } from '../helpers.js'
import {
  answerLine,
  barJson,
  call,
  fileSlice,
  gaussianNbConfig,
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

test('live parity on the sample: logistic and naive Bayes (the fast single-row predictors) bit for bit', async () => {
  const data = await sample
  for (const config of [logisticConfig(), gaussianNbConfig()]) {
    const n = await assertLiveParity(await trainBundle(data, config), data)
    assert.ok(n > 5000, `${config.base_models[0].name}: ${n} rows scored`)
  }
})

test('live parity on the shared SPX file (gaps, session breaks, no volume)', async (t) => {
  if (!existsSync(SPX)) return t.skip(SHARED_MISSING)
  const data = await fileSlice(SPX, 6000, 200_000)
  const n = await assertLiveParity(await trainBundle(data), data)
  assert.ok(n > 4000, `${n} rows scored`)
})
