import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sliceBars, type Bars } from '../../src/data/bars.js'
import { bucketStart, resample } from '../../src/data/resample.js'
import { parseTimeframe } from '../../src/data/timeframe.js'
import {
  auditFeatures,
  auditLeakage,
  formatFinding,
  frameTarget,
  viewTargets,
  type AuditTarget,
} from '../../src/features/audit.js'
import { parseFeaturesConfig } from '../../src/features/config.js'
import { column, computeFeatures, detectVolumeMode } from '../../src/features/frame.js'
import { FIL_FILE, loadBars, SPX_FILE } from './data.js'

const defaults = parseFeaturesConfig({})

function extraColumn(name: string, values: Float64Array): AuditTarget {
  return {
    name: `extra ${name}`,
    n: values.length,
    width: 1,
    rowOf: (i) => i,
    read: (i, o) => void (o[0] = values[i]),
    label: () => name,
  }
}

async function auditDataset(t: import('node:test').TestContext, file: string, rows: number): Promise<void> {
  const all = await loadBars(file)
  if (!all) return void t.skip(`${file} is absent (the shared data folder beside the repository); audit skipped`)
  // A window starting mid-file, long enough for every default feature (1h regime included) to warm up.
  const start = Math.floor(all.length / 3)
  const bars = sliceBars(all, start, start + rows)
  const frame = computeFeatures(bars, defaults)
  assert.ok(
    frame.usable.indexOf(1) > 0 && frame.usable.indexOf(1) < rows * 0.6,
    'features warm up inside the audited window',
  )
  const result = auditLeakage(
    bars,
    (b) => {
      const f = computeFeatures(b, defaults, detectVolumeMode(bars))
      return [frameTarget(f), ...viewTargets(f, b, { windowSteps: 60, context: 128 })]
    },
    { cuts: 3, seed: 7 },
  )
  assert.equal(result.findings.length, 0, result.findings.map(formatFinding).join('\n'))
  assert.ok(result.ok)
  const names = result.targets.map((x) => x.name)
  for (const v of [
    'features',
    'view feature_matrix',
    'view window_tensor',
    'view multi_res concatenated',
    'view multi_res stacked',
    'view foundation',
  ]) {
    assert.ok(names.includes(v), `audit covered ${v}`)
  }
  assert.equal(result.targets[0].width, frame.names.length, 'every feature is audited')
  assert.ok(
    result.targets.every((x) => x.samples > 0),
    'every view has samples',
  )
}

test('leakage audit: every default feature and every view pass on the Binance sample (3 random cuts, perturb + truncate)', async (t) => {
  await auditDataset(t, FIL_FILE, 36_000)
})

test('leakage audit: every default feature and every view pass on SPX (gaps, session breaks, no volume)', async (t) => {
  await auditDataset(t, SPX_FILE, 36_000)
})

async function smallBars(): Promise<Bars | null> {
  const all = await loadBars(FIL_FILE)
  return all ? sliceBars(all, 0, 6_000) : null
}

test('leakage audit catches a deliberately leaky feature (next bar close) and names it with T', async (t) => {
  const bars = await smallBars()
  if (!bars) return void t.skip(`${FIL_FILE} is absent`)
  const config = parseFeaturesConfig({ momentum: { timeframes: ['1m', '5m'] }, volatility: { timeframes: ['1m'] } })
  const result = auditLeakage(
    bars,
    (b) => {
      const f = computeFeatures(b, config, 'present')
      const next = new Float64Array(b.length).fill(Number.NaN)
      for (let i = 0; i + 1 < b.length; i++) next[i] = b.close[i + 1]
      return [frameTarget(f), extraColumn('leak_next_close', next)]
    },
    { cuts: 2, seed: 3 },
  )
  assert.equal(result.ok, false)
  assert.equal(result.findings.length, 4, 'caught at both cuts, by perturbation and by truncation')
  assert.deepEqual(
    result.findings.map((f) => f.mode),
    ['perturb', 'truncate', 'perturb', 'truncate'],
  )
  for (const f of result.findings) {
    assert.equal(f.feature, 'leak_next_close')
    assert.equal(f.row, f.cut, 'the first changed row is T itself')
    assert.match(formatFinding(f), new RegExp(`leak_next_close at row ${f.cut} .*T=${f.cut}`))
  }
})

test('leakage audit catches the classic multi-timeframe mistake: a 1h value shown from its bucket open', async (t) => {
  const bars = await smallBars()
  if (!bars) return void t.skip(`${FIL_FILE} is absent`)
  const config = parseFeaturesConfig({ momentum: { timeframes: ['1m', '1h'] }, volatility: { enabled: false } })
  const tf = parseTimeframe('1h')
  const result = auditLeakage(
    bars,
    (b) => {
      const f = computeFeatures(b, config, 'present')
      const series = f.timeframes.find((s) => s.timeframe === '1h')!
      const h = resample(b, tf)
      const rsi = series.columns[series.names.indexOf('rsi_1h')]
      const byOpen = new Map<number, number>()
      for (let k = 0; k < h.length; k++) byOpen.set(h.ts[k], rsi[k])
      const wrong = new Float64Array(b.length)
      for (let i = 0; i < b.length; i++) wrong[i] = byOpen.get(bucketStart(b.ts[i], tf.ms, 0)) ?? Number.NaN
      return [frameTarget(f), extraColumn('rsi_1h_aligned_by_open', wrong)]
    },
    { cuts: 4, seed: 11 },
  )
  assert.equal(result.ok, false)
  assert.ok(result.findings.every((f) => f.feature === 'rsi_1h_aligned_by_open' && f.row <= f.cut))
  // the engine's own alignment of the same value is clean at every one of those cuts
  assert.ok(result.findings.every((f) => f.target !== 'features'))
  assert.ok(column(computeFeatures(bars, config, 'present'), 'rsi_1h').some(Number.isFinite))
})

test('auditFeatures: a whole-config audit on a short window is clean and reproducible from its seed', async (t) => {
  const bars = await smallBars()
  if (!bars) return void t.skip(`${FIL_FILE} is absent`)
  const config = parseFeaturesConfig({ regime: { history: 50 } })
  const a = auditFeatures(bars, config, { cuts: 2, seed: 5, views: false })
  const b = auditFeatures(bars, config, { cuts: 2, seed: 5, views: false })
  assert.ok(a.ok, a.findings.map(formatFinding).join('\n'))
  assert.deepEqual(a.cuts, b.cuts)
  assert.ok(a.cuts.every((c) => c >= bars.length / 4 && c < bars.length - 1))
})
