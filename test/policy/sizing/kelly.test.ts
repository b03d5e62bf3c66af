import { test } from 'node:test'
import assert from 'node:assert/strict'
import { binaryKellyPosition, binaryKellyStake, growthOptimalFraction } from '../../../src/policy/sizing/kelly.js'

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`)

test('binary Kelly: f* = p - (1 - p) / b on known answers; no bet without an edge', () => {
  near(binaryKellyStake(0.6, 1), 0.2)
  near(binaryKellyStake(0.5, 2), 0.25)
  near(binaryKellyStake(0.25, 4), 0.0625)
  near(binaryKellyStake(0.4, 1), -0.2)
  // A stake that is lost whole (loss 1 per unit): the position is the stake.
  near(binaryKellyPosition(0.6, 1, 1), 0.2)
  // Win 1% or lose 0.5% of the position: b = 2, f* = 0.55 - 0.45 / 2 = 0.325 of capital at risk, 65x the position.
  near(binaryKellyPosition(0.55, 0.01, 0.005), 0.325 / 0.005, 1e-9)
  assert.equal(binaryKellyPosition(0.4, 0.01, 0.01), 0)
  assert.equal(binaryKellyPosition(0.9, 0, 0.01), 0)
  assert.equal(binaryKellyPosition(0.9, -0.001, 0.01), 0)
})

test('multi-outcome Kelly: two outcomes agree with the binary formula', () => {
  near(growthOptimalFraction([0.6, 0.4], [0.02, -0.01], 1000), binaryKellyPosition(0.6, 0.02, 0.01), 1e-9)
  near(growthOptimalFraction([0.9, 0.1], [0.5, -1], 10), 0.7, 1e-12)
})

test('multi-outcome Kelly: three exclusive outcomes computed by hand', () => {
  // Returns +1, 0, -1 with p 0.5, 0.2, 0.3: the slope 0.5 / (1 + f) - 0.3 / (1 - f) is 0 at f = 0.2 / 0.8.
  near(growthOptimalFraction([0.5, 0.2, 0.3], [1, 0, -1], 1), 0.25, 1e-15)
  // Returns +1, -0.5, -1 with p 0.5, 0.25, 0.25: 0.5/(1+f) - 0.125/(1-0.5f) - 0.25/(1-f) = 0 reduces to
  // f^2 - 1.75 f + 0.25 = 0, whose root in [0, 1) is (1.75 - sqrt(2.0625)) / 2.
  near(growthOptimalFraction([0.5, 0.25, 0.25], [1, -0.5, -1], 1), (1.75 - Math.sqrt(2.0625)) / 2, 1e-15)
})

test('multi-outcome Kelly: no bet at a non-positive edge, the limit when the optimum lies beyond it', () => {
  assert.equal(growthOptimalFraction([0.5, 0.2, 0.3], [-1, 0, 1], 1), 0)
  assert.equal(growthOptimalFraction([0.5, 0.5], [0.01, -0.01], 1), 0)
  assert.equal(growthOptimalFraction([0.5, 0.2, 0.3], [1, 0, -1], 0.1), 0.1)
  // Only gains: the log growth rises without bound, so the limit.
  assert.equal(growthOptimalFraction([0.5, 0.5], [0.01, 0], 3), 3)
  assert.throws(() => growthOptimalFraction([0.5, 0.5], [1], 1), /2 probabilities for 1 outcomes/)
})
