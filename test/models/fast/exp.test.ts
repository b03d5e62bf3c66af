import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EXP_BOUND, expBounded, expNonPositive } from '../../../src/models/fast/exp.js'

const ULP = 2 ** -52

test('expNonPositive is within 3 ulp of Math.exp over [-700, 0]', () => {
  let worst = 0
  let at = 0
  const check = (t: number): void => {
    const err = Math.abs(expNonPositive(t) / Math.exp(t) - 1)
    if (err > worst) [worst, at] = [err, t]
  }
  for (let i = 0; i <= 700_000; i++) check(-i / 1000) // a dense grid, table boundaries included
  let seed = 12345
  for (let i = 0; i < 200_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    check(-(seed / 2 ** 32) * (i % 2 === 0 ? 700 : 1e-3)) // uniform, and tiny arguments near 0
  }
  assert.ok(worst <= 3 * ULP, `worst relative error ${worst} (${worst / ULP} ulp) at t = ${at}`)
})

test('expNonPositive edge values: exact 1 at 0, flush to 0 below -700, NaN stays NaN', () => {
  assert.equal(expNonPositive(0), 1)
  assert.equal(expNonPositive(-0), 1)
  assert.equal(expNonPositive(-700), Math.exp(-700))
  assert.equal(expNonPositive(-700.5), 0)
  assert.equal(expNonPositive(-Infinity), 0)
  assert.ok(Number.isNaN(expNonPositive(NaN)))
  assert.equal(expNonPositive(-1e-300), 1)
})

test('expBounded is within 3 ulp of Math.exp over [-700, 700], exact 1 at 0', () => {
  let worst = 0
  let at = 0
  for (let i = -700_000; i <= 700_000; i++) {
    const t = (i / 1000) * (EXP_BOUND / 700)
    const err = Math.abs(expBounded(t) / Math.exp(t) - 1)
    if (err > worst) [worst, at] = [err, t]
  }
  assert.ok(worst <= 3 * ULP, `worst relative error ${worst} (${worst / ULP} ulp) at t = ${at}`)
  assert.equal(expBounded(0), 1)
  assert.equal(expBounded(-0), 1)
  assert.ok(Number.isFinite(expBounded(EXP_BOUND)) && expBounded(EXP_BOUND) > 1e303)
})
