/*
 * Single-row predictions in WebAssembly SIMD, one small module per model: f64x2 halves the floating-point
 * instructions of the straight-line JavaScript kernels (codegen.ts), which is what bounds them. Every load has a
 * constant offset from the loop counter (the row is copied to address 0 first), and each score keeps two
 * accumulators: enough to hide the latency of the additions, while four spilled to the stack (16 vector registers;
 * measured 51 against 41 ns for a 55 x 2 quadratic).
 *
 * After the scores, the module also computes the softmax over class 0 (score 0) and the R scores: e^z two lanes at
 * a time, from a polynomial (no table lookups, which SIMD cannot gather) scaled by 2^k in the exponent bits. That
 * replaces two calls of the JavaScript exp and the reads of the scores (measured 15 ns of a 95 ns prediction). It
 * returns 0, leaving the scores for the JavaScript softmax, when a score is NaN or outside +-EXP_BOUND.
 *
 * Memory (doubles, each block padded with zeros to a length fe, a multiple of 2 ACC): the input row, then the
 * parameter rows, then the scores z_r (intercepts included; R rounded up to even), then the R + 1 probabilities.
 *   linear:    z_r = c_r + sum_j w_rj x_j
 *   quadratic: z_r = c_r + sum_j a_rj u_j^2 + b_rj u_j, u_j = x_j - center_j (the center block is left out, and so
 *              is the subtraction, when the center is 0)
 */
import { encodeModule, F64, I32, op, V128, type ValueType, whileLess } from '../wasm/encode.js'
import { EXP_BOUND, LN2_TAIL } from './exp.js'

/** Accumulators per score. */
const ACC = 2

export interface RowScorer {
  /** Where the row goes before `run` (length fe; the entries past the features stay 0). */
  readonly input: Float64Array
  /** Computes the scores and, returning 1, the probabilities; 0 when the scores are left to JavaScript. */
  readonly run: () => number
  /** z_0 .. z_{R-1}, intercepts included. */
  readonly scores: Float64Array
  /** The R + 1 class probabilities when run returned 1. */
  readonly probs: Float64Array
}

type Kind = 'linear' | 'quadratic' | 'centered'

/** f64x2 pairs per row: a multiple of ACC, so that each loop step gives every accumulator one pair. */
function pairsOf(features: number): number {
  return Math.ceil(features / (2 * ACC)) * ACC
}

/**
 * The module's one function, `run`, for R scores over `pairs` f64x2 pairs; parameter block k starts at block(k).
 * A loop over steps of ACC pairs, not straight-line code: V8 schedules all loads of a straight-line body first,
 * which spills them to the stack (measured 2.5x slower).
 */
