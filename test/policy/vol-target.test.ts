import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Bars } from '../../src/data/bars.js'
import { realizedVolatility, volTargetPolicySchema, volTargetPositions } from '../../src/policy/vol-target.js'
import type { MarketState } from '../../src/policy/contract.js'

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`)

/** 1-minute bars whose log returns alternate +a, -a: over an even window the sample sd is a * sqrt(L / (L - 1)). */
function zigzag(n: number, a: number): MarketState {
  const close = Float64Array.from({ length: n }, (_, i) => 100 * Math.exp(i % 2 === 0 ? 0 : a))
  const bars: Bars = {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open: close,
    high: close,
    low: close,
    close,
    volume: new Float64Array(n).fill(1),
  }
  return {
    bars,
    rows: Int32Array.from({ length: n }, (_, i) => i),
    vol: new Float64Array(n).fill(0.5),
    barriers: { kUp: 2, kDown: 2, costPrice: 0, costBps: 0 },
    roundTrip: 0,
  }
}

test('vol_target: target / realized volatility of the past returns, annualised by the bars per day they span', () => {
  const a = 0.001
  const market = zigzag(60, a)
  const L = 20
  // 20 one-minute returns span 20 minutes: 72 per day, 1440 * 365 a year.
  const realized = a * Math.sqrt(L / (L - 1)) * Math.sqrt(1440 * 365)
  near(realizedVolatility(market, 30, L), realized, 1e-12)
  assert.ok(Number.isNaN(realizedVolatility(market, 19, L)))
  // Long rows (up more likely) and a short row; a row with fewer than 20 returns behind it is flat.
  const n = 60
  const p = new Float64Array(3 * n)
  for (let i = 0; i < n; i++) p.set(i === 45 ? [0.6, 0.1, 0.3] : [0.3, 0.1, 0.6], 3 * i)
  const params = volTargetPolicySchema.parse({ kind: 'vol_target', target: 0.05, lookback: L })
  const pos = volTargetPositions({ n, p }, market, params)
  assert.equal(pos[10], 0)
  near(pos[30], 0.05 / realized)
  near(pos[45], -0.05 / realized)
  // The cap bounds a small realized volatility's size; shorts can be off.
  const capped = volTargetPositions(
    { n, p },
    market,
    volTargetPolicySchema.parse({ kind: 'vol_target', target: 2, lookback: L, cap: 0.5, short: false }),
  )
  assert.equal(capped[30], 0.5)
  assert.equal(capped[45], 0)
})
