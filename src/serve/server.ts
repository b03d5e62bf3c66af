/**
 * `mlf serve`: a bundle (and an optional fallback bundle) behind HTTP on fastify. The server keeps the live state
 * (each served bundle's feature engine, the bars accepted, the prediction cache) and swaps the served bundles
 * atomically on reload; routes are in routes-v1.ts and routes-v2.ts (the Open Inference Protocol).
 */
import { timingSafeEqual } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Bar } from '../data/bars.js'
import { baseInterval } from '../config/schema.js'
import { userMessage } from '../core/messages.js'
import type { LoadedBundle } from '../pipeline/bundle.js'
import { outputColumns } from '../pipeline/predict.js'
import { createBarHistory, type BarHistory } from './bar-history.js'
import { answerThroughChain, type ChainAnswer, type ChainStep, type LinkFailure, type RowOutputs } from './chain.js'
import type { ChainScores } from '../pipeline/scoring.js'
import { lastStatus, raisesLevel, watchDrift, type DriftSink, type ServedDrift } from './drift.js'
import { RequestError } from './errors.js'
import { planLiveBars, type BarInput } from './live-bars.js'
import { createServeMetrics, type ServeMetrics } from './metrics.js'
import { TOKEN_ENV, type ServeOptions } from './options.js'
import { createPredictionCache, type PredictionCache } from './prediction-cache.js'
import { registerV1 } from './routes-v1.js'
import { registerV2 } from './routes-v2.js'
import { loadServable, serveModel, type ServedModel } from './served-model.js'

export const PRIMARY = 'primary'
export const FALLBACK = 'fallback'
/** The prediction cache's ring of the answers the chain gave (whichever link produced them). */
export const CHAIN = 'chain'

/** Where the served bundles are read from (and re-read on reload). */
export interface ServeSources {
  readonly bundle: string
  readonly fallback?: string | null
}

/** The bundles being served, swapped whole on reload. */
export interface ServingState {
  readonly primary: ServedModel
  readonly fallback: ServedModel | null
  /** Each served model's drift monitor (by name), created with its bundle: a reload starts fresh windows. */
  readonly drift: ReadonlyMap<string, ServedDrift>
  readonly loadedAt: string
}

/**
 * One scored row, handed to observers after the answer is made: the seam for drift monitoring and other in-process
 * consumers. `features` are the row's values in the answering bundle's feature schema order (absent for neutral
 * answers); an observer that throws is logged and never changes the answer. `driftOutputs` are the answering bundle's
 * outputs as its drift reference lists them (`outputColumns`: the class probabilities, the heads, multi-head targets
 * and a gate's weights; no signal).
 */
export interface ScoredRow {
  readonly route: 'bars' | 'predict'
  readonly ts: number
  readonly source: string
  readonly neutral: boolean
  readonly bundle?: LoadedBundle
  readonly names?: readonly string[]
  readonly features?: Float64Array
  readonly outputs: Readonly<RowOutputs>
  readonly driftOutputs?: Readonly<Record<string, number>>
}
export type ScoredRowObserver = (row: ScoredRow) => void

export interface ServeDependencies {
  /** Loads and verifies a bundle (default: as `mlf predict` does, plus servability); tests wrap it to plant faults. */
  readonly load?: (dir: string) => Promise<LoadedBundle>
  readonly observers?: readonly ScoredRowObserver[]
  /** The token mutating routes require (default: the MLF_SERVE_TOKEN environment variable, when set). */
  readonly token?: string | null
  /** Where the JSON log lines go (default: stdout). */
  readonly logStream?: { write(line: string): void }
}

/** One bar's answer on /v1/bars. */
export interface BarAnswer {
  readonly ts: string
  readonly status: 'scored' | 'warming_up' | 'unusable' | 'dropped'
  readonly message?: string
  readonly source?: string
  readonly neutral?: boolean
  readonly outputs?: RowOutputs
  readonly fallbacks?: readonly LinkFailure[]
  readonly notes?: readonly string[]
}

