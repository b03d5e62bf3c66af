/**
 * What differs between runs: the resolved config and every metric flattened to dotted keys, keeping only the keys
 * whose values are not the same in all the runs (a key one run lacks counts as differing). Used by `mlf runs diff`
 * and the compare view of `mlf ui`.
 */
import type { RunRecord } from './types.js'

export type Value = string | number | boolean | null

/** Leaves of a JSON value by dotted path (array items by index); an empty object or array is a leaf of its own. */
export function flatten(value: unknown, prefix = '', out = new Map<string, Value>()): Map<string, Value> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)
    if (entries.length === 0) out.set(prefix, Array.isArray(value) ? '[]' : '{}')
    for (const [k, v] of entries) if (v !== undefined) flatten(v, prefix ? `${prefix}.${k}` : k, out)
    return out
  }
  if (value === undefined) return out
  out.set(prefix, value as Value)
  return out
}

/** Every metric of a run by a dotted key: models, heads, backtest, policies, calibration, canary. */
export function runMetrics(run: RunRecord): Map<string, number> {
  const out = new Map<string, number>()
  const put = (prefix: string, m: Readonly<Record<string, number>>) => {
    for (const [k, v] of Object.entries(m)) out.set(`${prefix}.${k}`, v)
  }
  for (const m of run.models) for (const split of ['val', 'test'] as const) put(`${m.name}.${split}`, m.metrics[split])
  for (const h of run.heads ?? [])
    for (const split of ['val', 'test', 'test_raw'] as const) put(`head ${h.head}.${split}`, h.metrics[split])
  if (run.backtest) put('backtest', run.backtest.metrics)
  for (const p of run.policies ?? []) put(`policy ${p.policy}`, p.metrics)
  if (run.calibration) {
    const { before, after } = run.calibration
    put('calibration.before', { ece: before.ece, brier: before.brier, log_loss: before.logLoss })
    put('calibration.after', { ece: after.ece, brier: after.brier, log_loss: after.logLoss })
  }
  if (run.canary) out.set('canary.test_auc', run.canary.testAuc)
  return out
}

const same = (a: Value | undefined, b: Value | undefined) =>
  a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))

export interface DiffRow<V> {
  readonly key: string
  /** One per run, in the runs' order; undefined where the run lacks the key. */
  readonly values: readonly (V | undefined)[]
}

/** The keys whose values are not all the same, in the order first seen. */
export function differing<V extends Value>(maps: readonly ReadonlyMap<string, V>[]): DiffRow<V>[] {
  const keys = new Set<string>()
  for (const m of maps) for (const k of m.keys()) keys.add(k)
  const rows: DiffRow<V>[] = []
  for (const key of keys) {
    const values = maps.map((m) => m.get(key))
    if (values.some((v) => !same(v, values[0]))) rows.push({ key, values })
  }
  return rows
}

export interface RunDiff {
  readonly runIds: readonly string[]
  readonly config: DiffRow<Value>[]
  readonly metrics: DiffRow<number>[]
  /** How many config keys and metrics were compared in all. */
  readonly compared: { readonly config: number; readonly metrics: number }
}

export function diffRuns(runs: readonly RunRecord[]): RunDiff {
  if (runs.length < 2) throw new Error(`a diff needs at least two runs, got ${runs.length}`)
  const configs = runs.map((r) => flatten(r.config))
  const metrics = runs.map(runMetrics)
  const count = (ms: readonly ReadonlyMap<string, unknown>[]) => new Set(ms.flatMap((m) => [...m.keys()])).size
  return {
    runIds: runs.map((r) => r.runId),
    config: differing(configs),
    metrics: differing(metrics),
    compared: { config: count(configs), metrics: count(metrics) },
  }
}
