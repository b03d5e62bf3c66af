import { expNonPositive } from '../../../fast/exp.js'
import type { Kernel, LogisticProblem } from '../logloss.js'
import { encodeModule, type FunctionDef, I32, MAX_PAGES, op, V128, whileLess } from '../../../wasm/encode.js'

/*
 * The logistic losses of logloss.ts with their two matrix products in WebAssembly SIMD: f64x2 halves the
 * floating-point instructions, and WebAssembly needs no bounds check per load. Three classes take R = 2 score rows
 * (differences against class 0, class 0's gradient as minus the others'), binary takes R = 1 (the logit). Rows go
 * in blocks of BLOCK: `forward` writes the block's R scores per row, JavaScript turns them into residuals (exp and
 * log), `backward` adds residuals x rows into the gradient; the block stays in cache between the two passes.
 *
 * Memory: the rows (n x f doubles, then padding), then a scratch area per thread: weight rows W and gradient sums G
 * (R rows each, padded to a length fe, a multiple of STEP), scores D and residuals R (R per row). A row is read 32
 * bytes at a time up to fe: past f the reads take the next row's first values (or the padding), which meet zero
 * weights and land in gradient slots that are never read.
 */

const BLOCK = 256
/** Largest rows a single-threaded kernel copies into its own memory (bytes). */
const PRIVATE_COPY_LIMIT = 2 ** 30

/** Per score count R (1 or 2); byte addresses, `bytes` = fe * 8, row r of W or G at +r * bytes. */
interface Exports {
  /** (x, rows, stride, bytes, w, d): D[i][r] = W_r . x_i for `rows` rows from byte address x. */
  forward(x: number, rows: number, stride: number, bytes: number, w: number, d: number): void
  /** (x, rows, stride, bytes, r, g): G_r += sum_i R[i][r] x_i. */
  backward(x: number, rows: number, stride: number, bytes: number, r: number, g: number): void
}

/** Where a thread's kernel lives in a memory shared with other threads (see parallel.ts). */
export interface WasmPlace {
  readonly memory: WebAssembly.Memory
  /** Byte address of the kernel's first row (its rows are p.x, copied there). */
  readonly rows: number
  /** Byte address of this thread's scratch area (16-byte aligned). */
  readonly scratch: number
}

/** Features a loop step reads (two f64x2 per row: fewer loop iterations, and their checks, per feature). */
const STEP = 4

/** Padded feature count (a multiple of STEP) and its row length in bytes. */
function padded(f: number): { fe: number; bytes: number } {
  const fe = Math.ceil(f / STEP) * STEP
  return { fe, bytes: fe * 8 }
}

/** Bytes of one thread's scratch area. */
export function scratchBytes(f: number): number {
  return 4 * padded(f).bytes + 2 * 16 * BLOCK
}

/** Bytes for the rows of an (n, f) matrix, padding included (the last row's reads past f), rounded to 16. */
export function rowBytes(n: number, f: number): number {
  return Math.ceil((n * f * 8 + 8 * STEP) / 16) * 16
}

/**
 * A memory of at least `bytes` (shared, as worker threads need: growable up to `maximum` pages, else fixed), or
 * undefined past what a 32-bit module can address or when the allocation fails: callers then keep the JavaScript
 * kernel.
 */
export function newMemory(bytes: number, shared: boolean, maximum?: number): WebAssembly.Memory | undefined {
  const pages = Math.ceil(bytes / 65536)
  if (pages > MAX_PAGES) return undefined
  try {
    return new WebAssembly.Memory(shared ? { initial: pages, maximum: maximum ?? pages, shared } : { initial: pages })
  } catch {
    return undefined
  }
}

