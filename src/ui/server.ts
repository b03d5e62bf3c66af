/**
 * The HTTP side of `mlf ui`: one page (the browser app bundled at build time by src/ui/build.ts, echarts inside it),
 * a JSON API over the run store opened read-only, and each run's report. Nothing is fetched from anywhere else: the
 * Content-Security-Policy lets the page reach only this server.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { userMessage } from '../core/messages.js'
import { STYLE } from '../tracking/html.js'
import { resolveRunId } from '../tracking/query.js'
import { renderReport } from '../tracking/report.js'
import { openRunStore, type RunStore } from '../tracking/store.js'
import { comparePayload, runsPayload, sweepPayload, sweepsPayload } from './data.js'

/** Where the build writes the browser app (dist/ui/ beside dist/src): main.js and its chunks. */
export const BUNDLE_DIR = fileURLToPath(new URL('../../ui/', import.meta.url))

const APP_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-src 'self'"
// A run report is one self-contained page: its scripts and styles are inline.
const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"

const UI_STYLE = `
body { background: var(--bg); }
header { display: flex; align-items: baseline; gap: 24px; }
header a { color: #fff; text-decoration: none; font-size: 15px; }
header a.on { text-decoration: underline; }
main { max-width: none; }
.bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 8px; }
.bar input[type=text] { flex: 1; min-width: 320px; font: inherit; padding: 4px 8px; }
.error { color: #b42318; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12.5px; }
.columns { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; margin: 8px 0; }
.scroll { overflow: auto; max-height: 70vh; }
th.sortable { cursor: pointer; white-space: nowrap; position: sticky; top: 0; }
th.sorted-asc::after { content: ' ▲'; } th.sorted-desc::after { content: ' ▼'; }
td, th { white-space: nowrap; }
iframe.report { width: 100%; height: 85vh; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
`

function indexHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mlf ui</title>
<link rel="icon" href="data:,">
<style>${STYLE}${UI_STYLE}</style>
</head>
<body>
<header><h1>mlf ui</h1><a href="#/runs" data-nav="runs">Runs</a><a href="#/sweeps" data-nav="sweeps">Sweeps</a></header>
<main id="app"></main>
<script type="module" src="/ui/main.js"></script>
</body>
</html>
`
}

export interface UiServer {
  readonly app: FastifyInstance
  readonly store: RunStore
  /** Listen; the URL to open. */
  listen(): Promise<string>
  close(): Promise<void>
}

class BadRequest extends Error {}

export function createUiServer(options: {
  readonly store: string
  readonly host: string
  readonly port: number
  /** The built app's folder (default: dist/ui). */
  readonly bundleDir?: string
  readonly logLevel?: string
}): UiServer {
  const dir = options.bundleDir ?? BUNDLE_DIR
  if (!existsSync(join(dir, 'main.js')))
    throw new Error(`the browser app is not built (${join(dir, 'main.js')} is missing): run npm run build`)
  // Read once: the app's scripts by file name, nothing else of the folder is served.
  const scripts = new Map(
    readdirSync(dir)
      .filter((f) => /^[\w-]+\.js$/.test(f))
      .map((f) => [f, readFileSync(join(dir, f))]),
  )
  const store = openRunStore(options.store, { readonly: true })
  const app = Fastify({ logger: { level: options.logLevel ?? 'warn' } })
  const bad = <T>(f: () => T): T => {
    try {
      return f()
    } catch (err) {
      throw new BadRequest(userMessage(err))
    }
  }
  app.setErrorHandler((err: Error, _request, reply) => {
    const status = err instanceof BadRequest ? (/^no (run|sweep) /.test(err.message) ? 404 : 400) : 500
    if (status === 500) app.log.error(err)
    void reply.code(status).send({ error: status === 500 ? 'internal error (see the server log)' : err.message })
  })
  app.addHook('onSend', async (request, reply) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', APP_CSP)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('cache-control', 'no-store')
  })

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(indexHtml()))
  app.get<{ Params: { file: string } }>('/ui/:file', async (req, reply) => {
    const body = scripts.get(req.params.file)
    if (!body) return reply.code(404).send({ error: `no script ${req.params.file}` })
    return reply.type('text/javascript; charset=utf-8').send(body)
  })
  app.get<{ Querystring: { where?: string } }>('/api/runs', async (req) =>
    bad(() => runsPayload(store.db, req.query.where ?? '')),
  )
  app.get<{ Querystring: { ids?: string } }>('/api/compare', async (req) =>
    bad(() =>
      comparePayload(
        store,
        (req.query.ids ?? '').split(',').filter((s) => s.length > 0),
      ),
    ),
  )
  app.get('/api/sweeps', async () => sweepsPayload(store.db))
  app.get<{ Params: { id: string } }>('/api/sweeps/:id', async (req) => bad(() => sweepPayload(store, req.params.id)))
  app.get<{ Params: { id: string } }>('/runs/:id/report.html', async (req, reply) => {
    const run = bad(() => store.get(resolveRunId(store.db, req.params.id))!)
    return reply.type('text/html; charset=utf-8').header('content-security-policy', REPORT_CSP).send(renderReport(run))
  })

  return {
    app,
    store,
    async listen() {
      return app.listen({ host: options.host, port: options.port })
    },
    async close() {
      await app.close()
      store.close()
    },
  }
}
