/**
 * Version 1 routes: health, readiness, the served models, predictions on feature rows or a window of bars, live bars,
 * the prediction cache, and reload. Every body is JSON checked against its schema (a wrong field is a 400 naming it);
 * every answer carries the bundle format version (bundle_version) and names the link of the chain that produced it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Bars } from '../data/bars.js'
import { baseInterval } from '../config/schema.js'
import type { RawBars } from '../data/source.js'
import { validateBars, ValidationError } from '../data/validate.js'
import type { FeatureFrame } from '../features/frame.js'
import { assertFeatureSchema, bundleFeatures, sampleRows } from '../pipeline/scoring.js'
import { publicAnswer, type ChainStep } from './chain.js'
import { RequestError } from './errors.js'
import { parseBarTime, type BarInput } from './live-bars.js'
import { CHAIN, chainModels, driftOutputsAt, iso, PRIMARY, unknownModel, warmupBars, type MlfServer } from './server.js'
import type { ServedModel } from './served-model.js'
import { modelDescription } from './describe.js'
import { driftDescription, updateDriftGauges } from './drift.js'
import { driftQuerySchema, driftResponseSchema } from './drift-schema.js'

const barSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ts', 'open', 'high', 'low', 'close'],
  properties: {
    ts: { type: ['integer', 'string'], description: 'open time: epoch ms, or ISO-8601 with an offset' },
    open: { type: 'number' },
    high: { type: 'number' },
    low: { type: 'number' },
    close: { type: 'number' },
    volume: { type: ['number', 'null'] },
  },
} as const

export const barsBodySchema = (max: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['bars'],
    properties: { bars: { type: 'array', minItems: 1, maxItems: max, items: barSchema } },
  }) as const

const predictBodySchema = (max: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      model: { type: 'string', minLength: 1 },
      rows: {
        type: 'array',
        minItems: 1,
        maxItems: max,
        items: { type: 'array', items: { type: ['number', 'null'] } },
      },
      bars: { type: 'array', minItems: 1, maxItems: max, items: barSchema },
    },
  }) as const

const predictionsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { model: { type: 'string', minLength: 1 }, since: { type: 'string', minLength: 1 } },
} as const

const reloadBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { bundle: { type: 'string', minLength: 1 }, fallback: { type: ['string', 'null'], minLength: 1 } },
} as const

/**
 * A frame over feature rows a client sent (in the model's schema order): numbers, or null for a missing value (NaN,
 * as in a frame: tree models take it, linear ones impute it); anything infinite is refused naming it.
 */
export function frameFromRows(
  rows: readonly (readonly (number | null)[])[],
  model: ServedModel,
  field: string,
): FeatureFrame {
  const schema = model.bundle.manifest.feature_schema
  const f = schema.names.length
  const n = rows.length
  const columns = Array.from({ length: f }, () => new Float64Array(n))
  for (const [i, row] of rows.entries()) {
    if (row.length !== f)
      throw new RequestError(
        400,
        `${field}[${i}] has ${row.length} values; model "${model.name}" takes ${f} features (GET /v1/models lists them in order)`,
        `${field}[${i}]`,
      )
    for (let j = 0; j < f; j++) {
      const v = row[j]
      if (v !== null && !Number.isFinite(v))
        throw new RequestError(
          400,
          `${field}[${i}][${j}] (${schema.names[j]}) is not a finite number`,
          `${field}[${i}][${j}]`,
        )
      columns[j][i] = v ?? Number.NaN
    }
  }
  return {
    length: n,
    names: schema.names,
    columns,
    usable: new Uint8Array(n).fill(1),
    ts: new Float64Array(n).fill(Number.NaN),
    schema: {
      names: schema.names,
      dtypes: schema.names.map(() => 'float64' as const),
      shape: [n, f],
      hash: schema.hash,
    },
    volumeMode: schema.volume_mode,
    timeframes: [],
    specs: [],
  }
}

