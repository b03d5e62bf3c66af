import type { FeatureMatrixView } from './types.js'

/**
 * A feature matrix built once for a set of dataset rows (a training window) and shared by every model fitted or
 * scored on subsets of those rows (stacking folds, a blending holdout, the refit). An engine that copies its input
 * into its own format (XGBoost's DMatrix) converts the base once and takes row slices of that copy, and models fitted
 * on the same subset in turn reuse one slice (XGBoost keeps its quantised matrix with it); any other model reads the
 * subset's `data`, gathered from the base on first use. Values are the same either way, so results are too.
 */
export interface SharedMatrix {
  readonly base: FeatureMatrixView
  /** The dataset row of each base row, strictly increasing. */
  readonly rows: Int32Array
  /** A view of some of the base's rows; the same `rows` array gives the same view object. Null if one is not in the base. */
  subset(rows: Int32Array): SubsetView | null
  /**
   * An engine's copy of `view` (the base or a subset of it), made on first request and freed by `free` on dispose;
   * at most one subset copy is kept per key (the newest), since folds are visited one after another. Undefined once
   * disposed: the engine then works from `data` as for any view.
   */
  engineCopy<T>(view: FeatureMatrixView, key: string, make: () => T, free: (copy: T) => void): T | undefined
  /** Frees every engine copy; views made from this matrix keep working from their data. */
  dispose(): void
}

/** A row subset of a shared matrix: `positions` are base rows; `data` is gathered when first read. */
export interface SubsetView extends FeatureMatrixView {
  readonly subsetOf: { readonly shared: SharedMatrix; readonly positions: Int32Array }
}

export function isSubsetView(view: FeatureMatrixView): view is SubsetView {
  return (view as Partial<SubsetView>).subsetOf !== undefined
}

interface Copy {
  readonly value: unknown
  readonly free: (copy: never) => void
}

export function sharedMatrix(base: FeatureMatrixView, rows: Int32Array): SharedMatrix {
  if (rows.length !== base.n) throw new Error(`shared matrix: ${rows.length} rows for a base of ${base.n}`)
  for (let i = 1; i < rows.length; i++) {
    if (!(rows[i] > rows[i - 1])) throw new Error('shared matrix: rows must be strictly increasing')
  }
  const baseCopies = new Map<string, Copy>()
  const subsetCopies = new Map<string, { view: FeatureMatrixView; copy: Copy }>()
  // Views by the rows array they were asked for: a fold's members (and its scoring) pass the same array.
  let views = new WeakMap<Int32Array, SubsetView>()
  let disposed = false
  const release = (c: Copy) => (c.free as (v: unknown) => void)(c.value)

  const shared: SharedMatrix = {
    base,
    rows,
    subset(subRows) {
      const known = views.get(subRows)
      if (known) return known
      const positions = positionsIn(rows, subRows)
      if (!positions) return null
      const view = subsetView(shared, positions)
      views.set(subRows, view)
      return view
    },
    engineCopy<T>(view: FeatureMatrixView, key: string, make: () => T, free: (copy: T) => void): T | undefined {
      if (disposed) return undefined
      if (view === base) {
        let c = baseCopies.get(key)
        if (!c) {
          c = { value: make(), free: free as (copy: never) => void }
          baseCopies.set(key, c)
        }
        return c.value as T
      }
      if (!isSubsetView(view) || view.subsetOf.shared !== shared)
        throw new Error('engineCopy: the view is not this shared matrix or a subset of it')
      const held = subsetCopies.get(key)
      if (held?.view === view) return held.copy.value as T
      if (held) {
        subsetCopies.delete(key)
        release(held.copy)
      }
      const copy = { value: make(), free: free as (copy: never) => void }
      subsetCopies.set(key, { view, copy })
      return copy.value as T
    },
    dispose() {
      if (disposed) return
      disposed = true
      for (const { copy } of subsetCopies.values()) release(copy)
      for (const c of baseCopies.values()) release(c)
      subsetCopies.clear()
      baseCopies.clear()
      views = new WeakMap()
    },
  }
  return shared
}

function subsetView(shared: SharedMatrix, positions: Int32Array): SubsetView {
  const { base } = shared
  let data: Float64Array | null = null
  return {
    kind: 'feature_matrix',
    n: positions.length,
    f: base.f,
    names: base.names,
    subsetOf: { shared, positions },
    get data() {
      if (!data) {
        const f = base.f
        data = new Float64Array(positions.length * f)
        for (let i = 0; i < positions.length; i++) {
          const p = positions[i] * f
          data.set(base.data.subarray(p, p + f), i * f)
        }
      }
      return data
    },
  }
}

/** Base positions of `subRows` (both increasing dataset rows), or null when one of them is not a base row. */
function positionsIn(rows: Int32Array, subRows: Int32Array): Int32Array | null {
  const out = new Int32Array(subRows.length)
  let j = 0
  for (let i = 0; i < subRows.length; i++) {
    const r = subRows[i]
    if (i > 0 && !(r > subRows[i - 1])) return null
    while (j < rows.length && rows[j] < r) j++
    if (j === rows.length || rows[j] !== r) return null
    out[i] = j
  }
  return out
}
