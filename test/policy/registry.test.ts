import assert from 'node:assert/strict'
import test from 'node:test'
import { atr } from '../../src/labels/volatility.js'
import {
  decide,
  policyConfigSchema,
  policyList,
  policyNeeds,
  policyRegistry,
  type PolicyConfig,
} from '../../src/policy/registry.js'
import { marketOf, perturbed, randomBars, randomInputs, randomNetwork } from './fixture.js'

const single = (raw: unknown) => policyConfigSchema.parse(raw) as PolicyConfig

/** Params that make each entry read everything it can (p_up, the interval) and trade often. */
const VARIANTS: Record<string, unknown[]> = {
  threshold: [{}],
  kelly: [{}, { method: 'binary' }, { method: 'binary', source: 'p_up', short: false }],
  quantile: [{}, { straddle: 'trade' }],
  vol_target: [{ lookback: 60 }],
  rl: [{}, { algorithm: 'dqn', inputs: ['p_up', 'q_lo', 'q_hi'] }],
}

/** What an entry cannot default: the rl policy's inputs and algorithm. */
const REQUIRED: Record<string, object> = { rl: { algorithm: 'ppo', inputs: ['p', 'E_r', 'return_1'] } }

/** A learning entry's fitted state for its params: a random network over the columns its inputs give. */
function stateFor(params: PolicyConfig): unknown {
  if (params.kind !== 'rl') return undefined
  const width = (params.inputs as string[]).reduce((s, name) => s + (name === 'p' ? 3 : 1), 0)
  const network = randomNetwork(width, 8, 5)
  if (params.algorithm !== 'dqn') return { network, seed: 1, update: 0 }
  const sizes = params.sizes as number[]
  const last = randomNetwork(8, sizes.length, 6).layers[0]
  return { network: { ...network, layers: [...network.layers.slice(0, 2), last], sizes }, seed: 1, update: 0 }
}

for (const [kind, entry] of policyRegistry) {
  test(`policy ${kind}: defaults parse, positions are finite in [-1, 1], and the same inputs give the same positions`, () => {
    const params = single({ kind, ...REQUIRED[kind] })
    assert.equal(params.kind, kind)
    assert.deepEqual(entry.params.parse(params), params)
    assert.ok(entry.needs(params).length > 0)
    const bars = randomBars(2000, 3)
    const rows = Int32Array.from({ length: 1800 }, (_, i) => 150 + i)
    const ins = randomInputs(rows.length, 4)
    const a = decide(ins, marketOf(bars, rows), params, stateFor(params))
    assert.ok(a instanceof Float64Array)
    assert.equal(a.length, rows.length)
    assert.ok(a.every((x) => Number.isFinite(x) && x >= -1 && x <= 1))
    assert.ok(
      a.some((x) => x !== 0),
      'the policy takes some position on random outputs',
    )
    assert.deepEqual(decide(ins, marketOf(bars, rows), params, stateFor(params)), a)
  })

  test(`policy ${kind}: a position at row t uses nothing after t (bars and outputs after t perturbed)`, () => {
    for (const variant of VARIANTS[kind]) {
      const params = single({ kind, ...REQUIRED[kind], ...(variant as object) })
      const state = stateFor(params)
      const bars = randomBars(1500, 21)
      const rows = Int32Array.from({ length: 1400 }, (_, i) => 80 + i)
      const ins = randomInputs(rows.length, 22)
      const before = decide(ins, marketOf(bars, rows), params, state)
      for (const [k, from] of [200, 701, 1300].entries()) {
        const moved = perturbed(ins, bars, rows, from, 100 + k)
        // The labels' volatility recomputed from the perturbed bars: the whole chain of what a policy reads.
        const market = { ...marketOf(moved.bars, rows), vol: atr(moved.bars, 14) }
        const after = decide(moved.inputs, market, params, state)
        assert.deepEqual(
          after.subarray(0, from),
          before.subarray(0, from),
          `${kind} ${JSON.stringify(variant)} from ${from}`,
        )
        assert.notDeepEqual(after.subarray(from), before.subarray(from), 'the perturbation reached the policy')
      }
    }
  })
}

