import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  linearKernel,
  numberLiteral,
  OFFSET_MASK,
  quadraticKernel,
  UNROLL_LIMIT,
} from '../../../src/models/fast/codegen.js'
import { EXP_BOUND } from '../../../src/models/fast/exp.js'
import { createFastGaussianNb } from '../../../src/models/fast/gaussian_nb.js'
import { createFastLinear } from '../../../src/models/fast/linear.js'
import { rng } from '../tabular/helpers.js'

/** Textbook softmax of scores, max subtracted, Math.exp: the reference the generated kernels must match. */
function softmax(z: number[]): number[] {
  const m = Math.max(...z)
  const e = z.map((v) => Math.exp(v - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / s)
}

function linearReference(w: Float64Array, b: Float64Array, x: Float64Array, sigmoid: boolean): number[] {
  const F = x.length
  const z = Array.from(b, (bk, k) => {
    let acc = bk
    for (let j = 0; j < F; j++) acc += w[k * F + j] * x[j]
    return acc
  })
  return sigmoid ? softmax([0, z[0]]) : softmax(z)
}

function nbReference(theta: Float64Array, inv: Float64Array, base: Float64Array, x: Float64Array): number[] {
  const F = x.length
  return softmax(
    Array.from(base, (bk, k) => {
      let acc = bk
      for (let j = 0; j < F; j++) acc -= (x[j] - theta[k * F + j]) ** 2 * inv[k * F + j]
      return acc
    }),
  )
}

function assertClose(got: Float64Array, want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, what)
  want.forEach((v, k) => assert.ok(Math.abs(got[k] - v) <= tol, `${what} class ${k}: ${got[k]} vs ${v}`))
}

test('numberLiteral prints doubles that parse back identically and refuses non-finite values', () => {
  const r = rng(7)
  const values = [0, -0, 5e-324, -5e-324, 1.7976931348623157e308, 0.1, -1 / 3, 2 ** -1074, 123456789.123]
  for (let i = 0; i < 1000; i++) values.push((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20))
  for (const v of values) assert.ok(Object.is(Number(eval(numberLiteral(v))), v), `${v} -> ${numberLiteral(v)}`)
  assert.throws(() => numberLiteral(NaN), /not a finite number/)
  assert.throws(() => numberLiteral(Infinity), /not a finite number/)
})

test('generated and loop linear kernels equal the textbook softmax (binary, 3 and 5 classes, small and large)', () => {
  const r = rng(11)
  for (const [classes, F] of [
    [2, 1],
    [3, 7],
    [3, 55],
    [5, 20],
    [3, UNROLL_LIMIT], // (classes - 1) x F past the limit: the loop kernels
  ]) {
    for (const sigmoid of classes === 2 ? [true, false] : [false]) {
      const rows = sigmoid ? 1 : classes
      const w = Float64Array.from({ length: rows * F }, () => (r() - 0.5) * 4)
      const b = Float64Array.from({ length: rows }, () => r() - 0.5)
      const fast = createFastLinear({ coef: w, intercept: b, link: sigmoid ? 'sigmoid' : 'softmax' })
      for (let i = 0; i < 20; i++) {
        const x = Float64Array.from({ length: F }, () => (r() - 0.5) * 3)
        assertClose(fast.predict(x), linearReference(w, b, x, sigmoid), 1e-13, `K=${classes} F=${F} row ${i}`)
      }
    }
  }
})

test('linear kernels stay finite at extreme scores and reject an infinite input by name', () => {
  const fast = createFastLinear({
    coef: Float64Array.of(1, -1, 2),
    intercept: Float64Array.of(0, 0, 0),
    link: 'softmax',
  })
  for (const v of [900, -900, 1e6]) {
    const p = fast.predict(Float64Array.of(v))
    assertClose(p, softmax([v, -v, 2 * v]), 1e-15, `score ${v}`)
  }
  const logit = createFastLinear({ coef: Float64Array.of(1), intercept: Float64Array.of(0), link: 'sigmoid' })
  assertClose(logit.predict(Float64Array.of(800)), [0, 1], 0, 'logit 800')
  assertClose(logit.predict(Float64Array.of(-40)), [1 - Math.exp(-40), Math.exp(-40)], 1e-30, 'logit -40')
  assert.throws(() => fast.predict(Float64Array.of(Infinity)), /fast linear: the scores of this row are not finite/)
  assert.throws(() => fast.predict(Float64Array.of(NaN)), /fast linear: input column 0 is NaN/)
})

