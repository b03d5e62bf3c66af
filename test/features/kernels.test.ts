import assert from 'node:assert/strict'
import { test } from 'node:test'
import { barAt, sliceBars, type Bars } from '../../src/data/bars.js'
import type { KernelDef } from '../../src/features/indicators/kernel.js'
import { calendarDef } from '../../src/features/indicators/calendar.js'
import { rocDef, rsiDef, stochasticDef } from '../../src/features/indicators/momentum.js'
import { regimeDef } from '../../src/features/indicators/regime.js'
import { returnStatsDef } from '../../src/features/indicators/stats.js'
import { bollingerDef, rangeVolDef, realizedVolDef } from '../../src/features/indicators/volatility.js'
import { vwapDistDef } from '../../src/features/indicators/volume.js'
import { waveletDef } from '../../src/features/indicators/wavelet.js'
import { FIL_FILE, loadBars } from './data.js'

/** Outputs of one kernel over `bars`, one array per output. */
function run(def: KernelDef, bars: Bars): Float64Array[] {
  const k = def.create()
  const w = def.outputs.length
  const out = Array.from({ length: w }, () => new Float64Array(bars.length))
  const buf = new Float64Array(w)
  for (let i = 0; i < bars.length; i++) {
    k.update(barAt(bars, i), buf, 0)
    for (let j = 0; j < w; j++) out[j][i] = buf[j]
  }
  return out
}

function close(a: number, b: number, what: string, tol = 1e-9): void {
  if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) assert.fail(`${what}: incremental ${a} vs direct ${b}`)
}

const window = (x: ArrayLike<number>, end: number, n: number) => Array.from({ length: n }, (_, k) => x[end - n + 1 + k])
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length
const pvar = (a: number[]) => {
  const m = mean(a)
  return mean(a.map((v) => (v - m) ** 2))
}

async function bars(): Promise<Bars | null> {
  const all = await loadBars(FIL_FILE)
  return all ? sliceBars(all, 50_000, 53_000) : null
}

test('rolling kernels equal direct window formulas (Bollinger, ROC, stochastic, realized vol, Parkinson, return moments, VWAP)', async (t) => {
  const b = await bars()
  if (!b) return void t.skip(`${FIL_FILE} is absent`)
  const logret = Array.from({ length: b.length }, (_, i) => (i ? Math.log(b.close[i] / b.close[i - 1]) : Number.NaN))
  const [bbw, pctb] = run(bollingerDef(20, 2), b)
  const [roc] = run(rocDef(10), b)
  const [k, d] = run(stochasticDef(14, 3), b)
  const [rv] = run(realizedVolDef(20), b)
  const [pk] = run(rangeVolDef(20), b)
  const [mu, sd, skew, kurt] = run(returnStatsDef(30), b)
  const [vwap] = run(vwapDistDef(20, 'present'), b)
  const twoMoments = run(returnStatsDef(30, 2), b)
  const kRaw = (i: number) => {
    const hh = Math.max(...window(b.high, i, 14))
    const ll = Math.min(...window(b.low, i, 14))
    return hh > ll ? (100 * (b.close[i] - ll)) / (hh - ll) : 50
  }
  for (let i = 40; i < b.length; i += 7) {
    const c = window(b.close, i, 20)
    const m = mean(c)
    const s = Math.sqrt(pvar(c))
    close(bbw[i], (4 * s) / m, `bb_width row ${i}`)
    close(pctb[i], s > 0 ? (b.close[i] - (m - 2 * s)) / (4 * s) : 0.5, `bb_pctb row ${i}`, 1e-6)
    close(roc[i], b.close[i] / b.close[i - 10] - 1, `roc row ${i}`)
    close(k[i], kRaw(i), `stoch_k row ${i}`)
    close(d[i], (kRaw(i) + kRaw(i - 1) + kRaw(i - 2)) / 3, `stoch_d row ${i}`)
    close(rv[i], Math.sqrt(window(logret, i, 20).reduce((s2, r) => s2 + r * r, 0)), `rv row ${i}`)
    close(
      pk[i],
      Math.sqrt(
        mean(window(b.high, i, 20).map((h, j) => Math.log(h / window(b.low, i, 20)[j]) ** 2)) / (4 * Math.log(2)),
      ),
      `parkinson row ${i}`,
    )
    const r = window(logret, i, 30)
    const rm = mean(r)
    const v = pvar(r)
    close(mu[i], rm, `ret_mean row ${i}`, 1e-7)
    close(sd[i], Math.sqrt(v), `ret_std row ${i}`, 1e-6)
    close(skew[i], mean(r.map((x) => (x - rm) ** 3)) / v ** 1.5, `ret_skew row ${i}`, 1e-4)
    close(kurt[i], mean(r.map((x) => (x - rm) ** 4)) / v ** 2 - 3, `ret_kurt row ${i}`, 1e-4)
    assert.equal(twoMoments[0][i], mu[i], 'moments=2 gives the same mean')
    assert.equal(twoMoments[1][i], sd[i], 'moments=2 gives the same std')
    const tp = window(b.high, i, 20).map(
      (h, j) => ((h + window(b.low, i, 20)[j] + window(b.close, i, 20)[j]) / 3) * window(b.volume, i, 20)[j],
    )
    const vs = window(b.volume, i, 20).reduce((s2, x) => s2 + x, 0)
    close(vwap[i], b.close[i] / (tp.reduce((s2, x) => s2 + x, 0) / vs) - 1, `vwap_dist row ${i}`)
  }
})