export interface MlfServer {
  readonly app: FastifyInstance
  readonly options: ServeOptions
  readonly metrics: ServeMetrics
  /** The prediction cache, for in-process readers (the market simulation reads it). */
  readonly cache: PredictionCache
  state(): ServingState
  sources(): ServeSources
  /** Listen on options.host:options.port; resolves to the base URL. */
  listen(): Promise<string>
  /** Stop accepting requests, finish those in flight, close. */
  close(): Promise<void>
  /** Load, verify and swap in bundles (default: re-read the current ones); refused whole, leaving the old serving. */
  reload(next?: Partial<ServeSources>): Promise<ServingState>
  /** Push live bars (validated with the primary bundle's ingest policies, all or nothing) and answer each. */
  pushBars(bars: readonly BarInput[]): BarAnswer[]
  /** Score feature frames through the chain from `start` (a served model's name). */
  answer(start: string, steps: (model: ServedModel) => ChainStep, n: number): ChainAnswer
  observe(row: ScoredRow): void
  /** The served models' drift watches, in chain order. */
  drift(): readonly ServedDrift[]
  checkToken(request: FastifyRequest): void
  closing(): boolean
}

export const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms))

/** Row i of a link's scores as its drift reference names the outputs. */
export function driftOutputsAt(scores: ChainScores, i: number): Record<string, number> {
  return Object.fromEntries(outputColumns(scores.p, scores.heads, scores.weights).map((c) => [c.name, c.values[i]]))
}

/** The models of a state in chain order. */
export const chainModels = (s: ServingState): ServedModel[] => (s.fallback ? [s.primary, s.fallback] : [s.primary])

export function warmupBars(model: ServedModel): number {
  return model.bundle.manifest.signature.inputs.warmup_bars
}

/** Why a served model cannot score the current live row, or null when it can. */
export function liveNotReady(model: ServedModel): { status: 'warming_up' | 'unusable'; message: string } | null {
  if (model.live.usable()) return null
  const n = model.live.pushed()
  const m = warmupBars(model)
  if (n < m) return { status: 'warming_up', message: `warming up (${n} of ${m} bars)` }
  return {
    status: 'unusable',
    message: `features not usable at this bar after ${n} bars (${model.live.firstMissing() ?? 'a feature'} is missing); no prediction`,
  }
}