// Locals shared by both functions: parameters 0-5, then i32 6-13, then v128 from 14.
// Parameters: x, rows, stride, bytes, then IN (w for forward, r for backward) and OUT (d, or g).
const [X, ROWS, STRIDE, BYTES, IN, OUT] = [0, 1, 2, 3, 4, 5]
const [I, P, XA, XB, XC, XD, SECOND, Q] = [6, 7, 8, 9, 10, 11, 12, 13]
const V = 14 // first v128 local
const LOCALS = [I32, I32, I32, I32, I32, I32, I32, I32, ...new Array<typeof V128>(11).fill(V128)] as const

/** Row addresses xa.. (for `count` rows from row i). */
function rowAddresses(count: number): number[] {
  const out = [...op.get(X), ...op.get(I), ...op.get(STRIDE), ...op.i32Mul, ...op.i32Add, ...op.set(XA)]
  const regs = [XA, XB, XC, XD]
  for (let k = 1; k < count; k++) out.push(...op.get(regs[k - 1]), ...op.get(STRIDE), ...op.i32Add, ...op.set(regs[k]))
  return out
}

/** `loop while p < bytes { body; p += 8 * STEP }` with p from 0. */
function overFeatures(body: readonly number[]): number[] {
  return [...op.i32(0), ...op.set(P), ...whileLess(P, op.get(BYTES), 8 * STEP, body)]
}

/** v128 at address (local a) + p + offset. */
const loadAt = (a: number, offset = 0): number[] => [...op.get(a), ...op.get(P), ...op.i32Add, ...op.v128Load(offset)]

/** Byte offsets of the f64x2 pairs within one loop step. */
const PAIRS = Array.from({ length: STEP / 2 }, (_, k) => 16 * k)

/** acc += v * w (v128 locals). */
const mulAdd = (acc: number, v: number, w: number): number[] => [
  ...op.get(acc),
  ...op.get(v),
  ...op.get(w),
  ...op.f64x2Mul,
  ...op.f64x2Add,
  ...op.set(acc),
]

/** `loop while i + step <= rows { body; i += step }` (as i < rows - (step - 1)). */
function overRows(step: number, body: readonly number[]): number[] {
  return whileLess(I, [...op.get(ROWS), ...op.i32(step - 1), ...op.i32Sub], step, body)
}

function forwardRows(count: number, R: number): number[] {
  const regs = [XA, XB, XC, XD]
  const acc = (k: number, c: number): number => V + R * k + c // accumulators from 14
  const W = [V + 8, V + 9]
  const VX = V + 10
  const zero = Array.from({ length: count * R }, (_, a) => [...op.v128Zero, ...op.set(V + a)]).flat()
  const inner: number[] = []
  for (const at of PAIRS) {
    inner.push(...loadAt(IN, at), ...op.set(W[0]))
    if (R === 2) inner.push(...loadAt(SECOND, at), ...op.set(W[1]))
    for (let k = 0; k < count; k++) {
      inner.push(...loadAt(regs[k], at), ...op.set(VX))
      for (let c = 0; c < R; c++) inner.push(...mulAdd(acc(k, c), VX, W[c]))
    }
  }
  // D row i + k, score c at d + 8 (R (i + k) + c): the sum of the two lanes.
  const store = [...op.get(OUT), ...op.get(I), ...op.i32(8 * R), ...op.i32Mul, ...op.i32Add, ...op.set(Q)]
  for (let k = 0; k < count; k++) {
    for (let c = 0; c < R; c++) {
      const a = acc(k, c)
      store.push(...op.get(Q), ...op.get(a), ...op.f64x2Lane(0), ...op.get(a), ...op.f64x2Lane(1), ...op.f64Add)
      store.push(...op.f64Store(8 * (R * k + c)))
    }
  }
  return [...rowAddresses(count), ...zero, ...overFeatures(inner), ...store]
}

