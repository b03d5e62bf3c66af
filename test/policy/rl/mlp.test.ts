import assert from 'node:assert/strict'
import test from 'node:test'
import { policyPosition, type PolicyNetwork } from '../../../src/policy/rl/mlp.js'

const hidden = { inputs: 2, outputs: 2, weight: [1, 0, 0.5, -1], bias: [0, 0.25] }

test('rl mlp: a squashed policy is tanh through every layer, by hand', () => {
  const net: PolicyNetwork = {
    layers: [hidden, { inputs: 2, outputs: 1, weight: [2, -1], bias: [0.1] }],
    center: [0, 0],
    spread: [1, 1],
  }
  const h = [Math.tanh(0.3), Math.tanh(0.5 * 0.3 - 0.2 + 0.25)]
  assert.equal(policyPosition(net, [0.3, 0.2]), Math.tanh(2 * h[0] - h[1] + 0.1))
})

test('rl mlp: a value policy takes the size of the largest linear output, by hand', () => {
  const net: PolicyNetwork = {
    layers: [hidden, { inputs: 2, outputs: 3, weight: [1, 0, 0, 1, -1, -1], bias: [0, 0, 0] }],
    sizes: [-1, 0, 1],
    center: [0, 0],
    spread: [1, 1],
  }
  // Hidden (tanh 0.9, tanh 0.45 - 0.8 + 0.25): the first is the largest value, so the first size.
  assert.equal(policyPosition(net, [0.9, 0.8]), -1)
  // Both hidden units negative: the third output (minus their sum) is the largest.
  assert.equal(policyPosition(net, [-0.9, 0.8]), 1)
})
