/**
 * Index sets produced by the split functions of `src/validation/`.
 *
 * `TrainIndices` is a branded, strictly increasing Int32Array of row indices. Every fitting API (scalers, models,
 * parameter searches, regime models) accepts only this type, so a caller cannot hand it a test or a hand-built
 * range by accident: the brand can only be minted here, by the split functions (a test checks that no module
 * outside `src/validation/` imports `mintTrainIndices`). The brand is also checked at run time (`assertTrainIndices`):
 * a plain array cast to the type is rejected, because only minted arrays are remembered.
 *
 * Treat the arrays as read-only; typed arrays cannot be frozen.
 */
declare const trainBrand: unique symbol

export type TrainIndices = Int32Array & { readonly [trainBrand]: 'TrainIndices' }

/** Validation or test rows: not branded, because nothing may be fitted on them. */
export type EvalIndices = Int32Array

const minted = new WeakSet<Int32Array>()

/**
 * Brand `rows` as training rows. Only the split functions in `src/validation/` may call this.
 * Throws unless `rows` is strictly increasing and non-negative.
 */
export function mintTrainIndices(rows: Int32Array): TrainIndices {
  checkIncreasing(rows, 'train indices')
  minted.add(rows)
  return rows as TrainIndices
}

/** True only for arrays minted by a split function (a cast does not pass). */
export function isTrainIndices(x: unknown): x is TrainIndices {
  return x instanceof Int32Array && minted.has(x)
}

/** Run-time guard for fitting APIs: `where` names the caller in the error. */
export function assertTrainIndices(x: unknown, where: string): asserts x is TrainIndices {
  if (!isTrainIndices(x)) {
    throw new Error(
      `${where}: expected TrainIndices produced by a split function in src/validation/, got ${describe(x)}`,
    )
  }
}

/**
 * A subset of training rows is still training rows (e.g. the inner folds of a parameter search).
 * `keep(row)` selects the rows to retain.
 */
export function subsetTrainIndices(train: TrainIndices, keep: (row: number) => boolean): TrainIndices {
  assertTrainIndices(train, 'subsetTrainIndices')
  const out: number[] = []
  for (let i = 0; i < train.length; i++) if (keep(train[i])) out.push(train[i])
  return mintTrainIndices(Int32Array.from(out))
}

/** Gather `values[rows[i]]` into a new array (e.g. the training targets). */
export function gatherRows(values: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]
    if (r >= values.length) throw new Error(`gatherRows: row ${r} out of range (length ${values.length})`)
    out[i] = values[r]
  }
  return out
}

/** Rows [start, end) as an Int32Array. */
export function rangeRows(start: number, end: number): Int32Array {
  const out = new Int32Array(Math.max(0, end - start))
  for (let i = 0; i < out.length; i++) out[i] = start + i
  return out
}

export function checkIncreasing(rows: Int32Array, what: string): void {
  for (let i = 0; i < rows.length; i++) {
    if (rows[i] < 0) throw new Error(`${what}: negative row ${rows[i]} at position ${i}`)
    if (i > 0 && rows[i] <= rows[i - 1]) {
      throw new Error(`${what}: not strictly increasing at position ${i} (${rows[i - 1]} then ${rows[i]})`)
    }
  }
}

function describe(x: unknown): string {
  if (x instanceof Int32Array) return 'an Int32Array not minted by a split function'
  if (x === null) return 'null'
  return Array.isArray(x) ? 'a plain array' : typeof x
}
