import { createHash } from 'node:crypto'
import type { Bar, Bars } from '../data/bars.js'
import { ONE_MINUTE, type Timeframe } from '../data/timeframe.js'
import type { FeaturesConfig } from './config.js'
import { similar } from '../core/suggest.js'
import { createFeatureEngine, planFeatures, type ColumnSpec, type EnginePlan } from './engine.js'
import type { VolumeMode } from './indicators/volume.js'

export type FeatureDtype = 'float64'

/** What later stages and bundles check: a model accepts a frame only if the hash matches the one it was fit on. */
export interface FeatureSchema {
  readonly names: readonly string[]
  readonly dtypes: readonly FeatureDtype[]
  /** [rows, features] */
  readonly shape: readonly [number, number]
  /** SHA-256 (hex) of names, dtypes, every column's kernel parameters and the volume mode; independent of rows. */
  readonly hash: string
}

/** Feature values of one timeframe at each of its closed bars, and the 1m row from which each may be seen. */
export interface TimeframeSeries {
  readonly timeframe: string
  readonly ms: number
  readonly length: number
  /** names of the frame columns this timeframe produces, in frame order */
  readonly names: readonly string[]
  readonly columns: readonly Float64Array[]
  /** 1m row index at which bar k was emitted closed (equals `ResampledBars.availableAt`) */
  readonly availableAt: Int32Array
}

/** Columnar features on the 1m grid. Warm-up rows hold NaN and `usable` 0; nothing is zero-filled. */
export interface FeatureFrame {
  readonly length: number
  readonly names: readonly string[]
  readonly columns: readonly Float64Array[]
  readonly usable: Uint8Array
  /** 1m bar open times (epoch ms), one per row */
  readonly ts: Float64Array
  readonly schema: FeatureSchema
  readonly volumeMode: VolumeMode
  readonly timeframes: readonly TimeframeSeries[]
  /** where each column comes from (group, timeframe, kernel, parameters, warm-up), in column order */
  readonly specs: readonly ColumnSpec[]
}

/** `absent_neutral` when no bar carries a positive volume (volume all 0 or missing), else `present`. */
export function detectVolumeMode(bars: Bars): VolumeMode {
  const v = bars.volume
  for (let i = 0; i < v.length; i++) if (v[i] > 0) return 'present'
  return 'absent_neutral'
}

export function resolveVolumeMode(config: Readonly<FeaturesConfig>, bars: Bars): VolumeMode {
  return config.volume.mode === 'auto' ? detectVolumeMode(bars) : config.volume.mode
}

function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(x)
}

export function schemaHash(plan: EnginePlan): string {
  const body = canonical({
    version: 1,
    volumeMode: plan.volumeMode,
    originMs: plan.originMs,
    columns: plan.columns.map((c) => ({ ...c, dtype: 'float64' })),
  })
  return createHash('sha256').update(body).digest('hex')
}

export function featureSchema(plan: EnginePlan, rows: number): FeatureSchema {
  const names = plan.columns.map((c) => c.name)
  return Object.freeze({
    names: Object.freeze(names),
    dtypes: Object.freeze(names.map((): FeatureDtype => 'float64')),
    shape: Object.freeze([rows, names.length] as [number, number]),
    hash: schemaHash(plan),
  })
}

interface GrowableColumns {
  data: Float64Array[]
  at: Int32Array
  length: number
}

function growable(width: number, capacity: number): GrowableColumns {
  return {
    data: Array.from({ length: width }, () => new Float64Array(capacity)),
    at: new Int32Array(capacity),
    length: 0,
  }
}

/**
 * Batch features: the streaming engine replayed over `bars` (1m, strictly increasing time). Row i equals the engine's
 * row after pushing bar i live, bit for bit: 1m and interaction columns are copied from it, higher-timeframe columns
 * are written as the runs over which the engine row held each of their values (the parity test checks every row).
 */
export function computeFeatures(
  bars: Bars,
  config: Readonly<FeaturesConfig>,
  volumeMode?: VolumeMode,
  originMs = 0,
  base: Timeframe = ONE_MINUTE,
): FeatureFrame {
  const plan = planFeatures(config, volumeMode ?? resolveVolumeMode(config, bars), originMs, base)
  return replay(bars, plan)
}

