import { test } from 'node:test'
import assert from 'node:assert/strict'
import { kellyPolicySchema, kellyPositions } from '../../src/policy/kelly.js'
import { barrierPayoffs, expectedReturn } from '../../src/policy/sizing/barrier-payoffs.js'
import type { PolicyInputs } from '../../src/policy/contract.js'
import { flatMarket, marketOf, randomBars, randomInputs } from './fixture.js'

const near = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`)

/** Rows of (down, flat, up) probabilities. */
function inputs(...rows: [number, number, number][]): PolicyInputs {
  return { n: rows.length, p: Float64Array.from(rows.flat()), p_up: Float64Array.from(rows, (r) => r[2]) }
}

const kelly = (params: Record<string, unknown>) => kellyPolicySchema.parse({ kind: 'kelly', ...params })

test('kelly outcomes: the 3-outcome growth-optimal size by hand, times the Kelly fraction, mirrored for shorts', () => {
  // Price 100, volatility 0.5 (0.5%), kUp = kDown = 2, no costs: a long returns -1%, 0, +1% (down, flat, up).
  // p = (0.3, 0.2, 0.5): 0.5 * 0.01 / (1 + 0.01 f) = 0.3 * 0.01 / (1 - 0.01 f) gives f = 25; a fraction 0.02 -> 0.5.
  const market = flatMarket(3, 100, 0.5, 0)
  const pos = kellyPositions(
    inputs([0.3, 0.2, 0.5], [0.5, 0.2, 0.3], [0.4, 0.2, 0.4]),
    market,
    kelly({ fraction: 0.02 }),
  )
  near(pos[0], 0.5)
  near(pos[1], -0.5)
  assert.equal(pos[2], 0)
  // The cap bounds it; without shorts the short row is flat.
  assert.deepEqual([...kellyPositions(inputs([0.3, 0.2, 0.5]), flatMarket(1, 100, 0.5, 0), kelly({ cap: 0.3 }))], [0.3])
  assert.deepEqual(
    [...kellyPositions(inputs([0.5, 0.2, 0.3]), flatMarket(1, 100, 0.5, 0), kelly({ fraction: 0.02, short: false }))],
    [0],
  )
})

test('kelly binary: f* = p - (1 - p) / b at the barrier odds after costs, scaled by the loss', () => {
  // 3 bp a side each way (round trip 6 bp): a long wins 1% - 0.06% at the upper barrier, loses 1% + 0.06%.
  const market = flatMarket(1, 100, 0.5, 0.0006)
  const win = 0.0094
  const loss = 0.0106
  const p = 0.6
  const stake = p - (1 - p) / (win / loss)
  const pos = kellyPositions(inputs([0.3, 0.1, 0.6]), market, kelly({ method: 'binary', fraction: 0.01 }))
  near(pos[0], (0.01 * stake) / loss)
  // From the p_up head instead of the p head's up column (long only).
  const fromHead = kellyPositions(
    { ...inputs([0.3, 0.1, 0.2]), p_up: Float64Array.from([0.6]) },
    market,
    kelly({ method: 'binary', source: 'p_up', short: false, fraction: 0.01 }),
  )
  near(fromHead[0], pos[0])
})

test('kelly never bets when the edge after costs is negative, though it is positive before them', () => {
  // p = (0.48, 0, 0.52): before costs the long expects 0.52% - 0.48% = +0.04%; after a 6 bp round trip, -0.02%.
  const rows = inputs([0.48, 0, 0.52], [0.52, 0, 0.48])
  for (const method of ['outcomes', 'binary']) {
    const costless = kellyPositions(rows, flatMarket(2, 100, 0.5, 0), kelly({ method }))
    assert.ok(costless[0] > 0 && costless[1] < 0, `${method}: ${costless[0]}, ${costless[1]}`)
    assert.deepEqual([...kellyPositions(rows, flatMarket(2, 100, 0.5, 0.0006), kelly({ method }))], [0, 0], method)
  }
  // min_edge (bp) is a threshold on the same edge: +0.04% before costs is below 5 bp.
  assert.deepEqual([...kellyPositions(rows, flatMarket(2, 100, 0.5, 0), kelly({ min_edge: 5 }))], [0, 0])
})

test('kelly on random outputs: every position lies on the side whose edge after costs is positive and at least min_edge', () => {
  const bars = randomBars(3000, 11)
  const rows = Int32Array.from({ length: 2900 }, (_, i) => 100 + i)
  const market = marketOf(bars, rows)
  const ins = randomInputs(rows.length, 12)
  const payoffs = new Float64Array(6)
  for (const method of ['outcomes', 'binary'] as const) {
    const params = kelly({ method, min_edge: 1 })
    const pos = kellyPositions(ins, market, params)
    let taken = 0
    for (let i = 0; i < pos.length; i++) {
      assert.ok(Number.isFinite(pos[i]) && Math.abs(pos[i]) <= 1)
      if (pos[i] === 0) continue
      taken++
      assert.ok(barrierPayoffs(market, i, payoffs))
      const edge =
        method === 'outcomes'
          ? expectedReturn(ins.p, 3 * i, payoffs, pos[i] > 0 ? 0 : 3)
          : pos[i] > 0
            ? ins.p[3 * i + 2] * payoffs[2] + (1 - ins.p[3 * i + 2]) * payoffs[0]
            : ins.p[3 * i] * payoffs[3] + (1 - ins.p[3 * i]) * payoffs[5]
      assert.ok(edge >= 1e-4, `${method} row ${i}: edge ${edge}`)
    }
    assert.ok(taken > 50 && taken < pos.length, `${method}: ${taken} positions`)
  }
})

test('kelly params: p_up is a binary, long-only source; unknown keys are refused', () => {
  const r = kellyPolicySchema.safeParse({ kind: 'kelly', source: 'p_up' })
  assert.ok(!r.success)
  assert.deepEqual(
    r.error.issues.map((i) => [i.path.join('.'), i.message]),
    [
      ['source', 'source: p_up is a win probability for method: binary; method: outcomes reads the p head'],
      ['short', "the p_up head gives P(up) only, so a short's win probability is unknown; set short: false"],
    ],
  )
  assert.ok(!kellyPolicySchema.safeParse({ kind: 'kelly', fraction: 0 }).success)
  assert.ok(!kellyPolicySchema.safeParse({ kind: 'kelly', cap: 1.5 }).success)
  assert.ok(!kellyPolicySchema.safeParse({ kind: 'kelly', leverage: 2 }).success)
})
