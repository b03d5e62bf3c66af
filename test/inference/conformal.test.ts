import { test } from 'node:test'
import assert from 'node:assert/strict'
import { applyCqr, fitCqr } from '../../src/inference/conformal/cqr.js'

function normal(seed: number): () => number {
  let a = seed >>> 0
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296
  }
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())
}

/** Targets y = x + noise(sd 1), and a band x +- halfWidth: too narrow below 1.645, too wide above. */
function sample(n: number, halfWidth: number, g: () => number) {
  const mid = Float64Array.from({ length: n }, g)
  const y = Float64Array.from(mid, (m) => m + g())
  return { lo: mid.map((m) => m - halfWidth), mid, hi: mid.map((m) => m + halfWidth), y }
}

function coverage(lo: Float64Array, hi: Float64Array, y: Float64Array): number {
  let k = 0
  for (let i = 0; i < y.length; i++) k += lo[i] <= y[i] && y[i] <= hi[i] ? 1 : 0
  return k / y.length
}

test('CQR brings a too narrow and a too wide band to 90% coverage on new data', () => {
  const g = normal(7)
  for (const halfWidth of [0.8, 3]) {
    const covered: number[] = []
    for (let trial = 0; trial < 40; trial++) {
      const cal = sample(200, halfWidth, g)
      const c = fitCqr(cal.lo, cal.hi, cal.y, 0.9)
      assert.equal(c.n, 200)
      assert.ok(halfWidth < 1.645 ? c.margin > 0 : c.margin < 0, `margin ${c.margin} for half-width ${halfWidth}`)
      const fresh = sample(2000, halfWidth, g)
      const band = applyCqr(c, fresh.lo, fresh.mid, fresh.hi)
      covered.push(coverage(band.lo, band.hi, fresh.y))
    }
    const raw = sample(20000, halfWidth, g)
    const before = coverage(raw.lo, raw.hi, raw.y)
    const mean = covered.reduce((s, v) => s + v, 0) / covered.length
    // Finite-sample guarantee: E[coverage] in [0.9, 0.9 + 1/(n+1)]; the mean of 40 trials sits within 0.01 of it.
    assert.ok(mean >= 0.89 && mean <= 0.915, `half-width ${halfWidth}: ${before.toFixed(3)} -> mean ${mean.toFixed(4)}`)
  }
})

test('CQR margin is the ceil((n+1) * coverage)-th smallest conformity score', () => {
  const lo = new Float64Array(19).fill(0)
  const hi = new Float64Array(19).fill(1)
  // Scores max(lo - y, y - hi): y = 1 + s gives s for s >= -0.5.
  const scores = Array.from({ length: 19 }, (_, i) => (i - 9) / 20)
  const y = Float64Array.from(scores.reverse(), (s) => 1 + s)
  const c = fitCqr(lo, hi, y, 0.9)
  // n = 19: rank ceil(20 * 0.9) = 18, the 18th smallest of -0.45 .. 0.45.
  assert.ok(Math.abs(c.margin - 0.4) < 1e-12, `margin ${c.margin}`)
})

test('CQR never lets the band cross the median, and refuses what it cannot calibrate', () => {
  const c = { margin: -5, n: 100, coverage: 0.9 }
  const band = applyCqr(c, Float64Array.of(-1, 0), Float64Array.of(0, 0.5), Float64Array.of(1, 2))
  assert.deepEqual([...band.lo], [0, 0.5])
  assert.deepEqual([...band.hi], [0, 0.5])
  const one = Float64Array.of(0)
  assert.throws(
    () => fitCqr(new Float64Array(5), new Float64Array(5), new Float64Array(5), 0.9),
    /5 calibration rows are too few for coverage 0.9 \(need at least 9\)/,
  )
  assert.throws(() => fitCqr(one, Float64Array.of(0, 1), one, 0.9), /1 lower and 2 upper bounds for 1 targets/)
  assert.throws(() => fitCqr(one, one, one, 1), /coverage 1 is not in \(0, 1\)/)
  const many = new Float64Array(30)
  const bad = Float64Array.from(many)
  bad[4] = NaN
  assert.throws(() => fitCqr(many, many, bad, 0.9), /calibration row 4 is not finite/)
})
