import assert from 'node:assert/strict'
import { test } from 'node:test'
import { logisticKernel, type LogisticProblem } from '../../../src/models/tabular/linear/logloss.js'
import { parallelKernel } from '../../../src/models/tabular/linear/parallel.js'
import { encodeModule, op, sleb, uleb, F64 } from '../../../src/models/wasm/encode.js'
import { squaredHingeKernel } from '../../../src/models/tabular/linear/hinge.js'
import {
  binaryWasmKernel,
  softmax3WasmKernel,
  squaredHingeWasmKernel,
  wasmAvailable,
} from '../../../src/models/tabular/linear/wasm/logistic.js'
import { rng } from './helpers.js'

test('LEB128 encodings match the specification examples', () => {
  assert.deepEqual(uleb(0), [0])
  assert.deepEqual(uleb(127), [0x7f])
  assert.deepEqual(uleb(128), [0x80, 0x01])
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26])
  assert.deepEqual(uleb(0xffffffff), [0xff, 0xff, 0xff, 0xff, 0x0f])
  assert.deepEqual(sleb(0), [0])
  assert.deepEqual(sleb(-1), [0x7f])
  assert.deepEqual(sleb(63), [0x3f])
  assert.deepEqual(sleb(64), [0xc0, 0x00])
  assert.deepEqual(sleb(-64), [0x40])
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78])
  assert.throws(() => uleb(-1), /not a u32/)
  assert.throws(() => sleb(2 ** 31), /not an i32/)
})

test('an encoded module runs: f64x2 multiply-add of memory, stored back', () => {
  // out[0..1] = a[0..1] * b[0..1] + out[0..1], addresses (a, b, out) as parameters.
  const body = [
    ...op.get(2),
    ...op.get(2),
    ...op.v128Load(),
    ...op.get(0),
    ...op.v128Load(),
    ...op.get(1),
    ...op.v128Load(),
    ...op.f64x2Mul,
    ...op.f64x2Add,
    ...op.v128Store(),
  ]
  const bytes = encodeModule([{ name: 'fma', params: 3, locals: [F64], body }], false)
  const memory = new WebAssembly.Memory({ initial: 1 })
  const { fma } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as {
    fma: (a: number, b: number, out: number) => void
  }
  const m = new Float64Array(memory.buffer)
  m.set([1.5, -2, 4, 0.25, 10, 20])
  fma(0, 16, 32)
  assert.deepEqual([m[4], m[5]], [16, 19.5])
})

function problem(n: number, f: number, seed: number, classes = 3): LogisticProblem {
  const r = rng(seed)
  return {
    x: Float64Array.from({ length: n * f }, () => (r() - 0.5) * 4),
    n,
    f,
    labels: Int32Array.from({ length: n }, () => Math.floor(r() * classes)),
    // Some zero weights: those rows must add nothing.
    weights: Float64Array.from({ length: n }, () => (r() < 0.1 ? 0 : r() * 2)),
    l2: 0,
    fitIntercept: true,
  }
}

function evaluate(
  k: (w: Float64Array, b: Float64Array, gw: Float64Array, gb: Float64Array) => number,
  f: number,
  rows = 3,
) {
  const r = rng(99)
  const w = Float64Array.from({ length: rows * f }, () => r() - 0.5)
  const b = Float64Array.from({ length: rows }, (_, k) => 0.3 - 0.2 * k)
  const gw = new Float64Array(rows * f)
  const gb = new Float64Array(rows)
  const loss = k(w, b, gw, gb)
  return { loss, gw, gb }
}

function assertNear(a: ReturnType<typeof evaluate>, b: ReturnType<typeof evaluate>, what: string): void {
  // Relative to the gradient's scale: summation orders differ, so equal to rounding, not bit for bit.
  const scale = Math.max(1, ...Array.from(a.gw, Math.abs), ...Array.from(a.gb, Math.abs))
  assert.ok(Math.abs(a.loss - b.loss) <= 1e-12 * Math.abs(a.loss), `${what}: loss ${a.loss} vs ${b.loss}`)
  a.gw.forEach((v, j) => assert.ok(Math.abs(v - b.gw[j]) <= 1e-12 * scale, `${what}: gw[${j}] ${v} vs ${b.gw[j]}`))
  a.gb.forEach((v, k) => assert.ok(Math.abs(v - b.gb[k]) <= 1e-12 * scale, `${what}: gb[${k}] ${v} vs ${b.gb[k]}`))
}