test('threshold: the thresholds are honoured, and a short threshold of 1 disables shorts', () => {
  const p = Float64Array.from([0.1, 0.3, 0.6, 0.6, 0.3, 0.1])
  const market = marketOf(randomBars(30, 1), Int32Array.from([20, 21]))
  assert.deepEqual(Array.from(decide({ n: 2, p }, market, single({ long: 0.55, short: 0.55 }))), [1, -1])
  assert.deepEqual(Array.from(decide({ n: 2, p }, market, single({ long: 0.65, short: 1 }))), [0, 0])
})

test('an unknown policy or a bad threshold is refused naming the field', () => {
  const unknown = policyConfigSchema.safeParse({ kind: 'kelley' })
  assert.ok(!unknown.success)
  assert.equal(
    unknown.error.issues[0].message,
    'unknown policy "kelley"; did you mean "kelly"? available: threshold, kelly, quantile, vol_target, rl',
  )
  assert.deepEqual(unknown.error.issues[0].path, ['kind'])
  const r = policyConfigSchema.safeParse({ long: 1.5 })
  assert.ok(!r.success && r.error.issues[0].path.join('.') === 'long')
})

test('a list of policies: kinds by name or with params, the primary first; a list of one is that policy', () => {
  const list = policyConfigSchema.parse(['threshold', { kind: 'kelly', fraction: 0.25 }])
  assert.ok(Array.isArray(list))
  assert.deepEqual(
    policyList(list).map((p) => [p.kind, p.fraction ?? null]),
    [
      ['threshold', null],
      ['kelly', 0.25],
    ],
  )
  assert.deepEqual(policyConfigSchema.parse(['kelly']), single({ kind: 'kelly' }))
  assert.deepEqual(policyConfigSchema.parse('vol_target'), single({ kind: 'vol_target' }))
  const twice = policyConfigSchema.safeParse(['kelly', { kind: 'kelly', fraction: 0.1 }])
  assert.ok(!twice.success)
  assert.deepEqual(twice.error.issues[0].path, [1])
  assert.match(twice.error.issues[0].message, /policy kelly appears twice in the list/)
  const bad = policyConfigSchema.safeParse(['threshold', { kind: 'quantile', straddle: 'maybe' }])
  assert.ok(!bad.success)
  assert.deepEqual(bad.error.issues[0].path, [1, 'straddle'])
  assert.ok(!policyConfigSchema.safeParse([]).success)
})

test('each policy declares the chain outputs it reads', () => {
  assert.deepEqual(policyNeeds(single('threshold')), ['p'])
  assert.deepEqual(policyNeeds(single('kelly')), ['p'])
  assert.deepEqual(policyNeeds(single({ kind: 'kelly', method: 'binary', source: 'p_up', short: false })), ['p_up'])
  assert.deepEqual(policyNeeds(single('quantile')), ['E_r', 'q_lo/q_hi'])
  assert.deepEqual(policyNeeds(single('vol_target')), ['p'])
  assert.deepEqual(policyNeeds(single({ kind: 'rl', algorithm: 'sac', inputs: ['return_1', 'E_r', 'q_hi'] })), [
    'E_r',
    'q_lo/q_hi',
  ])
})

test('a policy that returns a position outside [-1, 1] is stopped naming the row', () => {
  const market = marketOf(randomBars(30, 1), Int32Array.from([20]))
  const entry = policyRegistry.get('threshold')!
  const original = entry.decide
  try {
    ;(entry as { decide: typeof entry.decide }).decide = () => Float64Array.from([NaN])
    assert.throws(
      () => decide({ n: 1, p: Float64Array.from([0, 0, 1]) }, market, single('threshold')),
      /policy threshold gave position NaN for the row at bar 20/,
    )
  } finally {
    ;(entry as { decide: typeof entry.decide }).decide = original
  }
})
