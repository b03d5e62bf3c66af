import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { ResolvedConfig } from '../../src/config/load.js'
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'
import { barAt, type Bars } from '../../src/data/bars.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { parseServeOptions, type ServeOptions } from '../../src/serve/options.js'
import { createServer, type MlfServer, type ServeDependencies, type ServeSources } from '../../src/serve/server.js'
import { repoRoot, tempDir } from '../helpers.js'
import { smallConfig } from '../pipeline/fixture.js'

/** `rows` bars of `source` from bar `start`, as a gzipped CSV (the source read with backward steps repaired). */
export async function fileSlice(source: string, rows: number, start = 0): Promise<string> {
  const { bars } = await ingestFile(source, dataConfigSchema.parse({ validation: { backward_step: 'repair' } }))
  assert.ok(bars.length >= start + rows, `${source} has ${bars.length} bars, fewer than ${start + rows}`)
  const lines = ['ts_utc,open,high,low,close,volume']
  for (let i = start; i < start + rows; i++)
    lines.push(
      `${new Date(bars.ts[i]).toISOString()},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]},${bars.volume[i]}`,
    )
  const path = join(tempDir('mlf-serve-'), `slice-${start}-${rows}.csv.gz`)
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`))
  return path
}

/** Train a small bundle on `data`; returns its folder. */
export async function trainBundle(data: string, config: ResolvedConfig = smallConfig()): Promise<string> {
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir('mlf-serve-run-') })
  return run.bundleDir
}

/** A copy of a bundle folder (to corrupt, or to serve twice). */
export function bundleCopy(dir: string): string {
  const to = join(tempDir('mlf-serve-copy-'), 'bundle')
  cpSync(dir, to, { recursive: true })
  return to
}

/** A small logistic bundle's config: the fast single-row path of linear models. */
export const logisticConfig = (): ResolvedConfig =>
  smallConfig({ base_models: [{ name: 'logistic', config: { C: 0.5, max_iter: 200 } }] })

export const gaussianNbConfig = (): ResolvedConfig => smallConfig({ base_models: [{ name: 'gaussian_nb' }] })

/** Every kind of output column: prediction sets on p (aps), E_r with a split interval, the binary p_up head. */
export const headsConfig = (): ResolvedConfig =>
  smallConfig({
    base_models: [
      {
        name: 'xgboost',
        config: { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 },
        outputs: ['p', 'E_r'],
      },
      { name: 'ridge', outputs: ['E_r'] },
      { name: 'logistic', outputs: ['p_up'] },
    ],
    inference: { calibrate: ['temperature'], uncertainty: [{ method: 'aps', coverage: 0.9 }, { method: 'split' }] },
  })

/** `mlf predict` run as a user runs it: its CSV columns after ts_utc, and its lines by bar time. */
export function mlfPredict(bundle: string, data: string): { columns: string[]; byTs: Map<string, string> } {
  const out = join(tempDir('mlf-serve-pred-'), 'preds.csv')
  const cli = join(repoRoot, 'dist/src/cli/main.js')
  execFileSync(process.execPath, [cli, 'predict', '--bundle', bundle, '--data', data, '--out', out], { stdio: 'pipe' })
  const lines = readFileSync(out, 'utf8').trim().split('\n')
  return { columns: lines[0].split(',').slice(1), byTs: new Map(lines.slice(1).map((l) => [l.split(',')[0], l])) }
}

export interface Running {
  readonly server: MlfServer
  readonly url: string
  close(): Promise<void>
}

/** A server on 127.0.0.1 at an ephemeral port, logs silent unless a stream is given. */
export async function startServer(
  sources: ServeSources,
  options: Partial<ServeOptions> = {},
  deps: ServeDependencies = {},
): Promise<Running> {
  const server = await createServer(
    sources,
    parseServeOptions({ host: '127.0.0.1', port: 0, log_level: deps.logStream ? 'info' : 'silent', ...options }),
    { token: null, ...deps },
  )
  const url = await server.listen()
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  return { server, url, close: () => server.close() }
}

export interface Reply {
  readonly status: number
  readonly body: Record<string, unknown>
}

/** One HTTP call: POST with a JSON body (or raw text) when there is one, else GET; the answer parsed. */
export async function call(
  url: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const raw = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body)
  const res = await fetch(`${url}${path}`, {
    method: raw === undefined ? 'GET' : 'POST',
    headers: raw === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(raw === undefined ? {} : { body: raw }),
  })
  const text = await res.text()
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    parsed = { text }
  }
  return { status: res.status, body: parsed }
}

/** Bar i of `bars` as a client sends it. */
export const barJson = (bars: Bars, i: number): Record<string, number> => ({ ...barAt(bars, i) })

/** A bar's answer as `mlf predict` writes its CSV line (same columns, same number formatting). */
export function answerLine(ts: string, outputs: Record<string, number>, columns: readonly string[]): string {
  return [ts, ...columns.map((c) => String(outputs[c]))].join(',')
}