test('the softmax of the WebAssembly module is accurate to a few ulp over the whole range of its exps', () => {
  // Three classes, scores (0, t, -t / 3): the module's e^z on both lanes, its 2^k scaling at both ends of the range.
  const kernels = (['auto', 'js'] as const).map((engine) => ({
    engine,
    kernel: linearKernel(Float64Array.of(1, -1 / 3), Float64Array.of(0, 0), 1, engine),
  }))
  const out = new Float64Array(3)
  let worst = 0
  for (let i = 0; i <= 4000; i++) {
    const t = -EXP_BOUND + (2 * EXP_BOUND * i) / 4000 + (i % 7) * 1e-3
    // The same softmax with Math.exp, unshifted (in range it cannot overflow), of the scores exactly as the
    // kernel computes them: the comparison isolates the exps.
    const [e1, e2] = [Math.exp(t), Math.exp((-1 / 3) * t)]
    const inv = 1 / (1 + e1 + e2)
    const want = [inv, e1 * inv, e2 * inv]
    for (const { engine, kernel } of kernels) {
      assert.equal(kernel(Float64Array.of(t), 0, out), true, `${engine} t=${t}`)
      want.forEach((v, k) => {
        // Relative to the value, except for subnormal probabilities (below 1e-300 they carry few digits anyway).
        const error = Math.abs(out[k] - v)
        assert.ok(error <= 1e-15 * v + 1e-300, `${engine} t=${t} class ${k}: ${out[k]} vs ${v}`)
        if (v > 1e-300) worst = Math.max(worst, error / v)
      })
    }
  }
  assert.ok(worst > 0, 'the comparison saw rounding differences, so it compared something')
})

test('kernels refuse offsets that are not whole non-negative integers in range; the predictor names the offset', () => {
  const F = 4
  const kernel = linearKernel(Float64Array.of(1, 2, 3, 4, 4, 3, 2, 1), Float64Array.of(0, 0), F)
  const x = Float64Array.of(0, 0.1, 0.2, 0.3, 0.4, 0.5)
  const out = new Float64Array(3)
  assert.equal(kernel(x, 2, out), true)
  for (const o of [-1, 0.5, OFFSET_MASK + 1, NaN]) assert.equal(kernel(x, o, out), false, `offset ${o}`)
  const coef = Float64Array.of(1, 2, 3, 4, 4, 3, 2, 1)
  const fast = createFastLinear({ coef, intercept: Float64Array.of(0, 0), link: 'softmax' })
  const want = Float64Array.from(fast.predict(x, 2))
  assert.deepEqual(fast.predict(x.slice(2), 0), want)
  for (const o of [-1, 1.5, 3]) {
    assert.throws(() => fast.predict(x, o), new RegExp(`offset ${o} does not start a row of 4 features`))
  }
})

