/*
 * A minimal WebAssembly binary encoder: just what the SIMD kernels need (one imported memory, functions of i32
 * parameters returning nothing or an i32, i32/f64/v128 locals, loops, f64 and f64x2 arithmetic). Kernels are assembled from these helpers at
 * run time, so no toolchain or prebuilt binary is involved. Encoding: WebAssembly Core Specification 2.0, section 5.
 */

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`uleb: ${n} is not a u32`)
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n = Math.floor(n / 128)
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

/** Signed LEB128 of an i32. */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) throw new Error(`sleb: ${n} is not an i32`)
  const out: number[] = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

export const I32 = 0x7f
export const F64 = 0x7c
export const V128 = 0x7b
export type ValueType = typeof I32 | typeof F64 | typeof V128

/** A function: its i32 parameters, whether it returns an i32, its extra locals (after the parameters), its body. */
export interface FunctionDef {
  readonly name: string
  readonly params: number
  readonly returnsI32?: boolean
  readonly locals: readonly ValueType[]
  readonly body: readonly number[]
}

function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()]
}

function section(id: number, content: readonly number[]): number[] {
  return [id, ...uleb(content.length), ...content]
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)]
  return [...uleb(bytes.length), ...bytes]
}

/** The largest memory a 32-bit WebAssembly module can address, in 64 KiB pages (4 GiB). */
export const MAX_PAGES = 65536

/**
 * A module importing `env.memory` of any size (shared when asked: worker threads need that) and exporting
 * `functions`.
 */
export function encodeModule(functions: readonly FunctionDef[], shared: boolean): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...vec(Array.from({ length: f.params }, () => [I32])),
    ...(f.returnsI32 ? [1, I32] : [0]),
  ])
  const limits = shared ? [0x03, ...uleb(1), ...uleb(MAX_PAGES)] : [0x00, ...uleb(1)]
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...limits]])
  const code = functions.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]))
    const body = [...locals, ...f.body, 0x0b]
    return [...uleb(body.length), ...body]
  })
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(code)),
  ])
}

/* Instructions. Memory offsets are bytes; alignment hints are log2 bytes (8 for f64 and for v128, whose addresses
 * here are only 8-byte aligned, which WebAssembly allows). */
const simd = (op: number): number[] => [0xfd, ...uleb(op)]
const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)]
const bytesOf = (values: Float64Array): number[] => [...new Uint8Array(values.buffer)] // little-endian, as wasm

export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32GeS: [0x4e],
  i32GtS: [0x4a],
  f64Load: (offset = 0) => [0x2b, ...memarg(3, offset)],
  f64Store: (offset = 0) => [0x39, ...memarg(3, offset)],
  f64Add: [0xa0],
  f64Div: [0xa3],
  f64: (v: number) => [0x44, ...bytesOf(Float64Array.of(v))],
  v128Load: (offset = 0) => [...simd(0x00), ...memarg(3, offset)],
  v128Store: (offset = 0) => [...simd(0x0b), ...memarg(3, offset)],
  v128Zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  f64x2Splat: simd(0x14),
  f64x2Lane: (lane: 0 | 1) => [...simd(0x21), lane],
  f64x2Add: simd(0xf0),
  f64x2Sub: simd(0xf1),
  f64x2Mul: simd(0xf2),
  f64x2Abs: simd(0xec),
  f64x2Le: simd(0x4b),
  /** Lanes (lo of a, lo of b) from two vectors (hi: the high lanes). */
  f64x2Low: [...simd(0x0d), ...[0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]],
  f64x2High: [...simd(0x0d), ...[8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]],
  i64x2Shl: simd(0xcb),
  i64x2Add: simd(0xce),
  /** 1 when both 64-bit lanes are non-zero (comparison masks: both true). */
  i64x2AllTrue: simd(0xc3),
  if: (body: readonly number[]) => [0x04, 0x40, ...body, 0x0b],
  i32Eqz: [0x45],
  i32And: [0x71],
  return: [0x0f],
  /** A block (br 0 inside it jumps past its end). */
  block: (body: readonly number[]) => [0x02, 0x40, ...body, 0x0b],
  /** A loop (br 0 inside it jumps back to its start). */
  loop: (body: readonly number[]) => [0x03, 0x40, ...body, 0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
} as const

/**
 * `while counter < limit { body; counter += step }` (signed i32 compare); `limit` is the code that pushes it. The
 * counter keeps its value on entry.
 */
export function whileLess(counter: number, limit: readonly number[], step: number, body: readonly number[]): number[] {
  return op.block(
    op.loop([
      ...op.get(counter),
      ...limit,
      ...op.i32GeS,
      ...op.brIf(1),
      ...body,
      ...op.get(counter),
      ...op.i32(step),
      ...op.i32Add,
      ...op.set(counter),
      ...op.br(0),
    ]),
  )
}
