/*
 * Single-row scores in WebAssembly SIMD, one small module per model: f64x2 halves the floating-point
 * instructions of the straight-line JavaScript kernels (codegen.ts), which is what bounds them. Every load has a
 * constant offset from the loop counter (the row is copied to address 0 first), and each score keeps four
 * accumulators so that its chain of additions is short. The kernel computes only the R raw scores; intercepts
 * and the softmax stay in JavaScript.
 *
 * Memory (doubles, each block padded with zeros to a length fe, a multiple of 2 ACC): the input row, then the
 * parameter rows, then the R scores.
 *   linear:    score_r = sum_j w_rj x_j
 *   quadratic: score_r = sum_j a_rj u_j^2 + b_rj u_j, u_j = x_j - center_j
 */
import { encodeModule, I32, op, V128, type ValueType, whileLess } from '../wasm/encode.js'

/** Accumulators per score. */
const ACC = 4

export interface RowScorer {
  /** Where the row goes before `run` (length fe; the entries past the features stay 0). */
  readonly input: Float64Array
  /** Computes the scores. */
  readonly run: () => void
  readonly scores: Float64Array
}

type Kind = 'linear' | 'quadratic'

/** f64x2 pairs per row: a multiple of ACC, so that each loop step gives every accumulator one pair. */
function pairsOf(features: number): number {
  return Math.ceil(features / (2 * ACC)) * ACC
}

/**
 * The module's one function, `run`, for R scores over `pairs` f64x2 pairs; parameter block k starts at block(k).
 * A loop over steps of ACC pairs, not straight-line code: V8 schedules all loads of a straight-line body first,
 * which spills them to the stack (measured 2.5x slower).
 */
function runFunction(kind: Kind, R: number, pairs: number) {
  const blockBytes = pairs * 16
  const block = (k: number): number => k * blockBytes
  const acc = (r: number, a: number): number => 1 + r * ACC + a // after P
  const P = 0 // i32 byte offset of the step within a block
  const V = 1 + R * ACC // the row pair (u when quadratic)
  const T = V + 1 // a term
  const locals: ValueType[] = [I32, ...new Array<ValueType>(R * ACC + 2).fill(V128)]
  const load = (at: number): number[] => [...op.get(P), ...op.v128Load(at)]
  const step: number[] = []
  for (let a = 0; a < ACC; a++) {
    const at = 16 * a
    if (kind === 'linear') {
      step.push(...load(at), ...op.set(V))
      for (let r = 0; r < R; r++) {
        const c = acc(r, a)
        step.push(...op.get(c), ...op.get(V), ...load(block(1 + r) + at), ...op.f64x2Mul, ...op.f64x2Add, ...op.set(c))
      }
    } else {
      // a u^2 + b u as u (a u + b): one multiplication fewer per pair than squaring u first.
      step.push(...load(at), ...load(block(1) + at), ...op.f64x2Sub, ...op.set(V))
      for (let r = 0; r < R; r++) {
        const c = acc(r, a)
        step.push(...load(block(2 + 2 * r) + at), ...op.get(V), ...op.f64x2Mul, ...load(block(3 + 2 * r) + at))
        step.push(...op.f64x2Add, ...op.get(V), ...op.f64x2Mul, ...op.set(T))
        step.push(...op.get(c), ...op.get(T), ...op.f64x2Add, ...op.set(c))
      }
    }
  }
  const body: number[] = []
  for (let a = 0; a < R * ACC; a++) body.push(...op.v128Zero, ...op.set(1 + a))
  body.push(...whileLess(P, op.i32(blockBytes), 16 * ACC, step))
  // Score r = lanes of its accumulators, added in a fixed order.
  const scores = block(kind === 'linear' ? 1 + R : 2 + 2 * R)
  for (let r = 0; r < R; r++) {
    body.push(...op.i32(0))
    for (let a = 0; a < ACC; a++) {
      body.push(...op.get(acc(r, a)), ...op.f64x2Lane(0), ...(a > 0 ? op.f64Add : []))
      body.push(...op.get(acc(r, a)), ...op.f64x2Lane(1), ...op.f64Add)
    }
    body.push(...op.f64Store(scores + 8 * r))
  }
  return { def: { name: 'run', params: 0, locals, body }, bytes: scores + 8 * R }
}

function instantiate(kind: Kind, rows: readonly Float64Array[], R: number, features: number): RowScorer | undefined {
  const pairs = pairsOf(features)
  const fe = 2 * pairs
  const { def, bytes } = runFunction(kind, R, pairs)
  let run: () => void
  let memory: WebAssembly.Memory
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) })
    const module = new WebAssembly.Module(encodeModule([def], false))
    run = new WebAssembly.Instance(module, { env: { memory } }).exports.run as () => void
  } catch {
    return undefined // no WebAssembly SIMD here: the caller keeps its JavaScript kernel
  }
  const mem = new Float64Array(memory.buffer)
  rows.forEach((row, k) => mem.set(row, (k + 1) * fe))
  return {
    input: new Float64Array(memory.buffer, 0, fe),
    run,
    scores: new Float64Array(memory.buffer, bytes - 8 * R, R),
  }
}

/** R linear scores (w row-major R x features); undefined where WebAssembly SIMD is unavailable. */
export function wasmLinearScorer(w: Float64Array, R: number, features: number): RowScorer | undefined {
  const rows = Array.from({ length: R }, (_, r) => w.subarray(r * features, (r + 1) * features))
  return instantiate('linear', rows, R, features)
}

/** R quadratic scores (a, b row-major R x features, center of length features); see the file comment. */
export function wasmQuadraticScorer(
  a: Float64Array,
  b: Float64Array,
  center: Float64Array,
  R: number,
  features: number,
): RowScorer | undefined {
  const rows = [center]
  for (let r = 0; r < R; r++) {
    rows.push(a.subarray(r * features, (r + 1) * features), b.subarray(r * features, (r + 1) * features))
  }
  return instantiate('quadratic', rows, R, features)
}
