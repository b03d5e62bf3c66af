import assert from 'node:assert/strict'
import test from 'node:test'
import { decide, policyConfigSchema, policyRegistry } from '../../src/policy/registry.js'

for (const [kind, entry] of policyRegistry) {
  test(`policy ${kind}: defaults parse, and every row gets one position in {-1, 0, 1}`, () => {
    const params = policyConfigSchema.parse({ kind })
    assert.equal(params.kind, kind)
    assert.deepEqual(entry.params.parse(params), params)
    const p = Float64Array.from([0.05, 0.05, 0.9, 0.9, 0.05, 0.05, 0.2, 0.6, 0.2, 1 / 3, 1 / 3, 1 / 3])
    const signals = decide(p, 3, params)
    assert.ok(signals instanceof Int8Array)
    assert.equal(signals.length, 4)
    assert.ok(signals.every((s) => s === -1 || s === 0 || s === 1))
    // Deterministic, and a confident up row is long, a confident down row short, a flat row flat.
    assert.deepEqual(decide(p, 3, params), signals)
    assert.deepEqual(Array.from(signals.slice(0, 3)), [1, -1, 0])
  })
}

test('threshold: the thresholds are honoured, and a short threshold of 1 disables shorts', () => {
  const p = Float64Array.from([0.1, 0.3, 0.6, 0.6, 0.3, 0.1])
  assert.deepEqual(Array.from(decide(p, 3, policyConfigSchema.parse({ long: 0.55, short: 0.55 }))), [1, -1])
  assert.deepEqual(Array.from(decide(p, 3, policyConfigSchema.parse({ long: 0.65, short: 1 }))), [0, 0])
})

test('an unknown policy or a bad threshold is refused naming the field', () => {
  const unknown = policyConfigSchema.safeParse({ kind: 'kelly' })
  assert.ok(!unknown.success)
  assert.equal(unknown.error.issues[0].message, 'unknown policy "kelly"; available: threshold')
  assert.deepEqual(unknown.error.issues[0].path, ['kind'])
  const r = policyConfigSchema.safeParse({ long: 1.5 })
  assert.ok(!r.success && r.error.issues[0].path.join('.') === 'long')
})
