import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { ingestFile } from '../../src/data/ingest.js'
import { SAMPLE } from '../helpers.js'
import {
  answerLine,
  barJson,
  bundleCopy,
  call,
  fileSlice,
  logisticConfig,
  mlfPredict,
  startServer,
  trainBundle,
  type Reply,
} from './fixture.js'

const TOKEN = 'test-token-5f2c'
const BODY_LIMIT = 64 * 1024

const fixture = (async () => {
  const data = await fileSlice(SAMPLE, 2500, 60_000)
  const bundle = await trainBundle(data)
  const { bars } = await ingestFile(data)
  return { data, bundle, bars, expected: mlfPredict(bundle, data) }
})()

/** What must not change when a request is refused: bars seen, answers cached, the last answer, the bundle. */
async function snapshot(url: string): Promise<string> {
  const models = (await call(url, '/v1/models')).body.models as { checksum: string; live: unknown }[]
  const cached = (await call(url, '/v1/predictions?model=chain')).body.predictions as unknown[]
  return JSON.stringify({ live: models.map((m) => [m.checksum, m.live]), n: cached.length, last: cached.at(-1) })
}

function assertClientError(reply: Reply, status: number, what: string, field?: string | RegExp): void {
  assert.equal(reply.status, status, `${what}: ${JSON.stringify(reply.body)}`)
  assert.equal(typeof reply.body.error, 'string', `${what}: no error message`)
  assert.ok((reply.body.error as string).length > 10, `${what}: ${String(reply.body.error)}`)
  assert.doesNotMatch(reply.body.error as string, /\n\s+at |\[bt\]/, `${what}: a stack trace reached the client`)
  if (typeof field === 'string') assert.equal(reply.body.field, field, `${what}: field`)
  else if (field) assert.match(String(reply.body.field), field, `${what}: field`)
  if (status !== 404 || reply.body.bundle_version !== undefined) assert.equal(reply.body.bundle_version, '3.1.0', what)
}

