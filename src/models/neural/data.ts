/**
 * Mini-batches for neural models, gathered from a view on demand (never a full (n, L, f) copy): a window is a
 * contiguous block of the row-major base, so a batch of pre-standardised windows is one memcpy per sample. Inputs are
 * standardised per feature with statistics from the training rows only, and missing values (NaN) become 0, the
 * standardised mean.
 */
import type { DataView, FeatureMatrixView, MultiResView, WindowTensorView } from '../../features/views/types.js'
import { torch, type Tensor } from '../../engines/torch/index.js'

export type NeuralView = WindowTensorView | FeatureMatrixView | MultiResView

/** One resolution of a multi_res input: its timeframe and per-sample window shape. */
export interface PartLayout {
  readonly timeframe: string
  readonly steps: number
  readonly f: number
}

/**
 * What a fitted network expects: the view kind and its per-sample shape. A multi_res sample arrives flattened as
 * (B, sum of steps*f over parts), parts in order, each row-major (steps, f); `f` is then the total feature count
 * (sum over parts) and `steps` is 1.
 */
export interface InputLayout {
  readonly kind: NeuralView['kind']
  readonly steps: number
  readonly f: number
  readonly parts?: readonly PartLayout[]
}

/** Values per sample in the batch tensor of this layout. */
export function sampleWidth(l: InputLayout): number {
  return l.parts ? l.parts.reduce((s, p) => s + p.steps * p.f, 0) : l.steps * l.f
}

export interface Standardizer {
  readonly mean: Float64Array
  readonly std: Float64Array
}

/** The view as a neural input; multi_res only where the model accepts it (`multiRes`). */
/**
 * The view a neural model reads: a window, multi-resolution windows or a feature matrix. With `seqLen`, a window view
 * is narrowed to the last seqLen steps of each window (the same windows, ending at the same bars).
 */
export function asNeuralView(x: DataView, model: string, multiRes = false, seqLen?: number): NeuralView {
  if (seqLen !== undefined) {
    if (x.kind !== 'window_tensor')
      throw new Error(`model "${model}": seq_len applies to a window_tensor view, not ${x.kind}`)
    if (seqLen > x.steps)
      throw new Error(
        `model "${model}": seq_len ${seqLen} is longer than the window's ${x.steps} steps (views.window_steps)`,
      )
    return { ...x, steps: seqLen }
  }
  if (x.kind === 'multi_res' && multiRes) {
    if (x.parts.length === 0) throw new Error(`model "${model}": multi_res view has no parts`)
    for (const p of x.parts) {
      if (p.n !== x.n)
        throw new Error(`model "${model}": multi_res part ${p.timeframe} has ${p.n} samples, view has ${x.n}`)
    }
    return x
  }
  if (x.kind !== 'window_tensor' && x.kind !== 'feature_matrix') {
    const kinds = multiRes ? 'window_tensor, multi_res or feature_matrix' : 'window_tensor or feature_matrix'
    throw new Error(`model "${model}" takes a ${kinds} view, got ${x.kind}`)
  }
  return x
}

export function layoutOf(v: NeuralView): InputLayout {
  if (v.kind === 'multi_res') {
    const parts = v.parts.map((p) => ({ timeframe: p.timeframe, steps: p.steps, f: p.f }))
    return { kind: v.kind, steps: 1, f: parts.reduce((s, p) => s + p.f, 0), parts }
  }
  return { kind: v.kind, steps: v.kind === 'window_tensor' ? v.steps : 1, f: v.f }
}

function describeLayout(l: InputLayout): string {
  if (l.parts) return `${l.kind} (${l.parts.map((p) => `${p.timeframe}: steps=${p.steps}, f=${p.f}`).join('; ')})`
  return `${l.kind} (steps=${l.steps}, f=${l.f})`
}

function checkWindowEnds(v: WindowTensorView, what: string): void {
  const rows = v.base.length / v.f
  for (let i = 0; i < v.n; i++) {
    const e = v.end[i]
    if (e < v.steps - 1 || e >= rows)
      throw new Error(`${what}: window ${i} ends at base row ${e}, outside [${v.steps - 1}, ${rows - 1}]`)
  }
}

export function checkLayout(v: NeuralView, l: InputLayout, model: string): void {
  const got = layoutOf(v)
  if (describeLayout(got) !== describeLayout(l)) {
    throw new Error(`model "${model}" was fitted on ${describeLayout(l)} but got ${describeLayout(got)}`)
  }
  if (v.kind === 'window_tensor') checkWindowEnds(v, 'window_tensor')
  if (v.kind === 'multi_res') for (const p of v.parts) checkWindowEnds(p, `multi_res part ${p.timeframe}`)
}

