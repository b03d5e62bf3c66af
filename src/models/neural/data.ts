/**
 * Mini-batches for neural models, gathered from a view on demand (never a full (n, L, f) copy): a window is a
 * contiguous block of the row-major base, so a batch is one memcpy per sample. Inputs are standardised per feature
 * with statistics from the training rows only, and missing values (NaN) become 0, the standardised mean.
 */
import type { DataView, FeatureMatrixView, WindowTensorView } from '../../features/views/types.js'
import { torch, type Tensor } from '../../engines/torch/index.js'

export type NeuralView = WindowTensorView | FeatureMatrixView

/** What a fitted network expects: the view kind and its per-sample shape. */
export interface InputLayout {
  readonly kind: NeuralView['kind']
  readonly steps: number
  readonly f: number
}

export interface Standardizer {
  readonly mean: Float64Array
  readonly std: Float64Array
}

export function asNeuralView(x: DataView, model: string): NeuralView {
  if (x.kind !== 'window_tensor' && x.kind !== 'feature_matrix') {
    throw new Error(`model "${model}" takes a window_tensor or feature_matrix view, got ${x.kind}`)
  }
  return x
}

export function layoutOf(v: NeuralView): InputLayout {
  return { kind: v.kind, steps: v.kind === 'window_tensor' ? v.steps : 1, f: v.f }
}

export function checkLayout(v: NeuralView, l: InputLayout, model: string): void {
  const got = layoutOf(v)
  if (got.kind !== l.kind || got.steps !== l.steps || got.f !== l.f) {
    throw new Error(
      `model "${model}" was fitted on ${l.kind} (steps=${l.steps}, f=${l.f}) but got ${got.kind} (steps=${got.steps}, f=${got.f})`,
    )
  }
  if (v.kind === 'window_tensor') {
    const rows = v.base.length / v.f
    for (let i = 0; i < v.n; i++) {
      const e = v.end[i]
      if (e < v.steps - 1 || e >= rows)
        throw new Error(`window_tensor: window ${i} ends at base row ${e}, outside [${v.steps - 1}, ${rows - 1}]`)
    }
  }
}

/** Per-feature mean and standard deviation over the base rows the view's samples read (NaNs ignored). */
export function fitStandardizer(v: NeuralView): Standardizer {
  const f = v.f
  const sum = new Float64Array(f)
  const sq = new Float64Array(f)
  const cnt = new Float64Array(f)
  const addRow = (src: ArrayLike<number>, off: number): void => {
    for (let j = 0; j < f; j++) {
      const x = src[off + j]
      if (x === x) {
        sum[j] += x
        sq[j] += x * x
        cnt[j]++
      }
    }
  }
  if (v.kind === 'feature_matrix') {
    for (let i = 0; i < v.n; i++) addRow(v.data, i * f)
  } else {
    // Rows covered by at least one window, each counted once.
    const covered = new Uint8Array(v.base.length / f)
    for (let i = 0; i < v.n; i++) covered.fill(1, v.end[i] - v.steps + 1, v.end[i] + 1)
    for (let r = 0; r < covered.length; r++) if (covered[r]) addRow(v.base, r * f)
  }
  const mean = new Float64Array(f)
  const std = new Float64Array(f)
  for (let j = 0; j < f; j++) {
    mean[j] = cnt[j] ? sum[j] / cnt[j] : 0
    const variance = cnt[j] ? sq[j] / cnt[j] - mean[j] * mean[j] : 0
    std[j] = variance > 1e-24 ? Math.sqrt(variance) : 1
  }
  return { mean, std }
}

/** Fill `out` with the standardised inputs of samples idx[from..to) and return it as a tensor (B, L, f) or (B, f). */
export function gatherInputs(
  v: NeuralView,
  s: Standardizer,
  idx: Int32Array,
  from: number,
  to: number,
  out: Float32Array,
): Tensor {
  const f = v.f
  const steps = v.kind === 'window_tensor' ? v.steps : 1
  const per = steps * f
  const b = to - from
  const buf = out.length === b * per ? out : out.subarray(0, b * per)
  const src: ArrayLike<number> = v.kind === 'window_tensor' ? v.base : v.data
  for (let k = 0; k < b; k++) {
    const i = idx[from + k]
    const start = v.kind === 'window_tensor' ? (v.end[i] - steps + 1) * f : i * f
    const o = k * per
    for (let r = 0; r < per; r += f) {
      for (let j = 0; j < f; j++) {
        const x = (src[start + r + j] - s.mean[j]) / s.std[j]
        buf[o + r + j] = x === x ? x : 0
      }
    }
  }
  return torch().tensor(buf, v.kind === 'window_tensor' ? [b, steps, f] : [b, f])
}

/** Deterministic PRNG (SplitMix32-style) for shuffling, independent of libtorch's generator. */
export function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296
  }
}

/** Fisher-Yates permutation of 0..n-1 for one epoch, a pure function of (seed, epoch) so resuming needs no state. */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  const p = new Int32Array(n)
  for (let i = 0; i < n; i++) p[i] = i
  const r = rng((seed * 1000003 + epoch * 7919) >>> 0)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    const t = p[i]
    p[i] = p[j]
    p[j] = t
  }
  return p
}