function backwardRows(count: number, R: number): number[] {
  const regs = [XA, XB, XC, XD]
  const res = (k: number, c: number): number => V + R * k + c // splatted residuals from 14
  const A = [V + 8, V + 9]
  const G = [OUT, SECOND]
  const VX = V + 10
  const splat = [...op.get(IN), ...op.get(I), ...op.i32(8 * R), ...op.i32Mul, ...op.i32Add, ...op.set(Q)]
  for (let k = 0; k < count; k++) {
    for (let c = 0; c < R; c++)
      splat.push(...op.get(Q), ...op.f64Load(8 * (R * k + c)), ...op.f64x2Splat, ...op.set(res(k, c)))
  }
  const inner: number[] = []
  for (const at of PAIRS) {
    for (let c = 0; c < R; c++) inner.push(...loadAt(G[c], at), ...op.set(A[c]))
    for (let k = 0; k < count; k++) {
      inner.push(...loadAt(regs[k], at), ...op.set(VX))
      for (let c = 0; c < R; c++) inner.push(...mulAdd(A[c], VX, res(k, c)))
    }
    for (let c = 0; c < R; c++)
      inner.push(...op.get(G[c]), ...op.get(P), ...op.i32Add, ...op.get(A[c]), ...op.v128Store(at))
  }
  return [...rowAddresses(count), ...splat, ...overFeatures(inner)]
}

/** The second weight (or gradient) row starts `bytes` after the first; i starts at 0. */
function prologue(base: number): number[] {
  return [...op.get(base), ...op.get(BYTES), ...op.i32Add, ...op.set(SECOND), ...op.i32(0), ...op.set(I)]
}

/** forward1, backward1 (binary), forward2, backward2 (three classes). */
function functions(): FunctionDef[] {
  return [1, 2].flatMap((R) => [
    {
      name: `forward${R}`,
      params: 6,
      locals: LOCALS,
      body: [...prologue(IN), ...overRows(4, forwardRows(4, R)), ...overRows(1, forwardRows(1, R))],
    },
    {
      name: `backward${R}`,
      params: 6,
      locals: LOCALS,
      body: [...prologue(OUT), ...overRows(4, backwardRows(4, R)), ...overRows(1, backwardRows(1, R))],
    },
  ])
}

const modules = new Map<boolean, WebAssembly.Module | null>()

/** Whether this engine runs the SIMD kernel (with shared memory: on worker threads too). */
export function wasmAvailable(shared: boolean): boolean {
  return compiled(shared) !== null
}

/** The compiled module for shared or private memory; null where WebAssembly SIMD is unavailable. */
function compiled(shared: boolean): WebAssembly.Module | null {
  if (!modules.has(shared)) {
    let m: WebAssembly.Module | null = null
    try {
      m = new WebAssembly.Module(encodeModule(functions(), shared))
    } catch {
      m = null // an engine without SIMD or threads: callers fall back to the JavaScript kernel
    }
    modules.set(shared, m)
  }
  return modules.get(shared)!
}

/**
 * A kernel's view of its memory: the functions for its R, the byte addresses of its rows and scratch blocks (x, w,
 * g, d, r) and, for JavaScript's Float64Array view `mem`, the double indices of the scratch blocks.
 */
interface Placed extends Exports {
  readonly mem: Float64Array
  readonly fe: number
  readonly x: number
  readonly w: number
  readonly g: number
  readonly d: number
  readonly r: number
  readonly wi: number
  readonly gi: number
  readonly di: number
  readonly ri: number
}

/**
 * Functions and addresses for R scores over p's rows, in `place` (whose memory already holds p.x at place.rows) or
 * in a private memory holding a copy of p.x; undefined when WebAssembly SIMD is unavailable or the data does not fit.
 */