test('generated naive Bayes kernel matches the direct log-likelihood, also for features far from zero', () => {
  const r = rng(23)
  for (const [classes, F, offset] of [
    [2, 3, 0],
    [3, 55, 0],
    [3, 55, 3000], // price-level features: centering keeps the expanded squares from cancelling
    [4, 9, -50],
    [3, UNROLL_LIMIT, 0],
  ]) {
    const theta = Float64Array.from({ length: classes * F }, () => offset + (r() - 0.5) * 2)
    const variance = Float64Array.from({ length: classes * F }, () => 0.2 + r() * 2)
    const inv = variance.map((v) => 1 / (2 * v))
    const base = Float64Array.from({ length: classes }, () => Math.log(0.2 + r()))
    const fast = createFastGaussianNb({ theta, invTwoVar: inv, base })
    for (let i = 0; i < 20; i++) {
      // Rows near the class means (probabilities away from 0 and 1, where errors would show).
      const k = i % classes
      const x = Float64Array.from({ length: F }, (_, j) => theta[k * F + j] + (r() - 0.5) * 0.3)
      assertClose(fast.predict(x), nbReference(theta, inv, base, x), 1e-12, `K=${classes} F=${F} +${offset} row ${i}`)
    }
  }
  // Nearly equal classes (probabilities near 1/3, where score errors show) at three offsets: 1e5 needs centering
  // (uncentered, the expanded squares cancel to errors near 1e-5), 0 and 1 run uncentered.
  for (const offset of [0, 1, 1e5]) {
    const F = 55
    const theta = Float64Array.from({ length: 3 * F }, () => offset + (r() - 0.5) * 0.02)
    const inv = Float64Array.from({ length: 3 * F }, () => 1 / (2 * (0.5 + r())))
    const base = Float64Array.from({ length: 3 }, () => Math.log(0.2 + r()))
    const fast = createFastGaussianNb({ theta, invTwoVar: inv, base })
    for (let i = 0; i < 20; i++) {
      const x = Float64Array.from({ length: F }, () => offset + (r() - 0.5) * 0.5)
      const want = nbReference(theta, inv, base, x)
      assert.ok(Math.min(...want) > 0.01, 'a balanced row')
      assertClose(fast.predict(x), want, 1e-13, `balanced +${offset} row ${i}`)
    }
  }
})

test('both kernel engines (WebAssembly scores and straight-line JavaScript) give the reference probabilities', () => {
  const r = rng(31)
  for (const F of [1, 2, 7, 8, 9, 55]) {
    for (const rows of [1, 2, 4]) {
      const w = Float64Array.from({ length: rows * F }, () => (r() - 0.5) * 3)
      const c = Float64Array.from({ length: rows }, () => r() - 0.5)
      // Every other model centered at 0: the module without the center block and its subtraction.
      const center = Float64Array.from({ length: F }, () => (rows % 2 === 0 ? 0 : (r() - 0.5) * 100))
      const a = Float64Array.from({ length: rows * F }, () => (r() - 0.5) * 0.4)
      const b = Float64Array.from({ length: rows * F }, () => (r() - 0.5) * 2)
      const kernels = (['auto', 'js'] as const).map((engine) => ({
        engine,
        linear: linearKernel(w, c, F, engine),
        quadratic: quadraticKernel(a, b, c, center, F, engine),
      }))
      for (let i = 0; i < 10; i++) {
        const x = Float64Array.from({ length: F + 3 }, (_, j) => center[j % F] + (r() - 0.5) * 4)
        const o = i % 3 // rows that start inside a larger array
        const lin: number[] = [0]
        const quad: number[] = [0]
        for (let k = 0; k < rows; k++) {
          let zl = c[k]
          let zq = c[k]
          for (let j = 0; j < F; j++) {
            const u = x[o + j] - center[j]
            zl += w[k * F + j] * x[o + j]
            zq += a[k * F + j] * u * u + b[k * F + j] * u
          }
          lin.push(zl)
          quad.push(zq)
        }
        for (const k of kernels) {
          const out = new Float64Array(rows + 1)
          assert.equal(k.linear(x, o, out), true)
          assertClose(out, softmax(lin), 1e-13, `${k.engine} linear F=${F} rows=${rows} i=${i}`)
          assert.equal(k.quadratic(x, o, out), true)
          assertClose(out, softmax(quad), 1e-12, `${k.engine} quadratic F=${F} rows=${rows} i=${i}`)
        }
      }
      // A NaN anywhere in the row is reported by both engines (the predictor then imputes or rejects it).
      for (const k of kernels) {
        const x = new Float64Array(F).fill(0.5)
        x[F - 1] = NaN
        assert.equal(k.linear(x, 0, new Float64Array(rows + 1)), false, `${k.engine} linear NaN`)
        assert.equal(k.quadratic(x, 0, new Float64Array(rows + 1)), false, `${k.engine} quadratic NaN`)
      }
    }
  }
})