test('bad input against every v1 route: a clear 4xx naming the field, the server keeps serving, its state unchanged', async () => {
  const { bundle, bars, expected } = await fixture
  const running = await startServer({ bundle }, { body_limit_bytes: BODY_LIMIT }, { token: TOKEN })
  const { url } = running
  try {
    const warm = 700
    const auth = { authorization: `Bearer ${TOKEN}` }
    const first = await call(url, '/v1/bars', { bars: Array.from({ length: warm }, (_, i) => barJson(bars, i)) }, auth)
    assert.equal(first.status, 200)
    const last = barJson(bars, warm - 1)
    const next = barJson(bars, warm)
    const before = await snapshot(url)
    const f = expected.columns.length // not the feature count: any wrong length will do below
    const features = ((await call(url, '/v1/models')).body.models as { feature_schema: { names: string[] } }[])[0]
      .feature_schema.names.length
    const row = new Array<number>(features).fill(0.5)
    const corrupt = bundleCopy(bundle)
    appendFileSync(join(corrupt, 'model', 'model.ubj'), 'x')
    const corpus: [string, string, unknown, number, string | RegExp | undefined, Record<string, string>?][] = [
      ['bars: malformed JSON', '/v1/bars', '{"bars": [{"ts": ', 400, 'body'],
      [
        'bars: NaN literal',
        '/v1/bars',
        `{"bars":[{"ts":${next.ts},"open":NaN,"high":1,"low":1,"close":1}]}`,
        400,
        'body',
      ],
      [
        'bars: a string for a number',
        '/v1/bars',
        { bars: [{ ...next, open: String(next.open) }] },
        400,
        'bars[0].open',
      ],
      ['bars: "NaN" as a string', '/v1/bars', { bars: [{ ...next, close: 'NaN' }] }, 400, 'bars[0].close'],
      ['bars: a field missing', '/v1/bars', { bars: [{ ...next, close: undefined }] }, 400, 'bars[0].close'],
      ['bars: an unknown field', '/v1/bars', { bars: [{ ...next, vol: 1 }] }, 400, 'bars[0].vol'],
      ['bars: none', '/v1/bars', { bars: [] }, 400, 'bars'],
      ['bars: no body object', '/v1/bars', [next], 400, 'body'],
      ['bars: ts off the minute', '/v1/bars', { bars: [{ ...next, ts: next.ts + 1000 }] }, 400, 'bars[0].ts'],
      ['bars: ts fractional', '/v1/bars', { bars: [{ ...next, ts: next.ts + 0.5 }] }, 400, 'bars[0].ts'],
      ['bars: ts without offset', '/v1/bars', { bars: [{ ...next, ts: '2023-09-01 10:00' }] }, 400, 'bars[0].ts'],
      ['bars: out of order', '/v1/bars', { bars: [{ ...next, ts: last.ts - 60_000 }] }, 409, 'bars[0].ts'],
      [
        'bars: duplicate, other values',
        '/v1/bars',
        { bars: [{ ...last, close: last.close * 1.01, high: last.high * 1.02 }] },
        409,
        'bars[0].ts',
      ],
      [
        'bars: a good bar then an out-of-order one',
        '/v1/bars',
        { bars: [next, { ...next, ts: next.ts - 120_000 }] },
        409,
        'bars[1].ts',
      ],
      [
        'bars: infinite price (1e400)',
        '/v1/bars',
        `{"bars":[{"ts":${next.ts},"open":1e400,"high":1e400,"low":1,"close":1}]}`,
        400,
        'bars[0].open',
      ],
      ['bars: negative price', '/v1/bars', { bars: [{ ...next, low: -1 }] }, 422, 'bars[0]'],
      ['bars: high below low', '/v1/bars', { bars: [{ ...next, high: next.low * 0.9 }] }, 422, 'bars[0]'],
      ['bars: negative volume', '/v1/bars', { bars: [{ ...next, volume: -5 }] }, 422, 'bars[0].volume'],
      ['bars: body over the limit', '/v1/bars', { bars: Array.from({ length: 2000 }, () => next) }, 413, undefined],
      ['predict: malformed JSON', '/v1/predict', '{"rows": [[1, 2', 400, 'body'],
      ['predict: a row of the wrong length', '/v1/predict', { rows: [row.slice(1)] }, 400, 'rows[0]'],
      ['predict: rows of other lengths', '/v1/predict', { rows: [row, [...row, 1]] }, 400, 'rows[1]'],
      ['predict: a string in a row', '/v1/predict', { rows: [['0.5', ...row.slice(1)]] }, 400, 'rows[0][0]'],
      ['predict: NaN literal', '/v1/predict', `{"rows":[[NaN${',0.5'.repeat(features - 1)}]]}`, 400, 'body'],
      [
        'predict: infinite (1e400)',
        '/v1/predict',
        `{"rows":[[1e400${',0.5'.repeat(features - 1)}]]}`,
        400,
        'rows[0][0]',
      ],
      ['predict: unknown model', '/v1/predict', { model: 'nope', rows: [row] }, 404, 'model'],
      ['predict: rows and bars', '/v1/predict', { rows: [row], bars: [next] }, 400, 'body'],
      ['predict: neither rows nor bars', '/v1/predict', {}, 400, 'body'],
      ['predict: window out of order', '/v1/predict', { bars: [next, last] }, 422, 'bars'],
      ['predict: window with a string', '/v1/predict', { bars: [{ ...next, high: 'x' }] }, 400, 'bars[0].high'],
      ['predict: body over the limit', '/v1/predict', { rows: Array.from({ length: 300 }, () => row) }, 413, undefined],
      ['predictions: unknown model', '/v1/predictions?model=nope', undefined, 404, 'model'],
      ['predictions: since not a time', '/v1/predictions?since=yesterday', undefined, 400, 'since'],
      ['predictions: unknown parameter', '/v1/predictions?sinse=0', undefined, 400, 'sinse'],
      ['bars: no token', '/v1/bars', { bars: [next] }, 401, 'authorization', {}],
      ['bars: wrong token', '/v1/bars', { bars: [next] }, 401, 'authorization', { authorization: 'Bearer x' }],
      ['reload: no token', '/v1/admin/reload', {}, 401, 'authorization', {}],
      ['reload: wrong token', '/v1/admin/reload', {}, 401, 'authorization', { authorization: 'Bearer nope' }],
      ['reload: a number for the bundle', '/v1/admin/reload', { bundle: 7 }, 400, 'bundle', auth],
      ['reload: no such folder', '/v1/admin/reload', { bundle: join(corrupt, 'nothing') }, 422, undefined, auth],
      ['reload: corrupt bundle', '/v1/admin/reload', { bundle: corrupt }, 422, undefined, auth],
      ['health: POST', '/v1/health', {}, 404, undefined],
      ['models: POST', '/v1/models', {}, 404, undefined],
      ['ready: POST', '/v1/ready', {}, 404, undefined],
      ['metrics: POST', '/metrics', {}, 404, undefined],
      ['no such route', '/v1/nothing', undefined, 404, undefined],
    ]
    void f
    for (const [what, path, body, status, field, headers] of corpus) {
      const reply = await call(url, path, body, headers ?? auth)
      assertClientError(reply, status, what, field)
      assert.equal((await call(url, '/v1/health')).status, 200, `${what}: the server stopped serving`)
      assert.equal(await snapshot(url), before, `${what}: the server's state changed`)
    }
    const refused = await call(url, '/v1/admin/reload', { bundle: corrupt }, auth)
    assert.match(refused.body.error as string, /reload refused, still serving bundle .*model\.ubj/)
    // An exact duplicate is dropped under the default policy (validation.duplicate_exact: drop), as ingest drops it.
    const dup = await call(url, '/v1/bars', { bars: [last] }, auth)
    assert.equal(dup.status, 200)
    assert.equal((dup.body.answers as { status: string }[])[0].status, 'dropped')
    assert.equal(await snapshot(url), before, 'an exact duplicate changed the state')
    // A wrong content type, and the next good bar, answered as mlf predict answers it.
    const text = await fetch(`${url}/v1/bars`, {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain', ...auth },
    })
    assert.equal(text.status, 415)
    const good = await call(url, '/v1/bars', { bars: [next] }, auth)
    const a = (good.body.answers as { ts: string; outputs: Record<string, number> }[])[0]
    assert.equal(answerLine(a.ts, a.outputs, expected.columns), expected.byTs.get(a.ts))
  } finally {
    await running.close()
  }
})

