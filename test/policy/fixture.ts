/** A synthetic market and chain outputs for policy tests: random-walk bars, the labels' ATR, every output a policy reads. */
import { seededRandom } from '../../src/core/random.js'
import type { Bars } from '../../src/data/bars.js'
import { atr } from '../../src/labels/volatility.js'
import type { MarketState, PolicyInputs } from '../../src/policy/contract.js'
import type { PolicyNetwork } from '../../src/policy/rl/mlp.js'

export function randomBars(n: number, seed: number): Bars {
  const rand = seededRandom(seed)
  const close = new Float64Array(n)
  const open = new Float64Array(n)
  const high = new Float64Array(n)
  const low = new Float64Array(n)
  let price = 100
  for (let i = 0; i < n; i++) {
    open[i] = price
    price *= Math.exp((rand() - 0.5) * 0.004)
    close[i] = price
    high[i] = Math.max(open[i], close[i]) * (1 + rand() * 0.001)
    low[i] = Math.min(open[i], close[i]) * (1 - rand() * 0.001)
  }
  return {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open,
    high,
    low,
    close,
    volume: Float64Array.from({ length: n }, () => 1 + rand() * 100),
  }
}

/** Random calibrated-looking outputs for `n` rows: p (down, flat, up), p_up, E_r and a 90% interval around it. */
export function randomInputs(n: number, seed: number): PolicyInputs {
  const rand = seededRandom(seed)
  const p = new Float64Array(3 * n)
  const E_r = new Float64Array(n)
  const q_lo = new Float64Array(n)
  const q_hi = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = 0.2 + rand()
    const b = 0.2 + rand() * 0.5
    const c = 0.2 + rand()
    const s = a + b + c
    p[3 * i] = a / s
    p[3 * i + 1] = b / s
    p[3 * i + 2] = c / s
    E_r[i] = (rand() - 0.5) * 0.01
    const half = 0.001 + rand() * 0.01
    q_lo[i] = E_r[i] - half
    q_hi[i] = E_r[i] + half
  }
  const p_up = Float64Array.from({ length: n }, (_, i) => p[3 * i + 2])
  return { n, p, p_up, E_r, q_lo, q_hi, intervalCoverage: 0.9 }
}

export function marketOf(bars: Bars, rows: Int32Array, roundTrip = 0.0006): MarketState {
  return {
    bars,
    rows,
    vol: atr(bars, 14),
    barriers: { kUp: 2, kDown: 2, costPrice: 0, costBps: 6 },
    roundTrip,
  }
}

/** Flat bars at `price` whose labels' volatility is `vol` (price units) at every bar. */
export function flatMarket(n: number, price: number, vol: number, roundTrip: number): MarketState {
  const bars: Bars = {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 60_000),
    open: new Float64Array(n).fill(price),
    high: new Float64Array(n).fill(price),
    low: new Float64Array(n).fill(price),
    close: new Float64Array(n).fill(price),
    volume: new Float64Array(n).fill(1),
  }
  return {
    bars,
    rows: Int32Array.from({ length: n }, (_, i) => i),
    vol: new Float64Array(n).fill(vol),
    barriers: { kUp: 2, kDown: 2, costPrice: 0, costBps: 0 },
    roundTrip,
  }
}

/** Inputs and bars with every row from `from` on replaced by other random values. */
export function perturbed(ins: PolicyInputs, bars: Bars, rows: Int32Array, from: number, seed: number) {
  const rand = seededRandom(seed)
  const other = randomInputs(ins.n, seed + 1)
  const copy = (a: Float64Array, b: Float64Array, width: number) => {
    const out = Float64Array.from(a)
    out.set(b.subarray(from * width), from * width)
    return out
  }
  const next: PolicyInputs = {
    ...ins,
    p: copy(ins.p, other.p, 3),
    p_up: copy(ins.p_up!, other.p_up!, 1),
    E_r: copy(ins.E_r!, other.E_r!, 1),
    q_lo: copy(ins.q_lo!, other.q_lo!, 1),
    q_hi: copy(ins.q_hi!, other.q_hi!, 1),
  }
  // Every bar after the decision bar of row `from - 1` moves.
  const cut = rows[from - 1] + 1
  const scale = (a: Float64Array) => Float64Array.from(a, (v, i) => (i >= cut ? v * (0.9 + 0.2 * rand()) : v))
  const moved: Bars = { ...bars, open: scale(bars.open), close: scale(bars.close), volume: scale(bars.volume) }
  const high = Float64Array.from(moved.close, (c, i) => (i >= cut ? Math.max(c, moved.open[i]) * 1.001 : bars.high[i]))
  const low = Float64Array.from(moved.close, (c, i) => (i >= cut ? Math.min(c, moved.open[i]) * 0.999 : bars.low[i]))
  return { inputs: next, bars: { ...moved, high, low } }
}

/**
 * A policy network with random weights (2 tanh layers of `hidden`, one output), reading `inputs` feature columns
 * with a unit scaler: what an `rl` policy's fitted state holds, without training one.
 */
export function randomNetwork(inputs: number, hidden: number, seed: number): PolicyNetwork {
  const rand = seededRandom(seed)
  const layer = (i: number, o: number) => ({
    inputs: i,
    outputs: o,
    weight: Array.from({ length: i * o }, () => (rand() - 0.5) * 2),
    bias: Array.from({ length: o }, () => (rand() - 0.5) * 0.5),
  })
  return {
    layers: [layer(inputs, hidden), layer(hidden, hidden), layer(hidden, 1)],
    center: new Array<number>(inputs).fill(0),
    spread: new Array<number>(inputs).fill(1),
  }
}
