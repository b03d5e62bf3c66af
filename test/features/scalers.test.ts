import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sliceBars } from '../../src/data/bars.js'
import { parseFeaturesConfig } from '../../src/features/config.js'
import { computeFeatures } from '../../src/features/frame.js'
import { fitScaler, scalerFromJSON, scalerToJSON, transformFrame } from '../../src/features/scalers.js'
import { chronologicalSplit } from '../../src/validation/chronological.js'
import type { TrainIndices } from '../../src/validation/indices.js'
import { spansForHorizon } from '../../src/validation/spans.js'
import { FIL_FILE, loadBars } from './data.js'

async function setup() {
  const all = await loadBars(FIL_FILE)
  if (!all) return null
  const bars = sliceBars(all, 0, 8_000)
  const config = parseFeaturesConfig({
    momentum: { timeframes: ['1m', '5m'] },
    volatility: { timeframes: ['1m'] },
    volume: { timeframes: ['1m'] },
  })
  const frame = computeFeatures(bars, config)
  const split = chronologicalSplit(spansForHorizon(frame.length, 10), { train: 0.6, val: 0.2, test: 0.2 }, 10)
  return { frame, train: split.train }
}

test('z-score and robust scalers: fitted from training rows only (finite values), exact statistics', async (t) => {
  const s = await setup()
  if (!s) return void t.skip(`${FIL_FILE} is absent`)
  const { frame, train } = s
  const z = fitScaler('zscore', frame, train)
  const r = fitScaler('robust', frame, train)
  const j = frame.names.indexOf('rsi_1m')
  const vals = [...train].map((i) => frame.columns[j][i]).filter(Number.isFinite)
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length
  assert.equal(z.count[j], vals.length)
  assert.ok(vals.length < train.length, 'warm-up NaN rows are skipped, not imputed')
  assert.ok(Math.abs(z.center[j] - mean) < 1e-9)
  const sorted = [...vals].sort((a, b) => a - b)
  const q = (p: number) => {
    const pos = p * (sorted.length - 1)
    return sorted[Math.floor(pos)] + (sorted[Math.ceil(pos)] - sorted[Math.floor(pos)]) * (pos - Math.floor(pos))
  }
  assert.equal(r.center[j], q(0.5))
  assert.equal(r.scale[j], q(0.75) - q(0.25))
  const scaled = transformFrame(z, frame)
  const last = train[train.length - 1]
  assert.equal(scaled[j][last], (frame.columns[j][last] - z.center[j]) / z.scale[j])
})

test('scalers cannot see non-training rows: changing every val/test value leaves the fit bit-identical', async (t) => {
  const s = await setup()
  if (!s) return void t.skip(`${FIL_FILE} is absent`)
  const { frame, train } = s
  const before = scalerToJSON(fitScaler('zscore', frame, train))
  const inTrain = new Uint8Array(frame.length)
  for (const i of train) inTrain[i] = 1
  const changed = { ...frame, columns: frame.columns.map((c) => c.map((v, i) => (inTrain[i] ? v : v * 3 + 7))) }
  assert.deepEqual(scalerToJSON(fitScaler('zscore', changed, train)), before)
  assert.deepEqual(scalerToJSON(fitScaler('robust', changed, train)), scalerToJSON(fitScaler('robust', frame, train)))
})

test('scalers only accept minted TrainIndices, round-trip through JSON and refuse another schema', async (t) => {
  const s = await setup()
  if (!s) return void t.skip(`${FIL_FILE} is absent`)
  const { frame, train } = s
  const forged = Int32Array.from({ length: frame.length }, (_, i) => i) as TrainIndices
  assert.throws(() => fitScaler('zscore', frame, forged), /expected TrainIndices produced by a split function/)
  const z = fitScaler('zscore', frame, train)
  const back = scalerFromJSON(JSON.parse(JSON.stringify(scalerToJSON(z))))
  assert.deepEqual(transformFrame(back, frame), transformFrame(z, frame))
  assert.throws(() => transformFrame(z, { ...frame, schema: { hash: 'f'.repeat(64) } }), /fitted on feature schema/)
})
