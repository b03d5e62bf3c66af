import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ingestFile } from '../../src/data/ingest.js'
import type { Model, Outputs } from '../../src/models/contract.js'
import type { LoadedBundle } from '../../src/pipeline/bundle.js'
import { loadServable } from '../../src/serve/served-model.js'
import { bundleFeatures } from '../../src/pipeline/scoring.js'
import { answerThroughChain, NEUTRAL, type ChainStep } from '../../src/serve/chain.js'
import { SAMPLE } from '../helpers.js'
import { answerLine, barJson, bundleCopy, call, fileSlice, mlfPredict, startServer, trainBundle } from './fixture.js'

type Fault = 'error' | 'non_finite' | 'timeout'

const SLOW_MS = 300
const TIMEOUT_MS = 100

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** The model with a planted fault: it throws, answers NaN, or answers after SLOW_MS. */
function faulty(model: Model, fault: Fault): Model {
  return {
    ...model,
    predict(x): Outputs {
      if (fault === 'error') throw new Error('planted failure of the primary model')
      if (fault === 'timeout') sleep(SLOW_MS)
      const out = model.predict(x)
      return fault === 'non_finite' ? { ...out, p: out.p!.map(() => Number.NaN) } : out
    },
  }
}

/** A loader that plants `fault` in the bundles read from `dirs`. */
const loaderWith =
  (fault: Fault, dirs: readonly string[]) =>
  async (dir: string): Promise<LoadedBundle> => {
    const b = await loadServable(dir)
    return dirs.includes(dir) ? { ...b, model: faulty(b.model, fault) } : b
  }

const fixture = (async () => {
  const data = await fileSlice(SAMPLE, 3000, 40_000)
  const bundle = await trainBundle(data)
  const { bars } = await ingestFile(data)
  return { data, bundle, bars, expected: mlfPredict(bundle, data) }
})()

interface Answer {
  ts: string
  status: string
  source?: string
  neutral?: boolean
  outputs?: Record<string, number>
  fallbacks?: { link: string; kind: string; reason: string }[]
}

/** Push all bars in requests of 500 and return the answers that are not warm-up. */
async function pushAll(url: string, n: number, bars: Awaited<typeof fixture>['bars']): Promise<Answer[]> {
  const out: Answer[] = []
  for (let start = 0; start < n; start += 500) {
    const chunk = Array.from({ length: Math.min(500, n - start) }, (_, k) => barJson(bars, start + k))
    const reply = await call(url, '/v1/bars', { bars: chunk })
    assert.equal(reply.status, 200, JSON.stringify(reply.body))
    out.push(...(reply.body.answers as Answer[]).filter((a) => a.status !== 'warming_up'))
  }
  return out
}

const allFinite = (o: Record<string, number>): boolean => Object.values(o).every(Number.isFinite)

for (const fault of ['error', 'non_finite', 'timeout'] as const) {
  test(`primary fault "${fault}": the fallback bundle answers, labelled, finite, the same as mlf predict`, async () => {
    const { bundle, bars, expected } = await fixture
    const fallback = bundleCopy(bundle)
    const lines: string[] = []
    const running = await startServer(
      { bundle, fallback },
      { timeout_ms: TIMEOUT_MS },
      { load: loaderWith(fault, [bundle]), logStream: { write: (l: string) => void lines.push(l) } },
    )
    try {
      // The slow primary costs SLOW_MS a bar: a shorter stream keeps the test short.
      const n = fault === 'timeout' ? 560 : bars.length
      const answers = await pushAll(running.url, n, bars)
      assert.ok(answers.length > 0)
      for (const a of answers) {
        assert.equal(a.status, 'scored')
        assert.equal(a.source, 'fallback', JSON.stringify(a))
        assert.equal(a.neutral, false)
        assert.equal(a.fallbacks?.[0].link, 'primary')
        assert.equal(a.fallbacks?.[0].kind, fault)
        assert.ok(allFinite(a.outputs!))
        assert.equal(answerLine(a.ts, a.outputs!, expected.columns), expected.byTs.get(a.ts))
      }
      const metrics = (await call(running.url, '/metrics')).body.text as string
      assert.match(metrics, new RegExp(`mlf_fallbacks_total\\{link="primary",kind="${fault}"\\} ${answers.length}\\b`))
      assert.match(metrics, new RegExp(`mlf_answers_total\\{source="fallback"\\} ${answers.length}\\b`))
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'fallback')
      assert.equal(logged.length, answers.length)
      assert.equal(logged[0].kind, fault)
    } finally {
      await running.close()
    }
  })
}

test('primary and fallback both failing, or no fallback: the neutral answer, flagged, finite, never NaN', async () => {
  const { bundle, bars } = await fixture
  const fallback = bundleCopy(bundle)
  for (const sources of [{ bundle, fallback }, { bundle }]) {
    const running = await startServer(sources, {}, { load: loaderWith('non_finite', [bundle, fallback]) })
    try {
      const answers = await pushAll(running.url, 700, bars)
      assert.ok(answers.length > 100)
      for (const a of answers) {
        assert.equal(a.source, 'neutral')
        assert.equal(a.neutral, true)
        assert.deepEqual(
          a.fallbacks!.map((f) => `${f.link}:${f.kind}`),
          sources.fallback ? ['primary:non_finite', 'fallback:non_finite'] : ['primary:non_finite'],
        )
        assert.deepEqual(a.outputs, { p_down: 1 / 3, p_flat: 1 / 3, p_up: 1 / 3, signal: 0 })
      }
      // Feature rows through /v1/predict take the same chain.
      const f = ((await call(running.url, '/v1/models')).body.models as { feature_schema: { names: string[] } }[])[0]
        .feature_schema.names.length
      const reply = await call(running.url, '/v1/predict', { rows: [new Array<number>(f).fill(0.5)] })
      assert.equal(reply.status, 200)
      assert.equal(reply.body.source, 'neutral')
      assert.ok((reply.body.outputs as Record<string, number>[]).every(allFinite))
    } finally {
      await running.close()
    }
  }
})

test('the chain builds a link only when its turn comes; a link that cannot be built hands over, labelled', async () => {
  const { bundle, bars } = await fixture
  const loaded = await loadServable(bundle)
  const frame = bundleFeatures(loaded, bars)
  let built = 0
  const later = {
    name: 'fallback',
    step: (): ChainStep => {
      built++
      return { name: 'fallback', unavailable: 'never asked' }
    },
  }
  const primary = {
    name: 'primary',
    step: (): ChainStep => ({ name: 'primary', bundle: loaded, frame, rows: Int32Array.of(bars.length - 1) }),
  }
  const ok = answerThroughChain([primary, later], 1, 10_000, loaded.manifest.signature.outputs)
  assert.equal(ok.source, 'primary')
  assert.equal(built, 0, "the fallback's features were computed although the primary answered")
  const broken = {
    name: 'primary',
    step: (): ChainStep => {
      throw new Error('window of another schema')
    },
  }
  const neutral = answerThroughChain([broken, later], 1, 10_000, loaded.manifest.signature.outputs)
  assert.equal(built, 1)
  assert.equal(neutral.source, NEUTRAL)
  assert.deepEqual(
    neutral.fallbacks.map((f) => [f.link, f.kind, f.reason]),
    [
      ['primary', 'error', 'window of another schema'],
      ['fallback', 'not_ready', 'never asked'],
    ],
  )
})