export async function createServer(
  sources: ServeSources,
  options: ServeOptions,
  deps: ServeDependencies = {},
): Promise<MlfServer> {
  const load = deps.load ?? loadServable
  const token = deps.token === undefined ? (process.env[TOKEN_ENV] ?? null) : deps.token
  const history: BarHistory = createBarHistory(options.history_bars)
  let current: ServeSources = { bundle: sources.bundle, fallback: sources.fallback ?? null }
  const metrics = createServeMetrics()
  // Events reach the log only once the app exists: monitors get rows from requests, after it is made.
  const driftSink: DriftSink = {
    onEvent(model, e) {
      if (raisesLevel(e)) metrics.driftAlerts.inc({ model, column: e.column, level: e.level })
      // The event's level is drift_level in the log: pino's own `level` is the line's severity.
      const { type: _type, level: driftLevel, ...fields } = e
      const line = { event: 'drift', model, drift_level: driftLevel, ...fields }
      if (raisesLevel(e)) app.log.warn(line, `drift ${e.level}: ${e.column} (PSI ${e.psi.toFixed(3)})`)
      else app.log.info(line, `drift back to ${e.level}: ${e.column}`)
    },
    onWebhookError(model, err) {
      metrics.driftWebhookFailures.inc({ model })
      app.log.error({ event: 'drift_webhook_failed', model, error: err.message }, 'drift webhook post failed')
    },
  }
  const build = async (src: ServeSources): Promise<ServingState> => {
    const primary = await load(src.bundle)
    const fallback = src.fallback ? await load(src.fallback) : null
    // The feature engines are built and replayed last, with no await after them: no bar can slip in between.
    const models = [
      serveModel(PRIMARY, src.bundle, primary, history),
      ...(fallback && src.fallback ? [serveModel(FALLBACK, src.fallback, fallback, history)] : []),
    ]
    return {
      primary: models[0],
      fallback: models[1] ?? null,
      drift: new Map(models.map((m) => [m.name, watchDrift(m, options.drift_webhook, driftSink)])),
      loadedAt: new Date().toISOString(),
    }
  }
  let state = await build(current)
  /** Monitors swapped out by a reload whose webhook posts may still be under way (shutdown waits for them). */
  const retired = new Set<ServedDrift>()
  const cache = createPredictionCache(options.cache_size, [PRIMARY, FALLBACK, CHAIN])
  let isClosing = false
  let reloading: Promise<ServingState> | null = null

  const app = Fastify({
    logger: {
      level: options.log_level,
      ...(deps.logStream ? { stream: deps.logStream } : {}),
    },
    bodyLimit: options.body_limit_bytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
        allowUnionTypes: true,
      },
    },
  })

  // Bodies are JSON only: a text body would reach the schemas as a string.
  app.removeContentTypeParser('text/plain')

  /** In a state, say once which served models have no drift monitor. */
  const logUnavailableDrift = (s: ServingState): void => {
    for (const d of s.drift.values())
      if (d.unavailable)
        app.log.warn({ event: 'drift_unavailable', model: d.model, reason: d.unavailable }, 'drift not measured')
  }
  logUnavailableDrift(state)

  /**
   * Live rows (one per bar, in time order) go to the monitor of the model that answered them; feature rows and
   * windows sent to /v1/predict do not: they are not the live stream, and may repeat bars it already had.
   */
  const driftObserver: ScoredRowObserver = (row) => {
    if (row.route !== 'bars' || row.neutral || !row.bundle || !row.features || !row.driftOutputs) return
    state.drift.get(row.source)?.push({
      ts: row.ts,
      bundle: row.bundle,
      features: row.features,
      outputs: row.driftOutputs,
    })
  }
  const observers = [driftObserver, ...(deps.observers ?? [])]

  const observe = (row: ScoredRow): void => {
    for (const o of observers) {
      try {
        o(row)
      } catch (err) {
        app.log.error({ event: 'observer_failed', error: userMessage(err) }, 'an observer of scored rows threw')
      }
    }
  }

  const answer = (start: string, steps: (model: ServedModel) => ChainStep, n: number): ChainAnswer => {
    const s = state
    const models = chainModels(s)
    const from = models.findIndex((m) => m.name === start)
    if (from < 0) throw new RequestError(404, unknownModel(start, s), 'model')
    const result = answerThroughChain(
      models.slice(from).map((m) => ({ name: m.name, step: () => steps(m) })),
      n,
      options.timeout_ms,
      s.primary.bundle.manifest.signature.outputs,
      {
        onFallback(f) {
          metrics.fallbacks.inc({ link: f.link, kind: f.kind })
          app.log.warn({ event: 'fallback', link: f.link, kind: f.kind, reason: f.reason }, 'link handed over')
        },
      },
    )
    metrics.answers.inc({ source: result.source }, n)
    return result
  }

  const pushBars = (input: readonly BarInput[]): BarAnswer[] => {
    const s = state
    const config = s.primary.bundle.config
    const actions = planLiveBars(input, history.last(), config.data.validation, baseInterval(config))
    const out: BarAnswer[] = []
    const models = chainModels(s)
    for (const a of actions) {
      if (a.kind === 'dropped') {
        metrics.bars.inc({ status: 'dropped' })
        out.push({
          ts: iso(a.ts),
          status: 'dropped',
          message: `${a.rule}: ${a.detail}; dropped by the bundle's policy`,
        })
        continue
      }
      const bar: Bar = a.bar
      for (const m of models) m.live.push(bar)
      history.push(bar)
      const notes = [...a.notes, ...(a.gapBars > 0 ? [`gap: ${a.gapBars} missing bar(s) before this one`] : [])]
      const extra = notes.length ? { notes } : {}
      const waiting = liveNotReady(s.primary)
      if (waiting) {
        metrics.bars.inc({ status: waiting.status })
        out.push({ ts: iso(bar.ts), ...waiting, ...extra })
        continue
      }
      const frames = new Map(models.map((m) => [m.name, m.live.usable() ? m.live.frame(bar.ts) : null]))
      const result = answer(
        PRIMARY,
        (m) => {
          const frame = frames.get(m.name)
          return frame
            ? { name: m.name, bundle: m.bundle, frame, rows: Int32Array.of(0) }
            : { name: m.name, unavailable: liveNotReady(m)?.message ?? 'not ready' }
        },
        1,
      )
      const outputs = result.outputs[0]
      const answering = models.find((m) => m.name === result.source)
      const entry = {
        ts: bar.ts,
        source: result.source,
        neutral: result.neutral,
        ...(answering ? { bundle: answering.bundle.checksum } : {}),
        outputs,
      }
      cache.add(CHAIN, entry)
      if (answering) cache.add(answering.name, entry)
      metrics.bars.inc({ status: 'scored' })
      const frame = answering ? frames.get(answering.name) : undefined
      observe({
        route: 'bars',
        ts: bar.ts,
        source: result.source,
        neutral: result.neutral,
        outputs,
        ...(answering && frame && result.scores
          ? {
              bundle: answering.bundle,
              names: frame.names,
              features: Float64Array.from(frame.columns, (c) => c[0]),
              driftOutputs: driftOutputsAt(result.scores, 0),
            }
          : {}),
      })
      out.push({
        ts: iso(bar.ts),
        status: 'scored',
        source: result.source,
        neutral: result.neutral,
        outputs,
        fallbacks: result.fallbacks,
        ...extra,
      })
    }
    return out
  }

  const reload = (next: Partial<ServeSources> = {}): Promise<ServingState> => {
    if (reloading)
      return Promise.reject(new RequestError(409, 'a reload is already under way; try again when it has finished'))
    const src: ServeSources = {
      bundle: next.bundle ?? current.bundle,
      fallback: next.fallback === undefined ? current.fallback : next.fallback,
    }
    // The swap runs in the microtask right after the build (which replays the bars last, synchronously): no request
    // is handled in between, so no bar can reach the old engines and miss the new ones.
    reloading = build(src)
      .then((s) => {
        const old = state
        state = s
        current = src
        metrics.reloads.inc({ outcome: 'swapped' })
        for (const d of old.drift.values()) {
          app.log.info({ event: 'drift_retired', ...lastStatus(d) }, 'drift monitor retired with its bundle')
          retired.add(d)
          void d.monitor?.flush().then(() => retired.delete(d))
        }
        logUnavailableDrift(s)
        app.log.info(
          {
            event: 'reload',
            primary: s.primary.bundle.checksum,
            fallback: s.fallback?.bundle.checksum ?? null,
            previous: old.primary.bundle.checksum,
            replayed_bars: history.size,
          },
          'bundles swapped',
        )
        return s
      })
      .catch((err: unknown) => {
        metrics.reloads.inc({ outcome: 'refused' })
        const message = `reload refused, still serving bundle ${state.primary.bundle.checksum.slice(0, 12)}…: ${userMessage(err)}`
        app.log.error({ event: 'reload_refused', error: userMessage(err) }, 'reload refused')
        throw new RequestError(422, message)
      })
      .finally(() => {
        reloading = null
      })
    return reloading
  }

  const checkToken = (request: FastifyRequest): void => {
    if (token === null || token === '') return
    const header = request.headers.authorization ?? ''
    if (!tokenMatches(header.startsWith('Bearer ') ? header.slice(7) : '', token))
      throw new RequestError(
        401,
        'this route needs the server token: send "Authorization: Bearer <token>"',
        'authorization',
      )
  }

  const server: MlfServer = {
    app,
    options,
    metrics,
    cache,
    state: () => state,
    sources: () => current,
    async listen() {
      return app.listen({ host: options.host, port: options.port })
    },
    async close() {
      isClosing = true
      await app.close()
      // Webhook posts under way finish (each bounded by the webhook's timeout) before the server is closed.
      const drifts = [...state.drift.values(), ...retired]
      await Promise.all(drifts.map((d) => d.monitor?.flush()))
      const failures = drifts.reduce((n, d) => n + (d.monitor?.webhookFailures ?? 0), 0)
      app.log.info({ event: 'drift_flushed', webhook_failures: failures }, 'drift webhook posts finished')
    },
    reload,
    pushBars,
    answer,
    observe,
    drift: () => chainModels(state).map((m) => state.drift.get(m.name) as ServedDrift),
    checkToken,
    closing: () => isClosing,
  }

  app.addHook('onRequest', async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-mlf-bundle-version', state.primary.bundle.manifest.bundle_version)
  })
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) })
    metrics.latency.observe({ route }, reply.elapsedTime / 1000)
  })
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = errorBody(err, options.body_limit_bytes)
    if (status >= 500) request.log.error({ event: 'internal_error', error: userMessage(err) }, 'request failed')
    return reply.code(status).send({ ...body, bundle_version: state.primary.bundle.manifest.bundle_version })
  })
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply.code(404).send({
      error: `no route ${request.method} ${request.url.split('?')[0]}; see GET /v1/health, /v1/models, /v2/models/{name}`,
      bundle_version: state.primary.bundle.manifest.bundle_version,
    }),
  )
  registerV1(app, server)
  registerV2(app, server)
  await app.ready()
  return server
}

