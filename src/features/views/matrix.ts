import type { FeatureFrame } from '../frame.js'
import type { FeatureMatrixView } from './types.js'

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
      if (k === undefined) throw new Error(`view: feature ${n} is not in the frame (${frame.names.length} features)`)
      return k
    }),
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
    for (let i = 0; i < rows.length; i++) data[i * f + j] = c[rows[i]]
  }
  return { kind: 'feature_matrix', n: rows.length, f, data, names: [...names], rows }
}