/** The chain step of `model` for feature rows given in the schema of `given`: only a model of that schema takes them. */
export function rowsStep(frame: FeatureFrame, given: ServedModel) {
  return (m: ServedModel): ChainStep =>
    m.bundle.manifest.feature_schema.hash === given.bundle.manifest.feature_schema.hash
      ? { name: m.name, bundle: m.bundle, frame, rows: Int32Array.from(frame.usable.keys()) }
      : { name: m.name, unavailable: `its feature schema differs from "${given.name}"'s, in which the rows were given` }
}

/** Bars of a request as validated bars, with the bundle's ingest policies (failures are a 422 naming the bar). */
function windowBars(input: readonly BarInput[], model: ServedModel): Bars {
  const n = input.length
  const raw: RawBars = {
    length: n,
    ts: Float64Array.from(input, (b, i) => parseBarTime(b.ts, `bars[${i}].ts`)),
    open: Float64Array.from(input, (b) => b.open),
    high: Float64Array.from(input, (b) => b.high),
    low: Float64Array.from(input, (b) => b.low),
    close: Float64Array.from(input, (b) => b.close),
    volume: Float64Array.from(input, (b) => b.volume ?? Number.NaN),
    sourceRow: Int32Array.from(input, (_, i) => i),
    rowKind: 'row',
    hasVolume: input.some((b) => b.volume !== undefined),
    file: 'bars',
  }
  const config = model.bundle.config
  try {
    return validateBars(raw, config.data.validation, config.data.gaps, baseInterval(config)).bars
  } catch (err) {
    if (err instanceof ValidationError) throw new RequestError(422, `${err.message} (row n is bars[n])`, 'bars')
    throw err
  }
}

/** The step of `m` for a window of bars: features over the window, the prediction at its last bar's close. */
function windowStep(input: readonly BarInput[]) {
  return (m: ServedModel): ChainStep => {
    const bars = windowBars(input, m)
    const frame = bundleFeatures(m.bundle, bars)
    assertFeatureSchema(m.bundle, frame.schema.hash, frame.names)
    const last = bars.length - 1
    const rows = sampleRows(m.bundle, frame, bars)
    if (last < 0 || rows[rows.length - 1] !== last)
      return { name: m.name, unavailable: `warming up (${bars.length} of ${warmupBars(m)} bars)` }
    return { name: m.name, bundle: m.bundle, frame, rows: Int32Array.of(last) }
  }
}

/** Epoch ms of a `since` query value (epoch ms or ISO-8601 with an offset). */
function parseSince(since: string | undefined): number {
  if (since === undefined) return Number.NEGATIVE_INFINITY
  if (/^\d+$/.test(since)) return Number(since)
  const ms = /(Z|[+-]\d{2}:?\d{2})$/.test(since) ? Date.parse(since) : Number.NaN
  if (!Number.isFinite(ms))
    throw new RequestError(400, `since must be epoch ms or ISO-8601 with an offset, got "${since}"`, 'since')
  return ms
}