/** The 404 for a model name the server does not serve, listing those it does. */
export function unknownModel(name: string, s: ServingState): string {
  return `no served model "${name}"; served: ${chainModels(s)
    .map((m) => m.name)
    .join(', ')}`
}

interface FastifyLikeError {
  statusCode?: number
  code?: string
  message?: string
  validation?: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[]
  validationContext?: string
}

/** A JSON path of ajv's ('/bars/0/open') as the field a client wrote ('bars[0].open'). */
export function fieldOf(context: string | undefined, instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean)
  if (extra) parts.push(extra)
  const path = parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
  return path || (context ?? 'body')
}

/** Status and JSON body of an error: the field and what is wrong for client errors, never a stack trace. */
export function errorBody(err: unknown, bodyLimit: number): { status: number; body: Record<string, unknown> } {
  if (err instanceof RequestError)
    return { status: err.status, body: { error: err.message, ...(err.field ? { field: err.field } : {}) } }
  const e = (err ?? {}) as FastifyLikeError
  if (e.validation && e.validation.length > 0) {
    const v = e.validation[0]
    const extra =
      v.keyword === 'additionalProperties'
        ? String(v.params.additionalProperty)
        : v.keyword === 'required'
          ? String(v.params.missingProperty)
          : undefined
    const field = fieldOf(e.validationContext, v.instancePath, extra)
    const what =
      v.keyword === 'additionalProperties'
        ? 'is not a known field'
        : v.keyword === 'required'
          ? 'is required'
          : (v.message ?? 'is invalid')
    return { status: 400, body: { error: `${field} ${what}`, field } }
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { status: 413, body: { error: `the request body is larger than the limit of ${bodyLimit} bytes` } }
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (e.statusCode === 400 && err instanceof SyntaxError))
    return { status: 400, body: { error: `the request body is not valid JSON: ${e.message}`, field: 'body' } }
  if (e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return { status: 400, body: { error: 'the request body is empty; send a JSON object', field: 'body' } }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { status: 415, body: { error: 'send the body as JSON (Content-Type: application/json)' } }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return { status: e.statusCode, body: { error: userMessage(err) } }
  return { status: 500, body: { error: `internal error: ${userMessage(err)}` } }
}

export function tokenMatches(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
