import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MINUTE_MS, type Bars } from '../../src/data/bars.js'
import { dataConfigSchema, ingestFile } from '../../src/data/ingest.js'
import { createResampler, resample, type HigherBar } from '../../src/data/resample.js'
import { DEFAULT_LADDER, parseLadder, parseTimeframe } from '../../src/data/timeframe.js'
import { SAMPLE, SHARED_MISSING, SPX } from '../helpers.js'
import { existsSync } from 'node:fs'

/** An independent reference: group by bucket, aggregate, keep only buckets that are closed before the data ends. */
function referenceResample(bars: Bars, tfMs: number, origin = 0) {
  const out: HigherBar[] = []
  for (let i = 0; i < bars.length; ) {
    const start = origin + Math.floor((bars.ts[i] - origin) / tfMs) * tfMs
    let j = i
    let high = -Infinity
    let low = Infinity
    let volume = 0
    while (j < bars.length && bars.ts[j] < start + tfMs) {
      high = Math.max(high, bars.high[j])
      low = Math.min(low, bars.low[j])
      volume += bars.volume[j]
      j++
    }
    const closed = j < bars.length || bars.ts[j - 1] + MINUTE_MS >= start + tfMs
    if (closed) {
      out.push({ ts: start, closeTs: start + tfMs, open: bars.open[i], high, low, close: bars.close[j - 1], volume, count: j - i })
    }
    i = j
  }
  return out
}

/** The live path: bars pushed one at a time, emitted bars collected with the index of the bar that closed them. */
function liveResample(bars: Bars, tfName: string, origin = 0) {
  const r = createResampler(parseTimeframe(tfName), origin)
  const emitted: { bar: HigherBar; at: number }[] = []
  for (let i = 0; i < bars.length; i++) {
    r.push(
      { ts: bars.ts[i], open: bars.open[i], high: bars.high[i], low: bars.low[i], close: bars.close[i], volume: bars.volume[i] },
      i,
      (bar, at) => emitted.push({ bar, at }),
    )
  }
  return emitted
}

async function checkLadder(bars: Bars) {
  for (const tf of parseLadder([...DEFAULT_LADDER])) {
    const batch = resample(bars, tf)
    const live = liveResample(bars, tf.name)
    const ref = referenceResample(bars, tf.ms)
    assert.equal(batch.length, live.length, tf.name)
    assert.equal(batch.length, ref.length, tf.name)
    for (let k = 0; k < batch.length; k++) {
      const b = { ts: batch.ts[k], closeTs: batch.closeTs[k], open: batch.open[k], high: batch.high[k], low: batch.low[k], close: batch.close[k], volume: batch.volume[k], count: batch.count[k] }
      assert.deepEqual(b, live[k].bar, `${tf.name} bar ${k} batch vs live`)
      assert.equal(batch.availableAt[k], live[k].at)
      assert.deepEqual(b, ref[k], `${tf.name} bar ${k} batch vs reference`)
      // A higher bar is only visible from a 1m bar that closes at or after the higher bar's close.
      assert.ok(bars.ts[batch.availableAt[k]] + MINUTE_MS >= batch.closeTs[k])
      assert.ok(batch.availableAt[k] === 0 || bars.ts[batch.availableAt[k] - 1] + MINUTE_MS < batch.closeTs[k] || bars.ts[batch.availableAt[k]] < batch.closeTs[k])
    }
  }
}

test('batch resampling equals the live resampler and a group-by reference, bar for bar, on the sample', async () => {
  const { bars } = await ingestFile(SAMPLE)
  await checkLadder(bars)
})

test('batch equals live and reference on the SPX file with its gaps (no invented bars)', async (t) => {
  if (!existsSync(SPX)) return t.skip(SHARED_MISSING)
  const { bars } = await ingestFile(SPX, dataConfigSchema.parse({ validation: { backward_step: 'repair' } }))
  await checkLadder(bars)
  const h1 = resample(bars, parseTimeframe('1h'))
  let partial = 0
  for (let k = 0; k < h1.length; k++) if (h1.count[k] < 60) partial++
  assert.ok(partial > 0, 'hours with missing minutes keep their true count')
  for (let k = 1; k < h1.length; k++) assert.ok(h1.ts[k] > h1.ts[k - 1])
})

test('a bucket with a missing last minute is emitted by the first bar of a later bucket; origin shifts buckets', () => {
  const t0 = Date.UTC(2024, 0, 1, 0, 0)
  const mins = [0, 1, 2, 3, 7, 8, 9]
  const bars: Bars = {
    length: mins.length,
    ts: Float64Array.from(mins, (m) => t0 + m * MINUTE_MS),
    open: Float64Array.from(mins, (m) => m + 1),
    high: Float64Array.from(mins, (m) => m + 2),
    low: Float64Array.from(mins, (m) => m),
    close: Float64Array.from(mins, (m) => m + 1.5),
    volume: Float64Array.from(mins, () => 1),
  }
  const r = resample(bars, parseTimeframe('5m'))
  assert.deepEqual([...r.count], [4, 3])
  assert.deepEqual([...r.availableAt], [4, 6])
  assert.deepEqual([...r.close], [4.5, 10.5])
  const shifted = resample(bars, parseTimeframe('5m'), t0 + 2 * MINUTE_MS)
  // Buckets [-3,2) and [2,7) are closed; [7,12) is still open when the data ends, so it is not emitted.
  assert.deepEqual([...shifted.ts].map((x) => (x - t0) / MINUTE_MS), [-3, 2])
  assert.deepEqual([...shifted.count], [2, 2])
  const pending = createResampler(parseTimeframe('15m'))
  pending.push({ ts: t0, open: 1, high: 1, low: 1, close: 1, volume: 1 }, 0, () => assert.fail('not closed yet'))
  assert.equal(pending.pending()?.count, 1)
  assert.throws(() => pending.push({ ts: t0, open: 1, high: 1, low: 1, close: 1, volume: 1 }, 1, () => {}), /not after the previous bar/)
})

test('timeframe ladders parse and reject bad names', () => {
  assert.deepEqual(parseLadder(['1h', '1m', '5m']).map((t) => t.name), ['1m', '5m', '1h'])
  assert.throws(() => parseTimeframe('5x'), /invalid timeframe "5x"/)
  assert.throws(() => parseLadder(['60m', '1h']), /lists 1h twice/)
})
