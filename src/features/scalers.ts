import { assertTrainIndices, type TrainIndices } from '../validation/indices.js'
import { quantileSorted } from '../core/quantile.js'

/**
 * Per-feature scalers fitted on training rows only. The fitting API takes `TrainIndices` (branded, minted only by the
 * split functions of src/validation/ and checked at run time), so validation or test rows cannot shape the scaling.
 * A fitted scaler is plain data (`toJSON`/`scalerFromJSON`) saved with the model; it records the frame's schema hash
 * and refuses frames with another schema.
 */
export type ScalerKind = 'zscore' | 'robust'

export interface Scaler {
  readonly kind: ScalerKind
  readonly schemaHash: string
  readonly names: readonly string[]
  /** subtracted: mean (zscore) or median (robust) */
  readonly center: Float64Array
  /** divided by: standard deviation (zscore) or interquartile range (robust); 1 where that is 0 or undefined */
  readonly scale: Float64Array
  /** training rows with a finite value, per feature */
  readonly count: Int32Array
}

export interface ScalableFrame {
  readonly names: readonly string[]
  readonly columns: readonly Float64Array[]
  readonly schema: { readonly hash: string }
}

/** Fit on the finite values of each feature at the training rows (NaN warm-up rows are ignored, never imputed). */
export function fitScaler(kind: ScalerKind, frame: ScalableFrame, train: TrainIndices): Scaler {
  assertTrainIndices(train, `fitScaler(${kind})`)
  const f = frame.names.length
  const center = new Float64Array(f)
  const scale = new Float64Array(f)
  const count = new Int32Array(f)
  const buf = new Float64Array(train.length)
  for (let j = 0; j < f; j++) {
    const c = frame.columns[j]
    let m = 0
    for (let i = 0; i < train.length; i++) {
      const r = train[i]
      if (r >= c.length) throw new Error(`fitScaler: train row ${r} is outside the frame (${c.length} rows)`)
      const v = c[r]
      if (Number.isFinite(v)) buf[m++] = v
    }
    count[j] = m
    if (m === 0) {
      center[j] = 0
      scale[j] = 1
      continue
    }
    if (kind === 'zscore') {
      let s = 0
      for (let i = 0; i < m; i++) s += buf[i]
      const mean = s / m
      let ss = 0
      for (let i = 0; i < m; i++) ss += (buf[i] - mean) * (buf[i] - mean)
      const sd = Math.sqrt(ss / m)
      center[j] = mean
      scale[j] = sd > 0 ? sd : 1
    } else {
      const sorted = buf.subarray(0, m).sort()
      const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25)
      center[j] = quantileSorted(sorted, 0.5)
      scale[j] = iqr > 0 ? iqr : 1
    }
  }
  return { kind, schemaHash: frame.schema.hash, names: [...frame.names], center, scale, count }
}

function checkSchema(s: Scaler, frame: ScalableFrame): void {
  if (frame.schema.hash !== s.schemaHash) {
    throw new Error(
      `scaler was fitted on feature schema ${s.schemaHash.slice(0, 12)}, frame has ${frame.schema.hash.slice(0, 12)}`,
    )
  }
}

/** Scaled copies of every column ((x - center) / scale; NaN stays NaN). */
export function transformFrame(s: Scaler, frame: ScalableFrame): Float64Array[] {
  checkSchema(s, frame)
  return frame.columns.map((c, j) => {
    const out = new Float64Array(c.length)
    const m = s.center[j]
    const inv = 1 / s.scale[j]
    for (let i = 0; i < c.length; i++) out[i] = (c[i] - m) * inv
    return out
  })
}

/** Scales a row-major (n, f) matrix in place, f = the scaler's feature count (e.g. a feature_matrix view). */
export function transformMatrixInPlace(s: Scaler, data: Float64Array | Float32Array, f: number): void {
  if (f !== s.names.length)
    throw new Error(`transformMatrixInPlace: matrix has ${f} features, scaler ${s.names.length}`)
  for (let i = 0; i < data.length; i += f) {
    for (let j = 0; j < f; j++) data[i + j] = (data[i + j] - s.center[j]) / s.scale[j]
  }
}

export interface ScalerJSON {
  kind: ScalerKind
  schemaHash: string
  names: string[]
  center: number[]
  scale: number[]
  count: number[]
}

export function scalerToJSON(s: Scaler): ScalerJSON {
  return {
    kind: s.kind,
    schemaHash: s.schemaHash,
    names: [...s.names],
    center: [...s.center],
    scale: [...s.scale],
    count: [...s.count],
  }
}

export function scalerFromJSON(j: ScalerJSON): Scaler {
  const f = j.names.length
  if (!(j.kind === 'zscore' || j.kind === 'robust')) throw new Error(`scaler: unknown kind ${String(j.kind)}`)
  for (const k of ['center', 'scale', 'count'] as const) {
    if (!Array.isArray(j[k]) || j[k].length !== f)
      throw new Error(`scaler: ${k} has ${j[k]?.length} entries for ${f} features`)
  }
  return {
    kind: j.kind,
    schemaHash: j.schemaHash,
    names: [...j.names],
    center: Float64Array.from(j.center),
    scale: Float64Array.from(j.scale),
    count: Int32Array.from(j.count),
  }
}
