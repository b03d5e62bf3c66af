/**
 * What the pages of `mlf ui` ask the server for, shaped from the run store (read-only): the runs table, the compare
 * view of 2 to 10 runs, the sweeps and one sweep's trials. Plain JSON; non-finite numbers become null.
 */
import type Database from 'better-sqlite3'
import { RUN_COLUMNS, type ColumnType } from '../tracking/columns.js'
import { diffRuns, type DiffRow, type Value } from '../tracking/diff.js'
import { queryRuns, resolveRunId, type RunRow } from '../tracking/query.js'
import { decimateIndices } from '../tracking/report.js'
import { decodeJson, type RunStore } from '../tracking/store.js'
import { getSweep, trialsOf } from '../tracking/sweeps.js'
import type { ReliabilityBin, RunRecord, WindowRecord } from '../tracking/types.js'

export const MAX_COMPARED = 10
/** Points per curve in the compare view (each run's extremes kept, as in the report). */
export const COMPARE_POINTS = 1500
export const COMPARE_FEATURES = 15

export interface UiColumn {
  readonly name: string
  readonly type: ColumnType
  readonly description: string
  /** Whether the server's filter (`--where` syntax) knows it; the others are computed for the table only. */
  readonly filterable: boolean
}

/** Per-window metrics of walk-forward runs, as min, max and last (the latest window) over the windows. */
const WINDOW_SERIES: readonly { name: string; of: (w: WindowRecord) => number | undefined }[] = [
  { name: 'wf_auc_dir', of: (w) => w.test.auc_dir },
  { name: 'wf_sharpe', of: (w) => w.backtest.sharpe },
  { name: 'wf_total_return', of: (w) => w.backtest.total_return },
]

export const UI_COLUMNS: readonly UiColumn[] = [
  ...RUN_COLUMNS.map((c) => ({ name: c.name, type: c.type, description: c.description, filterable: true })),
  ...WINDOW_SERIES.flatMap((s) =>
    (['min', 'max', 'last'] as const).map((agg) => ({
      name: `${s.name}_${agg}`,
      type: 'number' as const,
      description: `${agg} of ${s.name.slice(3)} over the walk-forward windows`,
      filterable: false,
    })),
  ),
]

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** min, max and last of the finite values (null when there are none). */
export function minMaxLast(values: readonly (number | undefined)[]): { min: number; max: number; last: number } | null {
  const xs = values.map(finite).filter((v): v is number => v !== null)
  if (xs.length === 0) return null
  return { min: Math.min(...xs), max: Math.max(...xs), last: xs[xs.length - 1] }
}

export function runsPayload(db: Database.Database, where = ''): { columns: readonly UiColumn[]; rows: RunRow[] } {
  const rows = queryRuns(db, { where })
  const windows = new Map(
    (
      db
        .prepare(
          `SELECT run_id, json_extract(record_json, '$.evaluation.windows') AS w FROM runs WHERE evaluation = 'walk_forward'`,
        )
        .all() as { run_id: string; w: string | null }[]
    ).map((r) => [r.run_id, r.w === null ? [] : decodeJson<WindowRecord[]>(r.w)]),
  )
  for (const row of rows) {
    const ws = windows.get(String(row.run_id)) ?? []
    for (const s of WINDOW_SERIES) {
      const m = minMaxLast(ws.map(s.of))
      row[`${s.name}_min`] = m?.min ?? null
      row[`${s.name}_max`] = m?.max ?? null
      row[`${s.name}_last`] = m?.last ?? null
    }
    for (const c of RUN_COLUMNS) if (c.type === 'number') row[c.name] = finite(row[c.name])
  }
  return { columns: UI_COLUMNS, rows }
}

export interface ComparedRun {
  readonly runId: string
  readonly row: RunRow
  readonly curves: {
    readonly ts: number[]
    readonly net: (number | null)[]
    readonly netDrawdown: (number | null)[]
    readonly gross: (number | null)[] | null
    readonly grossDrawdown: (number | null)[] | null
  } | null
  readonly reliability: { readonly before: ReliabilityBin[]; readonly after: ReliabilityBin[] } | null
  readonly featureImportance: { feature: string; gain: number | null }[]
}

/** What a record's feature importance is (src/pipeline/stages/record.ts): it does not name a model. */
export const IMPORTANCE_OF = "gain averaged over the final model's members that report it on every feature, last window"

const drawdownOf = (equity: readonly number[]): number[] => {
  let peak = -Infinity
  return equity.map((e) => {
    peak = Math.max(peak, e)
    return e / peak - 1
  })
}

