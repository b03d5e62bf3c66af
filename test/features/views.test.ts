import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sliceBars } from '../../src/data/bars.js'
import { parseFeaturesConfig } from '../../src/features/config.js'
import { column, computeFeatures, type FeatureFrame } from '../../src/features/frame.js'
import { foundationView, foundationWindow } from '../../src/features/views/foundation.js'
import { featureMatrix, usableRows } from '../../src/features/views/matrix.js'
import { multiResView, readStacked } from '../../src/features/views/multi-res.js'
import { windowOf, windowTensor } from '../../src/features/views/window.js'
import { FIL_FILE, loadBars } from './data.js'

async function setup() {
  const all = await loadBars(FIL_FILE)
  if (!all) return null
  const bars = sliceBars(all, 0, 24_000)
  return { bars, frame: computeFeatures(bars, parseFeaturesConfig({})) }
}

test('feature_matrix: row-major copy of the usable rows', async (t) => {
  const s = await setup()
  if (!s) return void t.skip(`${FIL_FILE} is absent`)
  const { frame } = s
  const v = featureMatrix(frame)
  const rows = usableRows(frame)
  assert.equal(v.n, rows.length)
  assert.equal(v.f, frame.names.length)
  for (const i of [0, 17, v.n - 1]) {
    for (const j of [0, 5, v.f - 1]) assert.equal(v.data[i * v.f + j], frame.columns[j][rows[i]])
  }
  assert.throws(() => featureMatrix(frame, { names: ['nope_1m'] }), /nope_1m is not in the frame/)
})

test('window_tensor: (n, 60, f) windows that end at the sample row and only look back, slices of one base array', async (t) => {
  const s = await setup()
  if (!s) return void t.skip(`${FIL_FILE} is absent`)
  const { frame } = s
  const v = windowTensor(frame, { steps: 60 })
  assert.ok(v.f >= 20 && v.f <= 30, `about 25 features, got ${v.f}`)
  assert.ok(v.names.includes('wav_d1_1m') && v.names.includes('wav_a3_slope_1m'))
  assert.equal(v.base.length, frame.length * v.f, 'one (T, f) base, no per-sample copies')
  for (const i of [0, 1000, v.n - 1]) {
    const w = windowOf(v, i)
    assert.equal(w.length, 60 * v.f)
    assert.equal(w.buffer, v.base.buffer)
    const end = v.end[i]
    for (const [j, name] of v.names.entries()) {
      const c = column(frame, name)
      assert.equal(w[59 * v.f + j], Math.fround(c[end]), `${name}: last step is the sample row`)
      assert.equal(w[j], Math.fround(c[end - 59]), `${name}: first step is 59 rows back`)
    }
    for (let k = 0; k < w.length; k++) assert.ok(Number.isFinite(w[k]), 'default samples have warm windows')
  }
  assert.throws(() => windowTensor(frame, { steps: 60, rows: Int32Array.from([10]) }), /fewer than 60 rows of history/)
})

test('multi_res: each part holds the last closed bars of its timeframe as of the sample row (concatenated and stacked)', async (t) => {
  const s = await setup()
  if (!s) return void t.skip(`${FIL_FILE} is absent`)
  const { frame } = s
  const v = multiResView(frame)
  assert.deepEqual(
    v.parts.map((p) => `${p.timeframe}x${p.steps}`),
    ['1mx60', '5mx12', '15mx4', '1hx1'],
  )
  assert.ok(v.n > 0)
  for (const p of v.parts) {
    const series = frame.timeframes.find((x) => x.timeframe === p.timeframe)!
    for (const i of [0, Math.floor(v.n / 2), v.n - 1]) {
      const row = v.rows[i]
      const e = p.end[i]
      assert.ok(series.availableAt[e] <= row, `${p.timeframe}: the window's last bar was closed by row ${row}`)
      if (e + 1 < series.length)
        assert.ok(series.availableAt[e + 1] > row, `${p.timeframe}: it is the latest closed bar`)
      assert.equal(p.base[e * p.f], Math.fround(series.columns[series.names.indexOf(p.names[0])][e]))
      for (let k = (e - p.steps + 1) * p.f; k < (e + 1) * p.f; k++) assert.ok(Number.isFinite(p.base[k]), 'warm window')
    }
  }
  const stacked = multiResView(frame, {
    layout: 'stacked',
    parts: ['1m', '5m', '15m', '1h'].map((timeframe) => ({ timeframe, steps: 8 })),
  })
  const f = stacked.parts[0].f
  const out = new Float32Array(4 * 8 * f)
  readStacked(stacked, 0, out)
  const h = stacked.parts[3]
  assert.equal(out[3 * 8 * f + 7 * f], h.base[h.end[0] * f], 'block 3, step 7 is the 1h part at its latest bar')
  assert.throws(() => multiResView(frame, { layout: 'stacked' }), /same steps/)
})

test('foundation: 512 x OHLC context windows, z-normalized with the window own statistics only', async (t) => {
  const s = await setup()
  if (!s) return void t.skip(`${FIL_FILE} is absent`)
  const { bars } = s
  const v = foundationView(bars, { context: 512 })
  assert.equal(v.n, bars.length - 511)
  assert.equal(v.end[0], 511)
  const out = new Float64Array(512 * 4)
  foundationWindow(v, 100, out)
  let m = 0
  for (const x of out) m += x
  m /= out.length
  let ss = 0
  for (const x of out) ss += (x - m) ** 2
  assert.ok(Math.abs(m) < 1e-9 && Math.abs(Math.sqrt(ss / out.length) - 1) < 1e-9)
  const end = v.end[100]
  const raw = [bars.open[end], bars.high[end], bars.low[end], bars.close[end]]
  const raw0 = bars.close[end - 511]
  // ordering within the window is preserved: the last close relative to the first close
  assert.equal(Math.sign(out[511 * 4 + 3] - out[3]), Math.sign(raw[3] - raw0))
  assert.throws(() => foundationView(bars, { context: 512, rows: Int32Array.from([3]) }), /fewer than 512 bars/)
})

test('an infinite or beyond-float32 feature value is refused by both model views, naming the feature and the row', () => {
  const n = 6
  const ts = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 2) + i * 60_000)
  const frameWith = (value: number) =>
    ({
      length: n,
      names: ['a_1m', 'b_1m'],
      columns: [Float64Array.from([Number.NaN, 1, 2, 3, 4, 5]), Float64Array.from([Number.NaN, 1, 2, value, 4, 5])],
      usable: Uint8Array.from([0, 1, 1, 1, 1, 1]),
      ts,
    }) as unknown as FeatureFrame
  // NaN is warm-up or missing: allowed; so is the largest finite float32.
  assert.equal(featureMatrix(frameWith(3.4e38), { rows: Int32Array.from([0, 3]) }).n, 2)
  for (const [bad, shown] of [
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [-1e39, '-1e\\+39'],
  ] as const) {
    assert.throws(
      () => featureMatrix(frameWith(bad)),
      new RegExp(`feature_matrix: feature b_1m is ${shown} at row 3 \\(bar 2024-01-02T00:03:00.000Z\\)`),
    )
    assert.throws(
      () => windowTensor(frameWith(bad), { steps: 2, names: ['a_1m', 'b_1m'] }),
      new RegExp(`window_tensor: feature b_1m is ${shown} at row 3`),
    )
  }
})
