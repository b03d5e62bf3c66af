import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ingestFile } from '../../src/data/ingest.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { bundleFeatures, sampleRows } from '../../src/pipeline/scoring.js'
import { SAMPLE } from '../helpers.js'
import { answerLine, call, fileSlice, mlfPredict, startServer, trainBundle } from './fixture.js'

const fixture = (async () => {
  const data = await fileSlice(SAMPLE, 2000, 80_000)
  const bundle = await trainBundle(data)
  return { data, bundle, expected: mlfPredict(bundle, data) }
})()

test('Open Inference Protocol: health, metadata, and infer on feature rows answering as mlf predict', async () => {
  const { data, bundle, expected } = await fixture
  const loaded = await loadBundle(bundle)
  const { bars } = await ingestFile(data, loaded.config.data)
  const frame = bundleFeatures(loaded, bars)
  const rows = sampleRows(loaded, frame, bars).slice(-7)
  const f = frame.names.length
  const flat = [...rows].flatMap((r) => frame.columns.map((c) => c[r]))
  const running = await startServer({ bundle })
  const { url } = running
  try {
    assert.deepEqual((await call(url, '/v2/health/live')).body, { live: true })
    assert.deepEqual((await call(url, '/v2/health/ready')).body, { ready: true })
    const meta = await call(url, '/v2/models/primary')
    assert.equal(meta.status, 200)
    assert.deepEqual(meta.body.inputs, [{ name: 'features', datatype: 'FP64', shape: [-1, f] }])
    assert.deepEqual(
      (meta.body.outputs as { name: string }[]).map((o) => o.name),
      loaded.manifest.signature.outputs,
    )
    const reply = await call(url, '/v2/models/primary/infer', {
      id: 'req-1',
      inputs: [{ name: 'features', shape: [rows.length, f], datatype: 'FP64', data: flat }],
    })
    assert.equal(reply.status, 200, JSON.stringify(reply.body))
    assert.equal(reply.body.id, 'req-1')
    assert.equal((reply.body.parameters as { source: string }).source, 'primary')
    const outputs = reply.body.outputs as { name: string; shape: number[]; data: number[] }[]
    const byName = new Map(outputs.map((o) => [o.name, o.data]))
    for (const [k, r] of [...rows].entries()) {
      const ts = new Date(bars.ts[r]).toISOString()
      const row = Object.fromEntries(expected.columns.map((c) => [c, byName.get(c)![k]]))
      assert.equal(answerLine(ts, row, expected.columns), expected.byTs.get(ts))
    }
  } finally {
    await running.close()
  }
})

test('Open Inference Protocol: bad input is a clear 4xx naming the field, and the server keeps serving', async () => {
  const { bundle } = await fixture
  const running = await startServer({ bundle }, { body_limit_bytes: 16 * 1024 })
  const { url } = running
  try {
    const f = ((await call(url, '/v2/models/primary')).body.inputs as { shape: number[] }[])[0].shape[1]
    const input = (over: Record<string, unknown>) => ({
      inputs: [{ name: 'features', shape: [1, f], datatype: 'FP64', data: new Array<number>(f).fill(0.5), ...over }],
    })
    const corpus: [string, string, unknown, number, string | undefined][] = [
      ['unknown model (metadata)', '/v2/models/nope', undefined, 404, 'name'],
      ['unknown model (infer)', '/v2/models/nope/infer', input({}), 404, 'name'],
      ['malformed JSON', '/v2/models/primary/infer', '{"inputs": [', 400, 'body'],
      ['data shorter than the shape', '/v2/models/primary/infer', input({ data: [0.5] }), 400, 'inputs[0].data'],
      ['a shape of other features', '/v2/models/primary/infer', input({ shape: [2, 1], data: [1, 2] }), 400, undefined],
      ['a string in data', '/v2/models/primary/infer', input({ data: ['0.5'] }), 400, 'inputs[0].data[0]'],
      [
        'NaN literal',
        '/v2/models/primary/infer',
        '{"inputs":[{"name":"features","shape":[1,1],"datatype":"FP64","data":[NaN]}]}',
        400,
        'body',
      ],
      ['another input name', '/v2/models/primary/infer', input({ name: 'x' }), 400, 'inputs[0].name'],
      ['an unknown datatype', '/v2/models/primary/infer', input({ datatype: 'BYTES' }), 400, 'inputs[0].datatype'],
      ['no inputs', '/v2/models/primary/infer', { inputs: [] }, 400, 'inputs'],
      [
        'body over the limit',
        '/v2/models/primary/infer',
        input({ data: new Array<number>(5000).fill(0.5) }),
        413,
        undefined,
      ],
    ]
    for (const [what, path, body, status, field] of corpus) {
      const reply = await call(url, path, body)
      assert.equal(reply.status, status, `${what}: ${JSON.stringify(reply.body)}`)
      assert.equal(typeof reply.body.error, 'string', what)
      if (field) assert.equal(reply.body.field, field, what)
      assert.equal((await call(url, '/v2/health/live')).status, 200, what)
    }
    const ok = await call(url, '/v2/models/primary/infer', input({}))
    assert.equal(ok.status, 200)
  } finally {
    await running.close()
  }
})