function placeKernel(p: LogisticProblem, R: 1 | 2, place?: WasmPlace): Placed | undefined {
  const { n, f } = p
  let memory: WebAssembly.Memory
  let x: number
  let scratch: number
  const module = compiled(place !== undefined)
  if (!module) return undefined
  if (place) {
    ;({ memory, rows: x, scratch } = place)
  } else {
    // A single-threaded fit copies its rows; past PRIVATE_COPY_LIMIT the JavaScript kernel (no copy) is used
    // instead, so that a large fit does not need twice its data's memory.
    const made = rowBytes(n, f) <= PRIVATE_COPY_LIMIT ? newMemory(rowBytes(n, f) + scratchBytes(f), false) : undefined
    if (!made) return undefined
    memory = made
    new Float64Array(memory.buffer, 0, n * f).set(p.x)
    x = 0
    scratch = rowBytes(n, f)
  }
  const fns = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, Exports['forward']>
  const { fe, bytes } = padded(f)
  const w = scratch
  const g = w + 2 * bytes
  const d = g + 2 * bytes
  const r = d + 16 * BLOCK
  const mem = new Float64Array(memory.buffer)
  const [forward, backward] = [fns[`forward${R}`], fns[`backward${R}`]]
  return { forward, backward, mem, fe, x, w, g, d, r, wi: w / 8, gi: g / 8, di: d / 8, ri: r / 8 }
}

/** Block by block: forward, then `residuals(start, rows)` (writes the block's R, returns its loss), then backward. */
function overBlocks(k: Placed, n: number, f: number, residuals: (start: number, rows: number) => number): number {
  const stride = f * 8
  const { bytes } = padded(f)
  let loss = 0
  for (let start = 0; start < n; start += BLOCK) {
    const rows = Math.min(BLOCK, n - start)
    const at = k.x + start * stride
    k.forward(at, rows, stride, bytes, k.w, k.d)
    loss += residuals(start, rows)
    k.backward(at, rows, stride, bytes, k.r, k.g)
  }
  return loss
}

/** The SIMD three-class kernel (see the file comment and logloss.ts's softmax3Kernel); undefined when unavailable. */
export function softmax3WasmKernel(p: LogisticProblem, place?: WasmPlace): Kernel | undefined {
  const k = placeKernel(p, 2, place)
  if (!k) return undefined
  const { n, f, labels, weights } = p
  const { mem, fe, wi: wIdx, gi: gIdx, di: dIdx, ri: rIdx } = k
  // Per evaluation: intercept differences in, intercept gradients out.
  let c1 = 0
  let c2 = 0
  const gb3 = new Float64Array(3)
  const residuals = (start: number, rows: number): number => {
    const b1 = c1
    const b2 = c2
    let loss = 0
    let g0 = 0
    let g1 = 0
    let g2 = 0
    for (let t = 0; t < rows; t++) {
      const i = start + t
      const s = weights[i]
      const y = labels[i]
      const d1 = mem[dIdx + 2 * t] + b1
      const d2 = mem[dIdx + 2 * t + 1] + b2
      // Branch-free (Math.max, 0/1 from comparisons): classes and labels vary row to row, so branches on them
      // would mispredict often.
      const max = Math.max(0, d1, d2)
      const e0 = expNonPositive(-max)
      const e1 = expNonPositive(d1 - max)
      const e2 = expNonPositive(d2 - max)
      const sum = e0 + e1 + e2
      const inv = s / sum
      const is1 = +(y === 1)
      const is2 = +(y === 2)
      const r1 = e1 * inv - s * is1
      const r2 = e2 * inv - s * is2
      g0 += e0 * inv - s * (1 - is1 - is2)
      g1 += r1
      g2 += r2
      mem[rIdx + 2 * t] = r1
      mem[rIdx + 2 * t + 1] = r2
      // Scores are finite, so a zero-weight row adds exactly 0.
      loss += s * (max + Math.log(sum) - d1 * is1 - d2 * is2)
    }
    gb3[0] += g0
    gb3[1] += g1
    gb3[2] += g2
    return loss
  }
  return (w, b, gw, gb) => {
    for (let j = 0; j < f; j++) {
      mem[wIdx + j] = w[f + j] - w[j]
      mem[wIdx + fe + j] = w[2 * f + j] - w[j]
    }
    for (let j = f; j < fe; j++) mem[wIdx + j] = mem[wIdx + fe + j] = 0
    mem.fill(0, gIdx, gIdx + 2 * fe)
    c1 = b[1] - b[0]
    c2 = b[2] - b[0]
    gb3.fill(0)
    const loss = overBlocks(k, n, f, residuals)
    for (let j = 0; j < f; j++) {
      const a = mem[gIdx + j]
      const c = mem[gIdx + fe + j]
      gw[j] -= a + c
      gw[f + j] += a
      gw[2 * f + j] += c
    }
    for (let c = 0; c < 3; c++) gb[c] += gb3[c]
    return loss
  }
}

