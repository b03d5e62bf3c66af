/**
 * A run written as an MLflow file-store run, so that an MLflow UI a user already has (`mlflow ui --backend-store-uri
 * <dir>`) shows it:
 *
 *   <dir>/<experiment id>/meta.yaml                  the experiment (found by name, else created)
 *   <dir>/<experiment id>/<run uuid>/meta.yaml       the run: ids, times, status FINISHED
 *   .../params/<key>        one file per resolved config leaf (dotted key), holding its value
 *   .../metrics/<key>       "<timestamp ms> <value> <step>" lines: every metric once, the equity curve per step
 *   .../tags/<key>          mlflow.runName and the run's provenance (mlf.*)
 *   .../artifacts/          the run folder (report, summary, config, bundle, predictions) and the record as JSON
 *
 * The run uuid is derived from the run id (the same run exports to the same uuid); the run id itself is a tag.
 */
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse, stringify } from 'yaml'
import { flatten, runMetrics } from './diff.js'
import { renderReport, decimateIndices, MAX_EQUITY_POINTS } from './report.js'
import { encodeJson } from './store.js'
import type { RunRecord } from './types.js'

/** MLflow's RunStatus.FINISHED and SourceType.LOCAL. */
const STATUS_FINISHED = 3
const SOURCE_LOCAL = 4

/**
 * A key MLflow accepts (letters, digits, _ - . space and /, a / making a sub-folder): anything else becomes _, and
 * no part may be empty or a dot-name (which would leave the run's folder).
 */
export function mlflowKey(key: string): string {
  const k = key
    .replace(/[^A-Za-z0-9_\-. /]/g, '_')
    .split('/')
    .map((part) => (part === '' || /^\.+$/.test(part) ? '_' : part))
    .join('/')
  return k
}

/** The MLflow run uuid of a run: 32 hex digits derived from its run id. */
export function mlflowRunUuid(runId: string): string {
  return createHash('sha256').update(`mlfactory run ${runId}`).digest('hex').slice(0, 32)
}

const mlflowNumber = (v: number) =>
  Number.isNaN(v) ? 'nan' : !Number.isFinite(v) ? (v > 0 ? 'inf' : '-inf') : String(v)

function experimentId(dir: string, name: string, now: number): string {
  mkdirSync(dir, { recursive: true })
  const ids: number[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue
    ids.push(Number(entry.name))
    const meta = join(dir, entry.name, 'meta.yaml')
    if (existsSync(meta) && (parse(readFileSync(meta, 'utf8')) as { name?: unknown } | null)?.name === name)
      return entry.name
  }
  const id = String(ids.length === 0 ? 0 : Math.max(...ids) + 1)
  mkdirSync(join(dir, id))
  writeFileSync(
    join(dir, id, 'meta.yaml'),
    stringify({
      artifact_location: pathToFileURL(resolve(dir, id)).href,
      creation_time: now,
      experiment_id: id,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
    }),
  )
  return id
}

/** Writes one file per key; two keys that would share a file, or a file and a folder, are an error naming both. */
function keyedWriter(folder: string): (key: string, text: string) => void {
  const written = new Map<string, string>()
  return (key, text) => {
    const k = mlflowKey(key)
    const clash = [...written].find(([w]) => w === k || w.startsWith(`${k}/`) || k.startsWith(`${w}/`))
    if (clash)
      throw new Error(`"${key}" and "${clash[1]}" would share the MLflow file ${join(folder, clash[0])}; rename one`)
    written.set(k, key)
    const path = join(folder, k)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
  }
}

export interface MlflowExport {
  readonly experimentId: string
  readonly runUuid: string
  readonly runDir: string
  readonly params: number
  readonly metrics: number
  readonly artifacts: number
}

/**
 * Write `run` into the MLflow file store at `dir` under the experiment `experiment`; `runFolder` (the run's folder
 * under runs/, if it still exists) is copied into the artifacts. Refuses a run already exported there.
 */