export function replay(bars: Bars, plan: EnginePlan): FeatureFrame {
  const n = bars.length
  const f = plan.columns.length
  // One allocation for the whole matrix where it fits a typed array (one external-memory charge for the GC, not f).
  const whole = n * f <= 2 ** 31 ? new Float64Array(n * f) : null
  const columns = Array.from({ length: f }, (_, j) =>
    whole ? whole.subarray(j * n, (j + 1) * n) : new Float64Array(n),
  )
  const usable = new Uint8Array(n)
  let native: (GrowableColumns | undefined)[] = []
  let tfCols: Int32Array[] = []
  // Higher-timeframe columns are written once the replay is done, one column at a time (one sequential write stream
  // each, and no fill bookkeeping per emitted bar while replaying): bar m of a timeframe fills rows
  // [availableAt[m], availableAt[m + 1]), exactly the rows where the engine row showed it (forward fill).
  const fillColumns = (k: number): void => {
    const g = native[k] as GrowableColumns
    const cols = tfCols[k]
    const at = g.at
    for (let j = 0; j < cols.length; j++) {
      const c = columns[cols[j]]
      const d = g.data[j]
      c.fill(Number.NaN, 0, g.length > 0 ? at[0] : n)
      for (let m = 0; m < g.length; m++) {
        const to = m + 1 < g.length ? at[m + 1] : n
        const v = d[m]
        for (let i = at[m]; i < to; i++) c[i] = v
      }
    }
  }
  const onEmit = (k: number, i: number): void => {
    const g = native[k]
    if (g === undefined) return // 1m: copied row by row below; its series is the frame itself
    if (g.length === g.at.length) {
      const cap = g.length * 2 + 16
      g.data = g.data.map((c) => {
        const d = new Float64Array(cap)
        d.set(c)
        return d
      })
      const at = new Int32Array(cap)
      at.set(g.at)
      g.at = at
    }
    const cols = tfCols[k]
    for (let j = 0; j < cols.length; j++) g.data[j][g.length] = row[cols[j]]
    g.at[g.length++] = i
  }
  const engine = createFeatureEngine(plan, { onEmit })
  const row = engine.row
  tfCols = engine.timeframes.map((t) => t.columns)
  const baseMs = plan.base.ms
  native = engine.timeframes.map((t) =>
    t.timeframe.ms === baseMs ? undefined : growable(t.columns.length, Math.ceil(n / (t.timeframe.ms / baseMs)) + 16),
  )
  // Columns that can change on every row: the 1m kernels and the interactions.
  const perRow = Int32Array.from([
    ...engine.timeframes.filter((t) => t.timeframe.ms === baseMs).flatMap((t) => [...t.columns]),
    ...plan.interactions.map((x) => x.at),
  ])
  const fr = perRow.length
  const bar: Bar = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 }
  const { ts, open, high, low, close, volume } = bars
  // Per-row columns are staged in a small row-major block and transposed a block at a time (sequential writes).
  const B = 512
  const block = new Float64Array(B * Math.max(1, fr))
  for (let start = 0; start < n; start += B) {
    const end = Math.min(n, start + B)
    for (let i = start; i < end; i++) {
      bar.ts = ts[i]
      bar.open = open[i]
      bar.high = high[i]
      bar.low = low[i]
      bar.close = close[i]
      bar.volume = volume[i]
      engine.push(bar)
      for (let q = 0, o = (i - start) * fr; q < fr; q++) block[o + q] = row[perRow[q]]
      usable[i] = engine.usable() ? 1 : 0
    }
    for (let q = 0; q < fr; q++) {
      const c = columns[perRow[q]]
      for (let i = start, k = q; i < end; i++, k += fr) c[i] = block[k]
    }
  }
  for (let k = 0; k < tfCols.length; k++) if (native[k] !== undefined) fillColumns(k)
  const names = engine.names
  const timeframes: TimeframeSeries[] = engine.timeframes.map((t, k) => {
    const colNames = [...t.columns].map((c) => names[c])
    if (t.timeframe.ms === baseMs) {
      return {
        timeframe: t.timeframe.name,
        ms: t.timeframe.ms,
        length: n,
        names: colNames,
        columns: [...t.columns].map((c) => columns[c]),
        availableAt: identityIndex(n),
      }
    }
    const g = native[k] as GrowableColumns
    return {
      timeframe: t.timeframe.name,
      ms: t.timeframe.ms,
      length: g.length,
      names: colNames,
      columns: g.data.map((c) => c.subarray(0, g.length)),
      availableAt: g.at.subarray(0, g.length),
    }
  })
  return {
    length: n,
    names,
    columns,
    usable,
    ts: bars.ts,
    schema: featureSchema(plan, n),
    volumeMode: plan.volumeMode,
    timeframes,
    specs: plan.columns,
  }
}

/** 0, 1, ..., n - 1 (a plain loop: Int32Array.from with a callback costs a call per row). */
function identityIndex(n: number): Int32Array {
  const a = new Int32Array(n)
  for (let i = 0; i < n; i++) a[i] = i
  return a
}

/** Column by name, with an error listing close names when it is absent. */
export function column(frame: Pick<FeatureFrame, 'names' | 'columns'>, name: string): Float64Array {
  const k = frame.names.indexOf(name)
  if (k < 0) {
    const near = similar(name, frame.names, 8)
    throw new Error(`feature ${name} is not in the frame${near.length ? `; similar: ${near.join(', ')}` : ''}`)
  }
  return frame.columns[k]
}