/**
 * A kernel with one score row (binary logit, squared hinge). Per block, `residuals(k, start, rows, bias, sums)`
 * turns the scores into residuals (written at k.ri), adds their sum to sums[0] and returns the block's loss.
 */
function oneScoreKernel(
  p: LogisticProblem,
  place: WasmPlace | undefined,
  residuals: (k: Placed, start: number, rows: number, bias: number, sums: Float64Array) => number,
): Kernel | undefined {
  const k = placeKernel(p, 1, place)
  if (!k) return undefined
  const { n, f } = p
  const { mem, fe, wi, gi } = k
  const sums = new Float64Array(1)
  let bias = 0
  const block = (start: number, rows: number): number => residuals(k, start, rows, bias, sums)
  return (w, b, gw, gb) => {
    mem.set(w.subarray(0, f), wi)
    mem.fill(0, wi + f, wi + fe)
    mem.fill(0, gi, gi + fe)
    bias = b[0]
    sums[0] = 0
    const loss = overBlocks(k, n, f, block)
    for (let j = 0; j < f; j++) gw[j] += mem[gi + j]
    gb[0] += sums[0]
    return loss
  }
}

/** The SIMD binary kernel (logit z = w x + b, labels 0/1; see logloss.ts's binaryKernel); undefined when unavailable. */
export function binaryWasmKernel(p: LogisticProblem, place?: WasmPlace): Kernel | undefined {
  const { labels, weights } = p
  return oneScoreKernel(p, place, ({ mem, di, ri }, start, rows, bias, sums) => {
    let loss = 0
    let g = 0
    for (let t = 0; t < rows; t++) {
      const i = start + t
      const s = weights[i]
      const y = labels[i]
      const z = mem[di + t] + bias
      // softplus(z) - y z and sigmoid(z) from e^-|z|, without overflow.
      const a = expNonPositive(-Math.abs(z))
      const inv = 1 / (1 + a)
      const sigmoid = z >= 0 ? inv : a * inv
      const r = s * (sigmoid - y)
      g += r
      mem[ri + t] = r
      loss += s * (Math.max(z, 0) + Math.log1p(a) - y * z)
    }
    sums[0] += g
    return loss
  })
}

/**
 * The SIMD squared hinge kernel of one one-vs-rest problem (hinge.ts's squaredHingeKernel: t = +1 for label
 * `positive`, else -1; loss s max(0, 1 - t z)^2); undefined when unavailable.
 */
export function squaredHingeWasmKernel(p: LogisticProblem, positive: number, place?: WasmPlace): Kernel | undefined {
  const { labels, weights } = p
  return oneScoreKernel(p, place, ({ mem, di, ri }, start, rows, bias, sums) => {
    let loss = 0
    let g = 0
    for (let t = 0; t < rows; t++) {
      const i = start + t
      const s = weights[i]
      const sign = labels[i] === positive ? 1 : -1
      const margin = Math.max(0, 1 - sign * (mem[di + t] + bias))
      const r = -2 * s * margin * sign
      g += r
      mem[ri + t] = r
      loss += s * margin * margin
    }
    sums[0] += g
    return loss
  })
}