test('RSI equals Wilder smoothing seeded with the simple mean of the first 14 changes', async (t) => {
  const b = await bars()
  if (!b) return void t.skip(`${FIL_FILE} is absent`)
  const [rsi] = run(rsiDef(14), b)
  let g = 0
  let l = 0
  for (let i = 1; i < b.length; i++) {
    const ch = b.close[i] - b.close[i - 1]
    const gi = Math.max(ch, 0)
    const li = Math.max(-ch, 0)
    if (i <= 14) {
      g += gi / 14
      l += li / 14
    } else {
      g = (g * 13 + gi) / 14
      l = (l * 13 + li) / 14
    }
    if (i >= 14) close(rsi[i], g + l > 0 ? (100 * g) / (g + l) : 50, `rsi row ${i}`, 1e-9)
  }
})

test('wavelet: causal Haar a trous levels use only past samples and sum back to log close', async (t) => {
  const b = await bars()
  if (!b) return void t.skip(`${FIL_FILE} is absent`)
  const [d1, d2, d3] = run(waveletDef(), b)
  const x = Array.from(b.close, Math.log)
  const a1 = (i: number) => (x[i] + x[i - 1]) / 2
  const a2 = (i: number) => (a1(i) + a1(i - 2)) / 2
  const a3 = (i: number) => (a2(i) + a2(i - 4)) / 2
  for (let i = 8; i < b.length; i += 5) {
    close(d1[i], x[i] - a1(i), `d1 row ${i}`, 1e-12)
    close(d2[i], a1(i) - a2(i), `d2 row ${i}`, 1e-12)
    close(d3[i], a2(i) - a3(i), `d3 row ${i}`, 1e-12)
    close(d1[i] + d2[i] + d3[i] + a3(i), x[i], `reconstruction row ${i}`, 1e-12)
  }
})

test('regime: vol_regime is the percentile of current volatility among its own last values', async (t) => {
  const b = await bars()
  if (!b) return void t.skip(`${FIL_FILE} is absent`)
  const hist = 50
  const [vr, tr] = run(regimeDef(20, hist, 30), b)
  const logret = Array.from({ length: b.length }, (_, i) => (i ? Math.log(b.close[i] / b.close[i - 1]) : Number.NaN))
  const vol = Array.from({ length: b.length }, (_, i) =>
    i >= 20 ? Math.sqrt(pvar(window(logret, i, 20))) : Number.NaN,
  )
  for (let i = 20 + hist; i < b.length; i += 11) {
    const past = window(vol, i, hist)
    // ties are compared with a tolerance: rolling sums and a direct sum differ in the last bits
    const below = past.filter((v) => v <= vol[i] * (1 + 1e-9)).length
    const strictly = past.filter((v) => v < vol[i] * (1 - 1e-9)).length
    const rank = Math.round(vr[i] * hist)
    assert.ok(
      rank >= strictly && rank <= below,
      `vol_regime row ${i}: ${vr[i]} not in [${strictly}, ${below}] / ${hist}`,
    )
    const path = window(b.close, i, 31)
      .slice(1)
      .reduce((s, c, j) => s + Math.abs(c - b.close[i - 30 + j]), 0)
    close(tr[i], (b.close[i] - b.close[i - 30]) / path, `trend_regime row ${i}`)
  }
})

test('calendar: minute of day, day of week and session start from timestamps', () => {
  const k = calendarDef(30).create()
  const out = new Float64Array(4)
  const at = (iso: string) => {
    k.update({ ts: Date.parse(iso), open: 1, high: 1, low: 1, close: 1, volume: 0 }, out, 0)
    return [...out]
  }
  let v = at('2024-01-05T21:00:00Z') // a Friday
  assert.equal(v[2], 5)
  close(v[0], Math.sin((2 * Math.PI * 1260) / 1440), 'minute_sin')
  assert.equal(v[3], 0, 'first bar opens a session')
  v = at('2024-01-05T21:10:00Z')
  assert.equal(v[3], 10, 'a 10-minute pause does not open a session')
  v = at('2024-01-07T23:00:00Z') // Sunday evening after the weekend
  assert.equal(v[2], 0)
  assert.equal(v[3], 0, 'a pause of 30+ minutes opens a session')
  for (let m = 1; m <= 120; m++) v = at(new Date(Date.parse('2024-01-07T23:00:00Z') + m * 60_000).toISOString())
  assert.equal(v[3], 120, 'midnight does not split a session only 1 hour old')
})