export function exportMlflow(
  run: RunRecord,
  options: { dir: string; experiment?: string; runFolder?: string | null },
): MlflowExport {
  const end = Date.parse(run.createdAt)
  const start = end - Math.round(1000 * run.timings.reduce((s, t) => s + t.seconds, 0))
  const expId = experimentId(options.dir, options.experiment ?? 'mlfactory', end)
  const uuid = mlflowRunUuid(run.runId)
  const runDir = join(options.dir, expId, uuid)
  if (existsSync(runDir))
    throw new Error(`run ${run.runId} is already exported to ${runDir}; remove that folder to export it again`)
  mkdirSync(runDir)
  const artifactsDir = join(runDir, 'artifacts')
  for (const sub of ['params', 'metrics', 'tags', 'artifacts']) mkdirSync(join(runDir, sub))
  writeFileSync(
    join(runDir, 'meta.yaml'),
    stringify({
      artifact_uri: pathToFileURL(resolve(artifactsDir)).href,
      end_time: end,
      entry_point_name: '',
      experiment_id: expId,
      lifecycle_stage: 'active',
      run_id: uuid,
      run_name: run.runId,
      run_uuid: uuid,
      source_name: '',
      source_type: SOURCE_LOCAL,
      source_version: '',
      start_time: start,
      status: STATUS_FINISHED,
      tags: [],
      user_id: '',
    }),
  )

  const params = flatten(run.config)
  params.set('seed', run.seed)
  const writeParam = keyedWriter(join(runDir, 'params'))
  for (const [k, v] of params) writeParam(k, String(v))

  const metrics = runMetrics(run)
  const writeMetric = keyedWriter(join(runDir, 'metrics'))
  for (const [k, v] of metrics) writeMetric(k, `${end} ${mlflowNumber(v)} 0\n`)
  let metricCount = metrics.size
  const bt = run.backtest
  if (bt && bt.equity.ts.length > 0) {
    // The curves as stepped metrics (step = bar index), thinned as in the report so a long test stays light.
    const keep = decimateIndices(bt.equity.equity, bt.equity.drawdown, MAX_EQUITY_POINTS)
    const lines = (series: readonly number[]) =>
      keep.map((i) => `${bt.equity.ts[i]} ${mlflowNumber(series[i])} ${i}\n`).join('')
    writeMetric('curve.equity', lines(bt.equity.equity))
    writeMetric('curve.drawdown', lines(bt.equity.drawdown))
    metricCount += 2
  }

  const tags: Record<string, string> = {
    'mlflow.runName': run.runId,
    'mlflow.source.name': 'mlfactory',
    'mlflow.source.type': 'LOCAL',
    'mlf.run_id': run.runId,
    'mlf.config_hash': run.configHash,
    'mlf.data_file': run.dataFile,
    'mlf.data_fingerprint': run.dataFingerprint,
    'mlf.code_version': run.codeVersion,
    'mlf.evaluation': run.evaluation?.method ?? 'chronological',
    ...(run.preset ? { 'mlf.preset': run.preset } : {}),
    ...(run.bundleChecksum ? { 'mlf.bundle_checksum': run.bundleChecksum } : {}),
  }
  const writeTag = keyedWriter(join(runDir, 'tags'))
  for (const [k, v] of Object.entries(tags)) writeTag(k, v)

  writeFileSync(join(artifactsDir, 'run_record.json'), `${encodeJson(run)}\n`)
  if (options.runFolder && existsSync(options.runFolder)) cpSync(options.runFolder, artifactsDir, { recursive: true })
  else writeFileSync(join(artifactsDir, 'report.html'), renderReport(run))
  const artifacts = readdirSync(artifactsDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())

  return {
    experimentId: expId,
    runUuid: uuid,
    runDir,
    params: params.size,
    metrics: metricCount,
    artifacts: artifacts.length,
  }
}
