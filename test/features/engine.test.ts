import assert from 'node:assert/strict'
import { test } from 'node:test'
import { barAt, sliceBars, type Bars } from '../../src/data/bars.js'
import { resample } from '../../src/data/resample.js'
import { DEFAULT_LADDER, ONE_MINUTE, parseTimeframe } from '../../src/data/timeframe.js'
import { parseFeaturesConfig, withAblation } from '../../src/features/config.js'
import { createFeatureEngine, planFeatures, type EnginePlan } from '../../src/features/engine.js'
import { column, computeFeatures, detectVolumeMode, replay } from '../../src/features/frame.js'
import { kernelDef } from '../../src/features/indicators/kernel.js'
import { FIL_FILE, loadBars, SPX_FILE } from './data.js'

const defaults = parseFeaturesConfig({})

function bitsEqual(a: Float64Array, b: Float64Array): number {
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length)
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length)
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i
  return -1
}

async function parity(t: import('node:test').TestContext, file: string, rows: number): Promise<void> {
  const all = await loadBars(file)
  if (!all) return void t.skip(`${file} is absent (the shared data folder beside the repository)`)
  const bars = sliceBars(all, 0, Math.min(rows, all.length))
  assert.ok(bars.length >= 50_000, 'parity needs at least 50,000 real bars')
  const batch = computeFeatures(bars, defaults)
  // Live: a fresh engine fed one freshly built Bar record at a time, as the server does.
  const live = createFeatureEngine(planFeatures(defaults, detectVolumeMode(bars)))
  assert.deepEqual(live.names, batch.names)
  const liveRow = new Float64Array(batch.names.length)
  const batchRow = new Float64Array(batch.names.length)
  for (let i = 0; i < bars.length; i++) {
    live.push(barAt(bars, i))
    liveRow.set(live.row)
    for (let j = 0; j < batchRow.length; j++) batchRow[j] = batch.columns[j][i]
    const k = bitsEqual(liveRow, batchRow)
    if (k >= 0) assert.fail(`row ${i}: ${batch.names[k]} live ${liveRow[k]} != batch ${batchRow[k]}`)
    assert.equal(live.usable() ? 1 : 0, batch.usable[i], `usable differs at row ${i}`)
  }
  assert.ok(batch.usable.indexOf(1) > 0, 'some rows become usable')
}

test('parity: batch features equal live one-bar-at-a-time features bit for bit (60,000 Binance bars)', async (t) => {
  await parity(t, FIL_FILE, 60_000)
})

test('parity: batch equals live bit for bit on 60,000 SPX bars (gaps, no volume)', async (t) => {
  await parity(t, SPX_FILE, 60_000)
})

test('default set: ~240 features, every one finite on usable rows, NaN (never 0-filled) during warm-up', async (t) => {
  const all = await loadBars(FIL_FILE)
  if (!all) return void t.skip(`${FIL_FILE} is absent`)
  const bars = sliceBars(all, 0, 40_000)
  const frame = computeFeatures(bars, defaults)
  assert.ok(frame.names.length >= 200 && frame.names.length <= 260, `got ${frame.names.length} features`)
  assert.equal(new Set(frame.names).size, frame.names.length, 'names are unique')
  const first = frame.usable.indexOf(1)
  assert.ok(first > 0)
  for (let i = first; i < frame.length; i++) assert.equal(frame.usable[i], 1, `usable is monotone (row ${i})`)
  for (let j = 0; j < frame.names.length; j++) {
    const c = frame.columns[j]
    for (let i = first; i < frame.length; i++) {
      if (!Number.isFinite(c[i])) assert.fail(`${frame.names[j]} is ${c[i]} at usable row ${i}`)
    }
  }
  // 1m kernels: NaN exactly before their declared warm-up, a value from it on (contiguous 24/7 data).
  const plan = planFeatures(defaults, frame.volumeMode)
  for (const [j, spec] of plan.columns.entries()) {
    if (spec.timeframe !== '1m' || spec.group === 'interactions') continue
    const c = frame.columns[j]
    for (let i = 0; i < spec.warmup - 1; i++)
      assert.ok(Number.isNaN(c[i]), `${spec.name} row ${i} before warm-up ${spec.warmup}`)
    assert.ok(Number.isFinite(c[spec.warmup - 1]), `${spec.name} has a value at its warm-up row ${spec.warmup - 1}`)
  }
})

test('multi-timeframe alignment: a higher bar reaches 1m row t only once it has closed (closeTs <= close of t)', async (t) => {
  const all = await loadBars(SPX_FILE) // gaps and session breaks exercise the gap-closing path
  const src = all ?? (await loadBars(FIL_FILE))
  if (!src) return void t.skip('no real data available')
  const bars = sliceBars(src, 0, 30_000)
  // A probe kernel reports the open time of the bar it last consumed, on every ladder timeframe.
  const probe = kernelDef('probe', ['probe'], 1, {}, () => ({
    update(bar, out, at) {
      out[at] = bar.ts
    },
  }))
  const tfs = DEFAULT_LADDER.map(parseTimeframe)
  const plan: EnginePlan = {
    columns: tfs.map((tf) => ({
      name: `probe_${tf.name}`,
      group: 'momentum',
      timeframe: tf.name,
      kernel: 'probe',
      params: {},
      warmup: 1,
    })),
    kernels: tfs.map((tf, k) => ({ def: probe, group: 'momentum', timeframe: tf, offset: k })),
    interactions: [],
    volumeMode: 'present',
    originMs: 0,
    base: ONE_MINUTE,
  }
  const frame = replay(bars, plan)
  for (const [k, tf] of tfs.entries()) {
    const higher = resample(bars, tf)
    const col = frame.columns[k]
    let h = -1 // latest higher bar whose close is at or before the close of 1m row i, found from closeTs alone
    for (let i = 0; i < bars.length; i++) {
      const rowClose = bars.ts[i] + 60_000
      while (h + 1 < higher.length && higher.closeTs[h + 1] <= rowClose) h++
      if (h < 0) {
        assert.ok(Number.isNaN(col[i]), `${tf.name}: row ${i} shows a bar before any closed`)
        continue
      }
      const shownOpen = col[i]
      assert.ok(shownOpen + tf.ms <= rowClose, `${tf.name}: row ${i} shows a bar closing after the row closes`)
      assert.equal(
        shownOpen,
        higher.ts[h],
        `${tf.name}: row ${i} shows bar ${shownOpen}, latest closed is ${higher.ts[h]}`,
      )
    }
  }
})

