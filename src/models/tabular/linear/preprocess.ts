import type { FeatureMatrixView } from '../../../features/views/types.js'

/**
 * Train-fitted input preparation shared by the non-tree models: NaN is replaced by the column's training median
 * (models other than trees cannot take missing values; medians are robust to the heavy tails of market features),
 * then, optionally, columns are z-scored with the training mean and standard deviation. Everything is saved with
 * the model so that prediction applies exactly the training transform.
 */
export interface Preprocessor {
  readonly names: readonly string[]
  readonly medians: Float64Array
  /** Subtracted after imputation (zeros when not standardizing). */
  readonly center: Float64Array
  /** Divided by after centering (ones when not standardizing or for a constant column). */
  readonly scale: Float64Array
}

export interface PreprocessorJson {
  names: string[]
  medians: number[]
  center: number[]
  scale: number[]
}

/** Fit medians (and, with `standardize`, mean/std of the imputed columns) on a training matrix. */
export function fitPreprocessor(m: FeatureMatrixView, standardize: boolean, model: string): Preprocessor {
  const { n, f, data } = m
  assertFiniteOrNaN(m, model)
  const medians = columnMedians(m)
  const center = new Float64Array(f)
  const scale = new Float64Array(f).fill(1)
  if (standardize) {
    const sum = new Float64Array(f)
    for (let i = 0; i < n; i++) {
      const row = i * f
      for (let j = 0; j < f; j++) {
        const v = data[row + j]
        sum[j] += v === v ? v : medians[j]
      }
    }
    for (let j = 0; j < f; j++) center[j] = sum[j] / n
    const ss = new Float64Array(f)
    for (let i = 0; i < n; i++) {
      const row = i * f
      for (let j = 0; j < f; j++) {
        const v = data[row + j]
        const d = (v === v ? v : medians[j]) - center[j]
        ss[j] += d * d
      }
    }
    for (let j = 0; j < f; j++) {
      const sd = Math.sqrt(ss[j] / n)
      // Constant columns keep scale 1 so they map to 0 instead of dividing by zero.
      scale[j] = sd > 1e-12 * Math.max(1, Math.abs(center[j])) ? sd : 1
    }
  }
  return Object.freeze({ names: [...m.names], medians, center, scale })
}

/** Imputed (and standardized) copy of `m`, row-major (n, f). */
export function applyPreprocessor(p: Preprocessor, m: FeatureMatrixView, model: string): Float64Array {
  const f = p.medians.length
  if (m.f !== f) throw new Error(`${model}: input has ${m.f} features, the model was fitted on ${f}`)
  assertFiniteOrNaN(m, model)
  const { n, data } = m
  const out = new Float64Array(n * f)
  const { medians, center, scale } = p
  for (let i = 0; i < n; i++) {
    const row = i * f
    for (let j = 0; j < f; j++) {
      const v = data[row + j]
      out[row + j] = ((v === v ? v : medians[j]) - center[j]) / scale[j]
    }
  }
  return out
}

/** The same preprocessor without standardization (for models that fold the scaling into their weights). */
export function imputeOnly(p: Preprocessor): Preprocessor {
  const f = p.medians.length
  return Object.freeze({ ...p, center: new Float64Array(f), scale: new Float64Array(f).fill(1) })
}

/** The raw training data with NaN replaced by the medians; the input itself (no copy) when it has no NaN. */
export function imputedData(p: Preprocessor, m: FeatureMatrixView): Float64Array {
  const { data, f } = m
  let i = 0
  while (i < data.length && data[i] === data[i]) i++
  if (i === data.length) return data
  const out = Float64Array.from(data)
  for (; i < out.length; i++) if (out[i] !== out[i]) out[i] = p.medians[i % f]
  return out
}

export function preprocessorToJson(p: Preprocessor): PreprocessorJson {
  return { names: [...p.names], medians: [...p.medians], center: [...p.center], scale: [...p.scale] }
}

export function preprocessorFromJson(j: PreprocessorJson, where: string): Preprocessor {
  const f = j.medians?.length
  if (!Array.isArray(j.names) || j.names.length !== f || j.center?.length !== f || j.scale?.length !== f) {
    throw new Error(`${where}: preprocess must have names, medians, center and scale of one common length`)
  }
  return Object.freeze({
    names: j.names,
    medians: Float64Array.from(j.medians),
    center: Float64Array.from(j.center),
    scale: Float64Array.from(j.scale),
  })
}

/** Reject infinite features, naming the feature and row (NaN is allowed: it means missing). */
export function assertFiniteOrNaN(m: FeatureMatrixView, model: string): void {
  const { data, f } = m
  for (let i = 0; i < data.length; i++) {
    const v = data[i]
    if (v === Infinity || v === -Infinity) {
      const j = i % f
      throw new Error(
        `${model}: feature "${m.names[j] ?? j}" at row ${(i - j) / f} is ${v}; features must be finite or NaN`,
      )
    }
  }
}

/**
 * Median of the non-NaN values of every column (0 for a column with none). Columns are gathered a group at a time
 * in one row-major pass each: gathering column by column would stride through memory f times.
 */
function columnMedians(m: FeatureMatrixView): Float64Array {
  const { n, f, data } = m
  const group = 8
  const medians = new Float64Array(f)
  const buffer = new Float64Array(group * n)
  const counts = new Int32Array(group)
  let anyNaN = false
  for (let i = 0; i < data.length && !anyNaN; i++) anyNaN = data[i] !== data[i]
  for (let j0 = 0; j0 < f; j0 += group) {
    const g = Math.min(group, f - j0)
    counts.fill(0)
    if (anyNaN) {
      for (let i = 0; i < n; i++) {
        const o = i * f + j0
        for (let c = 0; c < g; c++) {
          const v = data[o + c]
          if (v === v) buffer[c * n + counts[c]++] = v
        }
      }
    } else {
      for (let i = 0; i < n; i++) {
        const o = i * f + j0
        for (let c = 0, b = i; c < g; c++, b += n) buffer[b] = data[o + c]
      }
      counts.fill(n)
    }
    for (let c = 0; c < g; c++) {
      medians[j0 + c] = counts[c] === 0 ? 0 : median(buffer.subarray(c * n, c * n + counts[c]))
    }
  }
  return medians
}

/** Median of `xs` (reordered in place) by quickselect: O(n), which matters for 100k-row columns. */
export function median(xs: Float64Array): number {
  const n = xs.length
  const hi = select(xs, n >> 1)
  if (n % 2) return hi
  let lo = -Infinity
  for (let i = 0; i < n >> 1; i++) if (xs[i] > lo) lo = xs[i]
  return (lo + hi) / 2
}

/** Place the k-th smallest value at index k (values below it before, above after) and return it. */
function select(xs: Float64Array, k: number): number {
  let left = 0
  let right = xs.length - 1
  while (right > left) {
    // Median-of-three pivot keeps sorted or constant columns from going quadratic.
    const mid = (left + right) >> 1
    const pivot = median3(xs[left], xs[mid], xs[right])
    let i = left
    let j = right
    while (i <= j) {
      while (xs[i] < pivot) i++
      while (xs[j] > pivot) j--
      if (i <= j) {
        const t = xs[i]
        xs[i] = xs[j]
        xs[j] = t
        i++
        j--
      }
    }
    if (k <= j) right = j
    else if (k >= i) left = i
    else return xs[k]
  }
  return xs[k]
}

function median3(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b
}