function runFunction(kind: Kind, R: number, pairs: number, intercepts: Float64Array) {
  const blockBytes = pairs * 16
  const block = (k: number): number => k * blockBytes
  const first = kind === 'centered' ? 2 : 1 // the first parameter block after the row (and the center)
  const acc = (r: number, a: number): number => 1 + r * ACC + a // after P
  const P = 0 // i32 byte offset of the step within a block
  const V = 1 + R * ACC // the row pair (u when quadratic)
  const T = V + 1 // a term
  const locals: ValueType[] = [I32, ...new Array<ValueType>(R * ACC + 2).fill(V128)]
  const local = (type: ValueType): number => locals.push(type) - 1
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
      step.push(...load(at), ...(kind === 'centered' ? [...load(block(1) + at), ...op.f64x2Sub] : []), ...op.set(V))
      for (let r = 0; r < R; r++) {
        const c = acc(r, a)
        step.push(
          ...load(block(first + 2 * r) + at),
          ...op.get(V),
          ...op.f64x2Mul,
          ...load(block(first + 1 + 2 * r) + at),
        )
        step.push(...op.f64x2Add, ...op.get(V), ...op.f64x2Mul, ...op.set(T))
        step.push(...op.get(c), ...op.get(T), ...op.f64x2Add, ...op.set(c))
      }
    }
  }
  const body: number[] = []
  for (let a = 0; a < R * ACC; a++) body.push(...op.v128Zero, ...op.set(1 + a))
  body.push(...whileLess(P, op.i32(blockBytes), 16 * ACC, step))
  const scores = block(kind === 'linear' ? 1 + R : first + 2 * R)
  const half = Math.ceil(R / 2)
  const probs = scores + 16 * half
  // Vector constants live in memory after the probabilities: a load each, where an immediate takes three
  // instructions to build.
  const constantsAt = probs + 16 * (half + 1)
  const constants: number[] = []
  const constant = (lo: number, hi = lo): number[] => {
    let i = 0
    while (i < constants.length && !(Object.is(constants[i], lo) && Object.is(constants[i + 1], hi))) i += 2
    if (i === constants.length) constants.push(lo, hi)
    return [...op.i32(0), ...op.v128Load(constantsAt + 8 * i)]
  }
  // Score pairs (z_2i, z_2i+1): each score's accumulators added as vectors, then its two lanes, then c (a fixed
  // order, so results are reproducible). An odd R pads the last pair with 0.
  const summed = (r: number): number[] => {
    if (r >= R) return [...op.v128Zero]
    const code = op.get(acc(r, 0))
    for (let a = 1; a < ACC; a++) code.push(...op.get(acc(r, a)), ...op.f64x2Add)
    return code
  }
  const Z = Array.from({ length: half }, () => local(V128))
  const inRange = local(I32)
  body.push(...op.i32(1), ...op.set(inRange))
  for (let i = 0; i < half; i++) {
    const [lo, hi] = [summed(2 * i), summed(2 * i + 1)]
    body.push(...lo, ...hi, ...op.f64x2Low, ...lo, ...hi, ...op.f64x2High, ...op.f64x2Add)
    body.push(...constant(intercepts[2 * i], 2 * i + 1 < R ? intercepts[2 * i + 1] : 0), ...op.f64x2Add)
    body.push(...op.set(Z[i]), ...op.i32(0), ...op.get(Z[i]), ...op.v128Store(scores + 16 * i))
    // Both |z| <= EXP_BOUND (false for NaN).
    body.push(...op.get(inRange), ...op.get(Z[i]), ...op.f64x2Abs, ...constant(EXP_BOUND), ...op.f64x2Le)
    body.push(...op.i64x2AllTrue, ...op.i32And, ...op.set(inRange))
  }
  body.push(...op.get(inRange), ...op.i32Eqz, ...op.if([...op.i32(0), ...op.return]))
  const temps = { k: local(V128), r: local(V128), r2: local(V128), r4: local(V128), r8: local(V128) }
  const sum = local(F64)
  body.push(...op.f64(1), ...op.set(sum))
  for (let i = 0; i < half; i++) {
    body.push(...expPair(Z[i], temps, constant), ...op.set(Z[i])) // Z now holds e^z
    for (let lane = 0; lane < (2 * i + 1 < R ? 2 : 1); lane++) {
      body.push(...op.get(sum), ...op.get(Z[i]), ...op.f64x2Lane(lane as 0 | 1), ...op.f64Add, ...op.set(sum))
    }
  }
  const inv = local(F64)
  body.push(...op.f64(1), ...op.get(sum), ...op.f64Div, ...op.tee(inv))
  body.push(...op.set(sum), ...op.i32(0), ...op.get(sum), ...op.f64Store(probs))
  for (let i = 0; i < half; i++) {
    body.push(...op.i32(0), ...op.get(Z[i]), ...op.get(inv), ...op.f64x2Splat, ...op.f64x2Mul)
    body.push(...op.v128Store(probs + 8 + 16 * i))
  }
  body.push(...op.i32(1))
  const bytes = constantsAt + 8 * constants.length
  const def = { name: 'run', params: 0, returnsI32: true, locals, body }
  return { def, scores, probs, constants: Float64Array.from(constants), constantsAt, bytes }
}

// e^r on [-ln2/2, ln2/2] to degree 13: the remainder r^14/14! stays below 5e-18, under a twentieth of an ulp.
const TAYLOR = Array.from({ length: 14 }, (_, i) => 1 / factorial(i))
function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1)
}
// ln2 split for Cody-Waite reduction: HI has 42 significant bits, so k * HI is exact for |k| < 2^11.
const LN2_HI = Math.round(Math.LN2 * 2 ** 42) / 2 ** 42
const LN2_LO = Math.LN2 - LN2_HI + LN2_TAIL