/** Per-feature mean and standard deviation over the base rows the view's samples read (NaNs ignored). */
export function fitStandardizer(v: NeuralView): Standardizer {
  if (v.kind === 'multi_res') {
    // Per part, then concatenated in part order (the order of the flattened sample).
    const each = v.parts.map((p) => fitStandardizer(p))
    return {
      mean: Float64Array.from(each.flatMap((s) => [...s.mean])),
      std: Float64Array.from(each.flatMap((s) => [...s.std])),
    }
  }
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

/** Rows [from, to) of a row-major (rows, f) source, standardised (NaN -> 0) as float32; features j0.. of `s`. */
function standardizeRows(
  src: Float32Array,
  from: number,
  to: number,
  f: number,
  s: Standardizer,
  j0: number,
): Float32Array {
  const out = new Float32Array((to - from) * f)
  copyWindow(src, from * f, (to - from) * f, f, s, j0, out, 0)
  return out
}

/** The same windows over a base of only the rows they cover, standardised. */
function standardizedWindows<V extends WindowTensorView>(v: V, s: Standardizer, j0: number): V {
  let lo = v.base.length / v.f
  let hi = 0
  for (let i = 0; i < v.n; i++) {
    lo = Math.min(lo, v.end[i] - v.steps + 1)
    hi = Math.max(hi, v.end[i] + 1)
  }
  if (v.n === 0) lo = hi = 0
  const end = new Int32Array(v.n)
  for (let i = 0; i < v.n; i++) end[i] = v.end[i] - lo
  return { ...v, base: standardizeRows(v.base, lo, hi, v.f, s, j0), end }
}

/**
 * Inputs read many times (every epoch of a training loop): window bases standardised once, so that a batch is one
 * copy per sample instead of a standardisation per value (a window's rows recur in `steps` samples). Returns the
 * view to gather from and the standardizer still to apply (null: the view is standardised already). Batches hold the
 * same float32 values either way. Costs one float32 copy of the rows the windows cover; feature matrices (each row
 * read once per epoch) are left as they are.
 */
export function prepareForEpochs(v: NeuralView, s: Standardizer): { view: NeuralView; s: Standardizer | null } {
  if (v.kind === 'window_tensor') return { view: standardizedWindows(v, s, 0), s: null }
  if (v.kind === 'multi_res') {
    let j0 = 0
    const parts = v.parts.map((p) => {
      const q = standardizedWindows(p, s, j0)
      j0 += p.f
      return q
    })
    return { view: { ...v, parts }, s: null }
  }
  return { view: v, s }
}

/**
 * Fill `out` with the standardised inputs of samples idx[from..to) and return it as a tensor (B, L, f) or (B, f).
 * `s` null: the view's values are standardised already (prepareForEpochs).
 */
export function gatherInputs(
  v: NeuralView,
  s: Standardizer | null,
  idx: Int32Array,
  from: number,
  to: number,
  out: Float32Array,
): Tensor {
  if (v.kind === 'multi_res') return gatherMultiRes(v, s, idx, from, to, out)
  const f = v.f
  const steps = v.kind === 'window_tensor' ? v.steps : 1
  const per = steps * f
  const b = to - from
  const buf = out.length === b * per ? out : out.subarray(0, b * per)
  for (let k = 0; k < b; k++) {
    const i = idx[from + k]
    if (v.kind === 'window_tensor') copyWindow(v.base, (v.end[i] - steps + 1) * f, per, f, s, 0, buf, k * per)
    else copyWindow(v.data, i * f, per, f, s, 0, buf, k * per)
  }
  return torch().tensor(buf, v.kind === 'window_tensor' ? [b, steps, f] : [b, f])
}

/** `per` values of src from `start` into buf at `o`, standardised by features j0.. of `s` unless `s` is null. */
function copyWindow(
  src: Float32Array | Float64Array,
  start: number,
  per: number,
  f: number,
  s: Standardizer | null,
  j0: number,
  buf: Float32Array,
  o: number,
): void {
  if (!s) {
    buf.set(src.subarray(start, start + per), o) // a memcpy from float32; float64 values are rounded as they go
    return
  }
  for (let r = 0; r < per; r += f) {
    for (let j = 0; j < f; j++) {
      const x = (src[start + r + j] - s.mean[j0 + j]) / s.std[j0 + j]
      buf[o + r + j] = x === x ? x : 0
    }
  }
}

/** Multi-resolution samples flattened to (B, width): each part's standardised window, parts in order. */
function gatherMultiRes(
  v: MultiResView,
  s: Standardizer | null,
  idx: Int32Array,
  from: number,
  to: number,
  out: Float32Array,
): Tensor {
  const width = v.parts.reduce((w, p) => w + p.steps * p.f, 0)
  const b = to - from
  const buf = out.length === b * width ? out : out.subarray(0, b * width)
  for (let k = 0; k < b; k++) {
    const i = idx[from + k]
    let o = k * width
    let j0 = 0
    for (const p of v.parts) {
      const per = p.steps * p.f
      copyWindow(p.base, (p.end[i] - p.steps + 1) * p.f, per, p.f, s, j0, buf, o)
      o += per
      j0 += p.f
    }
  }
  return torch().tensor(buf, [b, width])
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