function curvesOf(run: RunRecord): ComparedRun['curves'] {
  const e = run.backtest?.equity
  if (!e || e.ts.length === 0) return null
  const keep = decimateIndices(e.equity, e.drawdown, COMPARE_POINTS)
  const pick = (xs: readonly number[]) => keep.map((i) => finite(xs[i]))
  const grossDd = e.gross ? drawdownOf(e.gross) : null
  return {
    ts: keep.map((i) => e.ts[i]),
    net: pick(e.equity),
    netDrawdown: pick(e.drawdown),
    gross: e.gross ? pick(e.gross) : null,
    grossDrawdown: grossDd ? pick(grossDd) : null,
  }
}

const cleanNumbers = <V extends Value>(rows: DiffRow<V>[]) =>
  rows.map((r) => ({ key: r.key, values: r.values.map((v) => (typeof v === 'number' ? finite(v) : (v ?? null))) }))

export function comparePayload(store: RunStore, texts: readonly string[]) {
  if (texts.length < 2 || texts.length > MAX_COMPARED)
    throw new Error(`compare takes 2 to ${MAX_COMPARED} runs, got ${texts.length}`)
  const ids = texts.map((t) => resolveRunId(store.db, t))
  if (new Set(ids).size !== ids.length) throw new Error('compare: a run is listed twice')
  const records = ids.map((id) => store.get(id)!)
  const rows = new Map(queryRuns(store.db, { runIds: ids }).map((r) => [r.run_id, r]))
  const diff = diffRuns(records)
  return {
    runIds: ids,
    config: cleanNumbers(diff.config),
    metrics: cleanNumbers(diff.metrics),
    compared: diff.compared,
    importanceOf: IMPORTANCE_OF,
    runs: records.map((r): ComparedRun => ({
      runId: r.runId,
      row: rows.get(r.runId)!,
      curves: curvesOf(r),
      reliability: r.calibration
        ? { before: r.calibration.before.reliability, after: r.calibration.after.reliability }
        : null,
      featureImportance: (r.featureImportance ?? [])
        .slice()
        .sort((a, b) => b.gain - a.gain)
        .slice(0, COMPARE_FEATURES)
        .map((f) => ({ feature: f.feature, gain: finite(f.gain) })),
    })),
  }
}

export function sweepsPayload(db: Database.Database) {
  return db
    .prepare(
      `SELECT s.sweep_id AS sweepId, s.created_at AS createdAt, s.status AS status, s.data_file AS dataFile,
         json_extract(s.spec_json, '$.objective.metric') AS metric,
         json_extract(s.spec_json, '$.sampler.kind') AS sampler,
         (SELECT count(*) FROM trials t WHERE t.sweep_id = s.sweep_id) AS trials
       FROM sweeps s ORDER BY s.created_at DESC`,
    )
    .all()
}

interface SpecDimension {
  readonly path: string
  readonly param: { readonly type: string }
}

interface TrialOutcomeLike {
  readonly curves?: Readonly<Record<string, readonly (number | null)[]>>
}

/**
 * One sweep's trials for parallel coordinates: an axis per parameter (log for log-uniform parameters, categories for
 * choices) and the objective; each trial's learning curves as min, max and last per curve.
 */
export function sweepPayload(store: RunStore, sweepId: string) {
  const sweep = getSweep(store, sweepId)
  if (!sweep) throw new Error(`no sweep "${sweepId}" in the store`)
  const spec = sweep.spec as { space?: SpecDimension[]; objective?: { metric: string; direction: string } }
  const trials = trialsOf<TrialOutcomeLike>(store, sweepId)
  const paths = spec.space?.map((d) => d.path) ?? [...new Set(trials.flatMap((t) => Object.keys(t.params)))]
  const axes = paths.map((path) => {
    const type = spec.space?.find((d) => d.path === path)?.param.type
    const values = trials.map((t) => t.params[path])
    if (values.every((v) => typeof v === 'number'))
      return { path, kind: type === 'log_uniform' ? ('log' as const) : ('value' as const), categories: null }
    return { path, kind: 'category' as const, categories: [...new Set(values.map((v) => JSON.stringify(v)))] }
  })
  return {
    sweepId,
    createdAt: sweep.createdAt,
    status: sweep.status,
    objective: spec.objective ?? null,
    axes,
    trials: trials.map((t) => ({
      window: t.window,
      number: t.number,
      status: t.status,
      value: finite(t.value),
      seconds: t.seconds,
      x: axes.map((a) =>
        a.categories ? a.categories.indexOf(JSON.stringify(t.params[a.path])) : finite(t.params[a.path]),
      ),
      curves: Object.fromEntries(
        Object.entries(t.outcome.curves ?? {}).map(([k, c]) => [
          k,
          { steps: c.length, ...minMaxLast(c.map((v) => (v === null ? undefined : v))) },
        ]),
      ),
    })),
  }
}
