import { test } from 'node:test'
import assert from 'node:assert/strict'
import { quantilePolicySchema, quantilePositions } from '../../src/policy/quantile.js'
import { normalQuantile } from '../../src/validation/normal.js'
import { flatMarket } from './fixture.js'

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`)
const quantile = (params: Record<string, unknown> = {}) => quantilePolicySchema.parse({ kind: 'quantile', ...params })

function outputs(rows: [number, number, number][], coverage = 0.9) {
  return {
    n: rows.length,
    p: new Float64Array(3 * rows.length).fill(1 / 3),
    E_r: Float64Array.from(rows, (r) => r[0]),
    q_lo: Float64Array.from(rows, (r) => r[1]),
    q_hi: Float64Array.from(rows, (r) => r[2]),
    intervalCoverage: coverage,
  }
}

test('quantile: fraction x edge / sigma^2, sigma from the interval width at its coverage, in the direction of E_r', () => {
  const market = flatMarket(3, 100, 0.5, 0.0006)
  const z = normalQuantile(0.95)
  // E_r +0.8%, interval [0.2%, 1.4%] (90%): sigma = 0.012 / (2 z); edge 0.8% - 0.06%.
  const sigma = 0.012 / (2 * z)
  const pos = quantilePositions(
    outputs([
      [0.008, 0.002, 0.014],
      [-0.008, -0.014, -0.002],
      [0.0005, 0.0001, 0.0009],
    ]),
    market,
    quantile({ fraction: 0.001 }),
  )
  near(pos[0], (0.001 * (0.008 - 0.0006)) / sigma ** 2)
  assert.ok(pos[0] > 0.1 && pos[0] < 1)
  near(pos[1], -pos[0])
  // |E_r| below the round trip: no edge after costs.
  assert.equal(pos[2], 0)
  // At another coverage the same width is a different sigma.
  const at80 = quantilePositions(outputs([[0.008, 0.002, 0.014]], 0.8), market, quantile({ fraction: 0.001 }))
  near(at80[0], (0.001 * 0.0074) / (0.012 / (2 * normalQuantile(0.9))) ** 2)
})

test('quantile: no position while the interval straddles zero (straddle: flat), sized by the edge with trade', () => {
  const market = flatMarket(1, 100, 0.5, 0)
  const rows = outputs([[0.003, -0.004, 0.01]])
  assert.deepEqual([...quantilePositions(rows, market, quantile())], [0])
  const sigma = 0.014 / (2 * normalQuantile(0.95))
  near(
    quantilePositions(rows, market, quantile({ straddle: 'trade', fraction: 0.001 }))[0],
    (0.001 * 0.003) / sigma ** 2,
  )
})

test('quantile: capped; an unbounded interval gives nothing, a zero-width one the cap; shorts can be off', () => {
  const market = flatMarket(4, 100, 0.5, 0)
  const pos = quantilePositions(
    outputs([
      [0.01, 0.005, 0.015],
      [0.01, -Infinity, Infinity],
      [0.01, 0.01, 0.01],
      [-0.01, -0.015, -0.005],
    ]),
    market,
    quantile({ cap: 0.4, straddle: 'trade', short: false }),
  )
  assert.deepEqual([...pos], [0.4, 0, 0.4, 0])
  assert.throws(
    () => quantilePositions({ n: 1, p: new Float64Array(3) }, market, quantile()),
    /the chain gave no E_r with a conformal interval/,
  )
})