/**
 * Code pushing e^z for both lanes of local z (|z| <= EXP_BOUND): z = k ln2 + r with k = nearest(z / ln2), e^r by
 * Estrin's scheme (a short dependency chain), then k added to the exponent field. |k| <= 1010 keeps the result a
 * normal double.
 */
function expPair(
  z: number,
  t: { k: number; r: number; r2: number; r4: number; r8: number },
  splat: (v: number) => number[],
): number[] {
  const mul = (a: number[], b: number[]): number[] => [...a, ...b, ...op.f64x2Mul]
  const add = (a: number[], b: number[]): number[] => [...a, ...b, ...op.f64x2Add]
  const sub = (a: number[], b: number[]): number[] => [...a, ...b, ...op.f64x2Sub]
  const get = op.get
  // k = nearest(z / ln2) by adding 1.5 * 2^52, which rounds the sum to an integer and leaves k two's-complement
  // in the low bits of the mantissa, which the shift below moves into the exponent field.
  const magic = 1.5 * 2 ** 52
  const code = [...add(mul(get(z), splat(Math.LOG2E)), splat(magic)), ...op.set(t.k)]
  const k = sub(get(t.k), splat(magic))
  code.push(...sub(sub(get(z), mul(k, splat(LN2_HI))), mul(k, splat(LN2_LO))), ...op.set(t.r))
  code.push(...mul(get(t.r), get(t.r)), ...op.set(t.r2), ...mul(get(t.r2), get(t.r2)), ...op.set(t.r4))
  code.push(...mul(get(t.r4), get(t.r4)), ...op.set(t.r8))
  const pair = (i: number): number[] => add(splat(TAYLOR[2 * i]), mul(get(t.r), splat(TAYLOR[2 * i + 1]))) // c + c' r
  const quad = (i: number): number[] => add(pair(2 * i), mul(get(t.r2), pair(2 * i + 1)))
  const eight = (i: number): number[] => add(quad(2 * i), mul(get(t.r4), i === 1 ? pair(6) : quad(2 * i + 1)))
  code.push(...add(eight(0), mul(get(t.r8), eight(1))))
  // p * 2^k: k shifted into the exponent field and added to p's bits.
  code.push(...get(t.k), ...op.i32(52), ...op.i64x2Shl, ...op.i64x2Add)
  return code
}

function instantiate(
  kind: Kind,
  rows: readonly Float64Array[],
  intercepts: Float64Array,
  features: number,
): RowScorer | undefined {
  const R = intercepts.length
  const pairs = pairsOf(features)
  const fe = 2 * pairs
  const { def, scores, probs, constants, constantsAt, bytes } = runFunction(kind, R, pairs, intercepts)
  let run: () => number
  let memory: WebAssembly.Memory
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) })
    const module = new WebAssembly.Module(encodeModule([def], false))
    run = new WebAssembly.Instance(module, { env: { memory } }).exports.run as () => number
  } catch {
    return undefined // no WebAssembly SIMD here: the caller keeps its JavaScript kernel
  }
  const mem = new Float64Array(memory.buffer)
  rows.forEach((row, k) => mem.set(row, (k + 1) * fe))
  mem.set(constants, constantsAt / 8)
  return {
    input: new Float64Array(memory.buffer, 0, fe),
    run,
    scores: new Float64Array(memory.buffer, scores, R),
    probs: new Float64Array(memory.buffer, probs, R + 1),
  }
}

/** Linear scores with intercepts c (w row-major R x features); undefined where WebAssembly SIMD is unavailable. */
export function wasmLinearScorer(w: Float64Array, c: Float64Array, features: number): RowScorer | undefined {
  const rows = Array.from(c, (_, r) => w.subarray(r * features, (r + 1) * features))
  return instantiate('linear', rows, c, features)
}

/** Quadratic scores (a, b row-major R x features, center of length features); see the file comment. */
export function wasmQuadraticScorer(
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  center: Float64Array,
  features: number,
): RowScorer | undefined {
  const centered = center.some((v) => v !== 0)
  const rows = centered ? [center] : []
  for (let r = 0; r < c.length; r++) {
    rows.push(a.subarray(r * features, (r + 1) * features), b.subarray(r * features, (r + 1) * features))
  }
  return instantiate(centered ? 'centered' : 'quadratic', rows, c, features)
}
