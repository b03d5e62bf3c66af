import type { FeatureFrame } from '../frame.js'
import type { FeatureMatrixView } from './types.js'
import { didYouMean } from '../../core/suggest.js'

/** Rows where every feature is past its warm-up. */
export function usableRows(frame: Pick<FeatureFrame, 'usable'>): Int32Array {
  const out: number[] = []
  for (let i = 0; i < frame.usable.length; i++) if (frame.usable[i]) out.push(i)
  return Int32Array.from(out)
}

export function columnIndices(frame: Pick<FeatureFrame, 'names'>, names: readonly string[]): Int32Array {
  const index = new Map(frame.names.map((n, k) => [n, k]))
  return Int32Array.from(
    names.map((n) => {
      const k = index.get(n)
      if (k === undefined)
        throw new Error(
          `view: feature ${n} is not in the frame (${frame.names.length} features)${didYouMean(n, frame.names).replace(/^./, '; $&')}`,
        )
      return k
    }),
  )
}

/** The largest float32 magnitude: models take float32, so a finite float64 beyond it would reach them as infinite. */
export const FLOAT32_MAX = 3.4028234663852886e38

/**
 * A value no model may take: infinite, or beyond float32 (NaN is not one: it is warm-up or missing, which models
 * handle or impute). Checked where views are built, as a defence behind the price and volume bounds of validation.
 */
export const beyondFloat32 = (v: number): boolean => v > FLOAT32_MAX || v < -FLOAT32_MAX

export function infiniteFeatureError(
  view: string,
  frame: Pick<FeatureFrame, 'ts'>,
  feature: string,
  row: number,
  value: number,
): Error {
  const at = Number.isFinite(frame.ts[row]) ? ` (bar ${new Date(frame.ts[row]).toISOString()})` : ''
  return new Error(
    `${view}: feature ${feature} is ${value} at row ${row}${at}, which a model cannot take (infinite or beyond float32); check the bars around that time for extreme prices or volumes`,
  )
}

export function checkRows(rows: Int32Array, length: number, what: string): void {
  for (let i = 0; i < rows.length; i++) {
    if (!(rows[i] >= 0 && rows[i] < length))
      throw new Error(`${what}: row ${rows[i]} (sample ${i}) is outside 0..${length - 1}`)
  }
}

/** Row-major (n, f) copy of the chosen rows (default: usable rows) and features (default: all). */
export function featureMatrix(
  frame: FeatureFrame,
  options: { rows?: Int32Array; names?: readonly string[] } = {},
): FeatureMatrixView & { readonly rows: Int32Array } {
  const rows = options.rows ?? usableRows(frame)
  const names = options.names ?? frame.names
  checkRows(rows, frame.length, 'feature_matrix')
  const cols = columnIndices(frame, names)
  const f = cols.length
  const data = new Float64Array(rows.length * f)
  for (let j = 0; j < f; j++) {
    const c = frame.columns[cols[j]]
    for (let i = 0; i < rows.length; i++) {
      const v = c[rows[i]]
      if (beyondFloat32(v)) throw infiniteFeatureError('feature_matrix', frame, names[j], rows[i], v)
      data[i * f + j] = v
    }
  }
  return { kind: 'feature_matrix', n: rows.length, f, data, names: [...names], rows }
}
