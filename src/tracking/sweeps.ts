/**
 * Sweeps in the run store: the `sweeps` row (its spec, status and, once done, its result) and one `trials` row per
 * trial (values, status, objective value, the whole outcome as JSON). The sweep's coordinator is the only writer, so
 * SQLite never sees concurrent writers however many workers run the trials; each trial is written once, in one
 * statement, and a sweep resumed after a restart reads its trials back from here.
 */
import type { RunStore } from './store.js'
import { decodeJson, encodeJson } from './store.js'

export interface SweepRow {
  readonly sweepId: string
  readonly createdAt: string
  readonly sweepHash: string
  readonly dataFingerprint: string
  readonly dataFile: string
  readonly seed: number
  readonly status: 'running' | 'complete'
  readonly spec: unknown
  readonly result: unknown
}

export interface TrialRow<O = unknown> {
  readonly window: string
  readonly number: number
  readonly params: Readonly<Record<string, unknown>>
  readonly status: string
  readonly value: number | null
  readonly seconds: number
  readonly outcome: O
}

export function beginSweep(store: RunStore, s: Omit<SweepRow, 'status' | 'result'>): void {
  store.db
    .prepare(
      `INSERT INTO sweeps (sweep_id, created_at, sweep_hash, data_fingerprint, data_file, seed, status, spec_json)
       VALUES (?, ?, ?, ?, ?, ?, 'running', ?)`,
    )
    .run(s.sweepId, s.createdAt, s.sweepHash, s.dataFingerprint, s.dataFile, s.seed, encodeJson(s.spec))
}

export function getSweep(store: RunStore, sweepId: string): SweepRow | undefined {
  const r = store.db.prepare('SELECT * FROM sweeps WHERE sweep_id = ?').get(sweepId) as
    Record<string, string | number | null> | undefined
  if (!r) return undefined
  return {
    sweepId: String(r.sweep_id),
    createdAt: String(r.created_at),
    sweepHash: String(r.sweep_hash),
    dataFingerprint: String(r.data_fingerprint),
    dataFile: String(r.data_file),
    seed: Number(r.seed),
    status: r.status === 'complete' ? 'complete' : 'running',
    spec: decodeJson(String(r.spec_json)),
    result: r.result_json === null ? null : decodeJson(String(r.result_json)),
  }
}

/** Record a trial; a trial recorded twice is an error (the coordinator records each exactly once). */
export function recordTrial<O extends { status: string; value: number | null; seconds: number }>(
  store: RunStore,
  sweepId: string,
  trial: { window: string; number: number; params: Readonly<Record<string, unknown>>; outcome: O },
): void {
  const o = trial.outcome
  store.db
    .prepare(
      `INSERT INTO trials (sweep_id, window, number, params_json, status, value, seconds, outcome_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      sweepId,
      trial.window,
      trial.number,
      encodeJson(trial.params),
      o.status,
      o.value !== null && Number.isFinite(o.value) ? o.value : null,
      o.seconds,
      encodeJson(o),
    )
}

/** A sweep's trials by window (in the order first recorded) and number. */
export function trialsOf<O>(store: RunStore, sweepId: string): TrialRow<O>[] {
  const rows = store.db.prepare('SELECT * FROM trials WHERE sweep_id = ? ORDER BY rowid').all(sweepId) as Record<
    string,
    string | number | null
  >[]
  return rows.map((r) => ({
    window: String(r.window),
    number: Number(r.number),
    params: decodeJson(String(r.params_json)),
    status: String(r.status),
    value: r.value === null ? null : Number(r.value),
    seconds: Number(r.seconds),
    outcome: decodeJson<O>(String(r.outcome_json)),
  }))
}

export function finishSweep(store: RunStore, sweepId: string, result: unknown): void {
  store.db
    .prepare(`UPDATE sweeps SET status = 'complete', result_json = ? WHERE sweep_id = ?`)
    .run(encodeJson(result), sweepId)
}