test('forward fill: a higher-timeframe feature on the 1m grid equals its native series at the latest emitted bar', async (t) => {
  const src = await loadBars(FIL_FILE)
  if (!src) return void t.skip(`${FIL_FILE} is absent`)
  const bars = sliceBars(src, 0, 20_000)
  const frame = computeFeatures(bars, defaults)
  for (const series of frame.timeframes.filter((s) => s.ms > 60_000)) {
    const resampled = resample(bars, parseTimeframe(series.timeframe))
    assert.deepEqual(
      [...series.availableAt],
      [...resampled.availableAt],
      `${series.timeframe} emissions match the batch resampler`,
    )
    for (const [j, name] of series.names.entries()) {
      const grid = column(frame, name)
      let k = -1
      for (let i = 0; i < frame.length; i++) {
        while (k + 1 < series.length && series.availableAt[k + 1] <= i) k++
        const want = k < 0 ? Number.NaN : series.columns[j][k]
        if (!Object.is(grid[i], want)) assert.fail(`${name} row ${i}: grid ${grid[i]} != native ${want}`)
      }
    }
  }
})

test('volume absent (SPX-like: volume all 0): volume features are the documented neutral constants', async (t) => {
  const src = await loadBars(FIL_FILE)
  if (!src) return void t.skip(`${FIL_FILE} is absent`)
  const s = sliceBars(src, 0, 5_000)
  const bars: Bars = { ...s, volume: new Float64Array(s.length) }
  assert.equal(detectVolumeMode(bars), 'absent_neutral')
  assert.equal(detectVolumeMode(s), 'present')
  const frame = computeFeatures(bars, defaults)
  const neutral: Record<string, number> = { vwap_dist: 0, obv_slope: 0, vol_ratio: 1, vol_z: 0, amihud: 0 }
  let checked = 0
  for (const [j, name] of frame.names.entries()) {
    const base = Object.keys(neutral).find((b) => name.startsWith(`${b}_`))
    if (!base) continue
    checked++
    const c = frame.columns[j]
    for (let i = 0; i < frame.length; i++) {
      if (!Number.isNaN(c[i])) assert.equal(c[i], neutral[base], `${name} row ${i}`)
    }
    assert.equal(c[frame.length - 1], neutral[base])
  }
  assert.equal(checked, 9 * 4 + 1)
  assert.notEqual(frame.schema.hash, computeFeatures(s, defaults).schema.hash, 'volume mode is part of the schema hash')
})

test('schema hash: stable across runs and lengths, sensitive to any parameter; ablation removes a group and its interactions', async (t) => {
  const src = await loadBars(FIL_FILE)
  if (!src) return void t.skip(`${FIL_FILE} is absent`)
  const a = computeFeatures(sliceBars(src, 0, 3_000), defaults)
  const b = computeFeatures(sliceBars(src, 0, 4_000), parseFeaturesConfig({}))
  assert.equal(a.schema.hash, b.schema.hash)
  assert.match(a.schema.hash, /^[0-9a-f]{64}$/)
  assert.deepEqual(a.schema.shape, [3_000, a.names.length])
  assert.ok(a.schema.dtypes.every((d) => d === 'float64'))
  const c = computeFeatures(sliceBars(src, 0, 3_000), parseFeaturesConfig({ momentum: { rsi: 15 } }))
  assert.deepEqual(c.names, a.names)
  assert.notEqual(c.schema.hash, a.schema.hash)
  const ablated = withAblation(defaults, ['momentum'])
  const names = planFeatures(ablated, 'present').columns.map((x) => x.name)
  assert.ok(!names.some((n) => n.startsWith('rsi_') || n.startsWith('ix_')), 'momentum and interactions on it are gone')
  assert.ok(names.includes('atr_1h'))
  assert.throws(() => withAblation(defaults, ['nonsense']), /unknown feature group/)
  assert.throws(
    () =>
      planFeatures(
        parseFeaturesConfig({ interactions: { list: [{ name: 'ix_bad', left: 'rsj_1m', right: 'atr_1m' }] } }),
        'present',
      ),
    /ix_bad uses rsj_1m, which no feature kernel produces/,
  )
  const only1m = planFeatures(parseFeaturesConfig({ momentum: { timeframes: ['1m'] } }), 'present').columns.map(
    (x) => x.name,
  )
  assert.ok(
    only1m.includes('ix_rsi_x_volreg_1m') && !only1m.includes('ix_rsi_x_volreg_15m'),
    'interactions on absent inputs are dropped',
  )
  assert.throws(() => parseFeaturesConfig({ momentum: { rsi: 0 } }), /features\.momentum\.rsi/)
})

test('engine rejects bars that are not strictly after the previous one', () => {
  const e = createFeatureEngine(planFeatures(defaults, 'present'))
  const bar = { ts: 60_000, open: 1, high: 1, low: 1, close: 1, volume: 1 }
  e.push(bar)
  assert.throws(() => e.push({ ...bar }), /not after the previous bar/)
})