test('the SIMD three-class, binary and squared hinge kernels equal the JavaScript kernels (any n, odd and even f), deterministically', (t) => {
  if (!wasmAvailable(false)) return t.skip('this engine has no WebAssembly SIMD')
  for (const [n, f] of [
    [1, 1],
    [3, 2],
    [7, 5],
    [257, 3], // one block and a bit, rows not a multiple of 4
    [1000, 50],
    [600, 55],
  ]) {
    const p = problem(n, f, n + f)
    const wasm = softmax3WasmKernel(p)!
    const js = evaluate(logisticKernel(p, 3), f)
    const a = evaluate(wasm, f)
    assertNear(js, a, `n=${n} f=${f}`)
    const again = evaluate(wasm, f)
    assert.equal(again.loss, a.loss, 'same kernel, same result')
    assert.deepEqual(again.gw, a.gw)
    assert.deepEqual(evaluate(softmax3WasmKernel(p)!, f).gw, a.gw, 'a fresh kernel gives the identical result')
    // Binary: one logit row, labels 0/1.
    const pb = problem(n, f, n * f, 2)
    const binary = binaryWasmKernel(pb)!
    const bjs = evaluate(logisticKernel(pb, 1), f, 1)
    const ba = evaluate(binary, f, 1)
    assertNear(bjs, ba, `binary n=${n} f=${f}`)
    assert.deepEqual(evaluate(binary, f, 1).gw, ba.gw, 'binary: same kernel, same result')
    // Squared hinge, one-vs-rest for each class of the three-class problem.
    for (const positive of [0, 1, 2]) {
      const hinge = squaredHingeWasmKernel(p, positive)!
      const hjs = evaluate(squaredHingeKernel(p, positive), f, 1)
      const ha = evaluate(hinge, f, 1)
      assertNear(hjs, ha, `squared hinge n=${n} f=${f} positive=${positive}`)
      assert.deepEqual(evaluate(hinge, f, 1).gw, ha.gw, 'hinge: same kernel, same result')
    }
  }
})

test('the SIMD kernels on two threads (shared memory) equal one thread and are deterministic', (t) => {
  if (!wasmAvailable(true)) return t.skip('this engine has no shared-memory WebAssembly SIMD')
  const f = 9
  for (const spec of [
    { loss: 'logistic', rows: 3 },
    { loss: 'logistic', rows: 1 },
    { loss: 'squared_hinge', positive: 1 },
  ] as const) {
    const rows = spec.loss === 'logistic' ? spec.rows : 1
    const p = problem(50_001, f, 5, rows === 1 ? 2 : 3)
    const one = evaluate(spec.loss === 'logistic' ? logisticKernel(p, rows) : squaredHingeKernel(p, 1), f, rows)
    const two = parallelKernel(p, spec, 2)
    try {
      const a = evaluate(two, f, rows)
      assertNear(one, a, `two threads, ${JSON.stringify(spec)}`)
      const b = evaluate(two, f, rows)
      assert.equal(b.loss, a.loss)
      assert.deepEqual(b.gw, a.gw)
    } finally {
      two.close?.()
    }
  }
})

test('parallel kernels reuse one pooled shared memory, growing it, and see only their own data', () => {
  const f = 6
  const p = problem(45_000, f, 8)
  // One after another (as fits run: the worker pool serves one kernel at a time), smaller and larger problems.
  for (const r of [p, problem(60_000, f, 10), problem(44_000, f, 11)]) {
    const k = parallelKernel(r, { loss: 'logistic', rows: 3 }, 2)
    try {
      assertNear(evaluate(logisticKernel(r, 3), f), evaluate(k, f), `reused memory, n=${r.n}`)
    } finally {
      k.close?.()
    }
  }
  // Five classes have no WebAssembly kernel: their JavaScript kernels read the same shared copies.
  const five = { ...p, labels: Int32Array.from(p.labels, (v, i) => (v + i) % 5) }
  const k5 = parallelKernel(five, { loss: 'logistic', rows: 5 }, 2)
  try {
    assertNear(evaluate(logisticKernel(five, 5), f, 5), evaluate(k5, f, 5), 'five classes, two threads')
  } finally {
    k5.close?.()
  }
})

test('repeated parallel fits do not grow resident memory (one pooled memory, not one per fit)', () => {
  const f = 50
  const p = problem(100_000, f, 12) // 40 MB of rows: a memory per fit would add that much each time
  const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20
  let after2 = 0
  for (let i = 0; i < 8; i++) {
    const k = parallelKernel(p, { loss: 'logistic', rows: 3 }, 2)
    try {
      evaluate(k, f)
    } finally {
      k.close?.()
    }
    if (i === 1) after2 = rssMiB()
  }
  const growth = rssMiB() - after2
  assert.ok(growth < 100, `resident memory grew ${growth.toFixed(0)} MiB over 6 more fits`)
})
