import { test } from 'node:test'
import assert from 'node:assert/strict'
import { thresholdSignals, thresholdPolicySchema } from '../../src/policy/threshold.js'

test('threshold policy: long, short and flat from calibrated probabilities (down, flat, up)', () => {
  const policy = thresholdPolicySchema.parse({ long: 0.6, short: 0.55 })
  const p = Float64Array.from([0.1, 0.2, 0.7, 0.56, 0.4, 0.04, 0.3, 0.4, 0.3, 0.45, 0.0, 0.55, 0.6, 0.0, 0.4])
  assert.deepEqual([...thresholdSignals(p, 3, policy)], [1, -1, 0, 0, -1])
  // Two classes (not up, up): shorts never fire.
  assert.deepEqual([...thresholdSignals(Float64Array.from([0.3, 0.7, 0.9, 0.1]), 2, policy)], [1, 0])
  assert.throws(() => thresholdPolicySchema.parse({ long: 1.5 }))
})