export function registerV1(app: FastifyInstance, server: MlfServer): void {
  const version = () => server.state().primary.bundle.manifest.bundle_version
  const served = (name: string): ServedModel => {
    const m = chainModels(server.state()).find((x) => x.name === name)
    if (!m) throw new RequestError(404, unknownModel(name, server.state()), 'model')
    return m
  }

  app.get('/v1/health', async () => ({ status: 'ok', bundle_version: version() }))

  app.get('/v1/ready', async (_request: FastifyRequest, reply: FastifyReply) => {
    const ready = !server.closing()
    return reply.code(ready ? 200 : 503).send({ ready, bundle_version: version() })
  })

  app.get('/metrics', async (_request: FastifyRequest, reply: FastifyReply) => {
    updateDriftGauges(server.metrics, server.drift())
    return reply
      .header('content-type', server.metrics.registry.contentType)
      .send(await server.metrics.registry.metrics())
  })

  app.get(
    '/v1/drift',
    { schema: { querystring: driftQuerySchema, response: { 200: driftResponseSchema } } },
    async (request: FastifyRequest) => {
      const q = request.query as { model?: string }
      const drifts = server.drift().filter((d) => q.model === undefined || d.model === q.model)
      if (drifts.length === 0) throw new RequestError(404, unknownModel(q.model ?? '', server.state()), 'model')
      return { bundle_version: version(), models: drifts.map(driftDescription) }
    },
  )

  app.get('/v1/models', async () => {
    const s = server.state()
    return { bundle_version: version(), loaded_at: s.loadedAt, models: chainModels(s).map(modelDescription) }
  })

  app.post(
    '/v1/predict',
    { schema: { body: predictBodySchema(server.options.max_bars_per_request) } },
    async (request: FastifyRequest) => {
      const body = request.body as { model?: string; rows?: (number | null)[][]; bars?: BarInput[] }
      const start = body.model ?? PRIMARY
      const given = served(start)
      if ((body.rows === undefined) === (body.bars === undefined))
        throw new RequestError(400, 'send exactly one of rows (feature rows) or bars (a window of bars)', 'body')
      if (body.rows) {
        const frame = frameFromRows(body.rows, given, 'rows')
        const result = server.answer(start, rowsStep(frame, given), body.rows.length)
        for (const [i, outputs] of result.outputs.entries()) {
          const answering = chainModels(server.state()).find((m) => m.name === result.source)
          server.observe({
            route: 'predict',
            ts: Number.NaN,
            source: result.source,
            neutral: result.neutral,
            outputs,
            ...(answering && result.scores
              ? {
                  bundle: answering.bundle,
                  names: frame.names,
                  features: Float64Array.from(frame.columns, (c) => c[i]),
                  driftOutputs: driftOutputsAt(result.scores, i),
                }
              : {}),
          })
        }
        return { bundle_version: version(), status: 'scored', ...publicAnswer(result) }
      }
      const bars = body.bars as BarInput[]
      // Validation errors of the starting model's policies are the client's: answer them before the chain runs.
      const first = windowStep(bars)(given)
      if ('unavailable' in first) return { bundle_version: version(), status: 'warming_up', message: first.unavailable }
      const result = server.answer(start, (m) => (m === given ? first : windowStep(bars)(m)), 1)
      const ts = iso(first.frame.ts[first.rows[0]])
      return { bundle_version: version(), status: 'scored', ts, ...publicAnswer(result) }
    },
  )

  // Mutating routes: the token is checked before the body is read or validated.
  const mutating = async (request: FastifyRequest) => server.checkToken(request)

  app.post(
    '/v1/bars',
    { onRequest: mutating, schema: { body: barsBodySchema(server.options.max_bars_per_request) } },
    async (request: FastifyRequest) => {
      const body = request.body as { bars: BarInput[] }
      return { bundle_version: version(), answers: server.pushBars(body.bars) }
    },
  )

  app.get('/v1/predictions', { schema: { querystring: predictionsQuerySchema } }, async (request: FastifyRequest) => {
    const q = request.query as { model?: string; since?: string }
    const model = q.model ?? CHAIN
    const since = parseSince(q.since)
    const entries = server.cache.since(model, since)
    if (!entries)
      throw new RequestError(
        404,
        `no predictions are cached for "${model}"; cached: ${server.cache.models().join(', ')}`,
        'model',
      )
    return {
      bundle_version: version(),
      model,
      capacity: server.cache.capacity,
      predictions: entries.map((e) => ({ ...e, ts: iso(e.ts) })),
    }
  })

  app.post(
    '/v1/admin/reload',
    { onRequest: mutating, schema: { body: reloadBodySchema } },
    async (request: FastifyRequest) => {
      const body = (request.body ?? {}) as { bundle?: string; fallback?: string | null }
      const s = await server.reload(body)
      return {
        bundle_version: version(),
        swapped: true,
        models: chainModels(s).map((m) => ({ name: m.name, dir: m.dir, checksum: m.bundle.checksum })),
      }
    },
  )
}