test('reload swaps bundles atomically: the new one answers as mlf predict does over the same bars; SIGHUP-style re-read', async () => {
  const { data, bundle, bars, expected } = await fixture
  const linear = await trainBundle(data, logisticConfig())
  const expectedLinear = mlfPredict(linear, data)
  const running = await startServer({ bundle }, {}, { token: TOKEN })
  const { url } = running
  const auth = { authorization: `Bearer ${TOKEN}` }
  try {
    const lineOf = (r: Reply, cols: readonly string[]) => {
      const answers = r.body.answers as { ts: string; status: string; outputs: Record<string, number> }[]
      return answers.filter((x) => x.status === 'scored').map((x) => answerLine(x.ts, x.outputs, cols))
    }
    const half = 1200
    const before = await call(url, '/v1/bars', { bars: Array.from({ length: half }, (_, i) => barJson(bars, i)) }, auth)
    for (const line of lineOf(before, expected.columns)) assert.equal(line, expected.byTs.get(line.split(',')[0]))
    const swapped = await call(url, '/v1/admin/reload', { bundle: linear }, auth)
    assert.equal(swapped.status, 200, JSON.stringify(swapped.body))
    const models = (await call(url, '/v1/models')).body.models as { checksum: string; live: { bars: number } }[]
    assert.equal(models[0].live.bars, half, 'the new engines replayed every bar received')
    const after = await call(
      url,
      '/v1/bars',
      { bars: Array.from({ length: bars.length - half }, (_, i) => barJson(bars, half + i)) },
      auth,
    )
    const lines = lineOf(after, expectedLinear.columns)
    assert.equal(lines.length, bars.length - half)
    for (const line of lines) assert.equal(line, expectedLinear.byTs.get(line.split(',')[0]))
    // Reload with no body re-reads the current folders (what SIGHUP does).
    const again = await call(url, '/v1/admin/reload', {}, auth)
    assert.equal(again.status, 200)
    assert.equal((again.body.models as { dir: string }[])[0].dir, linear)
    const metrics = (await call(url, '/metrics')).body.text as string
    assert.match(metrics, /mlf_reloads_total\{outcome="swapped"\} 2\b/)
  } finally {
    await running.close()
  }
})
