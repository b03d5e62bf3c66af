import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPipeline } from '../../src/pipeline/run.js'
import { resolveConfig } from '../../src/config/load.js'
import { ingestFile } from '../../src/data/ingest.js'
import { repoRoot, tempDir, tempFile } from '../helpers.js'
import { assertBundleReproducesRun } from './fixture.js'
import { seededRandom } from '../../src/core/random.js'

const DAY_MS = 86_400_000

/** Weekday daily bars (open time 00:00 UTC) of a seeded random walk with some trend, as CSV. */
function dailyCsv(days: number, seed = 3): string {
  const rand = seededRandom(seed)
  const lines = ['ts_utc,open,high,low,close,volume']
  let close = 2000
  let ts = Date.UTC(2015, 0, 5) // a Monday
  for (let n = 0; n < days; ts += DAY_MS) {
    const dow = new Date(ts).getUTCDay()
    if (dow === 0 || dow === 6) continue
    const open = close * (1 + (rand() - 0.5) * 0.004)
    close = open * (1 + (rand() - 0.48) * 0.03)
    const high = Math.max(open, close) * (1 + rand() * 0.01)
    const low = Math.min(open, close) * (1 - rand() * 0.01)
    lines.push(`${new Date(ts).toISOString()},${open},${high},${low},${close},${Math.round(1e6 * (1 + rand()))}`)
    n++
  }
  return `${lines.join('\n')}\n`
}

test('daily bars with data.interval: 1d run end to end on a daily ladder and score identically from the bundle', async () => {
  const data = tempFile('daily.csv', dailyCsv(1500))
  const config = resolveConfig({
    seed: 7,
    threads: 1,
    data: { interval: '1d' },
    labels: { tripleBarrier: { maxHolding: 10 } },
    base_models: [{ name: 'xgboost', config: { n_estimators: 20, max_depth: 3, early_stopping_rounds: 5 } }],
  })
  assert.deepEqual(config.timeframes, ['1d', '7d'])
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const { report } = run
  assert.equal(report.interval.detected, '1d')
  // Weekends are weekend gaps (two missing days each), not 1439 missing minutes after every bar.
  assert.equal(report.gaps.intraday, 0)
  assert.equal(report.gaps.weekend, 299)
  assert.equal(report.gaps.missing_minutes.weekend, 299 * 2 * 1440)
  const names = JSON.parse(readFileSync(join(run.bundleDir, 'manifest.json'), 'utf8')).feature_schema.names as string[]
  assert.ok(names.includes('rsi_1d') && names.includes('rsi_7d') && names.includes('ix_rsi_x_volreg_1d'))
  assert.ok(!names.some((n) => /_(\d+m|1h)$/.test(n)), `no intraday features: ${names.filter((n) => /m$/.test(n))}`)
  const s = run.summary
  assert.equal(s.rows, 1500)
  assert.ok(s.samples.train > 300 && s.samples.val > 50 && s.samples.test > 50, JSON.stringify(s.samples))
  assert.ok(s.backtest.trades > 0, 'the daily run trades')

  assert.ok((await assertBundleReproducesRun(run, data)) > 50)
})

test('daily bars under the default 1m config are refused by mlf run, naming both intervals', () => {
  const data = tempFile('daily.csv', dailyCsv(300))
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist/src/cli/main.js'), 'run', '--data', data, '--out', tempDir()],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  )
  assert.notEqual(r.status, 0)
  assert.match(
    r.stderr,
    /bars in .*daily\.csv are 1-day \(most common step 1d in 80\.2% of 299 steps\) but data\.interval is 1m; set data\.interval: 1d/,
  )
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
})

test('5-minute bars are refused under data.interval 1m and accepted under 5m, gaps counted in 5m bars', async () => {
  const lines = ['ts_utc,open,high,low,close,volume']
  const t0 = Date.UTC(2024, 0, 2, 10)
  for (let k = 0; k < 100; k++) {
    if (k === 50) continue // one missing 5m bar
    lines.push(`${new Date(t0 + k * 300_000).toISOString()},10,11,9,10,1`)
  }
  const file = tempFile('five.csv', `${lines.join('\n')}\n`)
  const config = (interval?: string) => resolveConfig(interval ? { data: { interval } } : {}).data
  await assert.rejects(
    ingestFile(file, config()),
    /bars in .*five\.csv are 5-minute \(most common step 5m in 98\.9% of 98 steps\) but data\.interval is 1m; set data\.interval: 5m/,
  )
  const { report } = await ingestFile(file, config('5m'))
  assert.equal(report.gaps.intraday, 1)
  assert.equal(report.gaps.missing_minutes.intraday, 5)
  assert.match(report.findings.find((f) => f.kind === 'gap')!.detail, /^1 missing bar\(s\), 5 missing minute\(s\)/)
  // Bars finer than data.interval are refused too (they are not resampled silently).
  await assert.rejects(
    ingestFile(file, config('1h')),
    /are 5-minute .* but data\.interval is 1h; set data\.interval: 5m/,
  )
})

test('the ladder starts at data.interval and every timeframe holds whole base bars', () => {
  assert.throws(
    () => resolveConfig({ timeframes: ['5m', '15m'] }),
    /timeframes: the ladder must start at data\.interval \(1m\), not 5m/,
  )
  assert.throws(
    () => resolveConfig({ data: { interval: '5m' }, features: { micro: { timeframes: ['1m'] } } }),
    /features\.micro\.timeframes\.0: timeframe 1m is shorter than data\.interval \(5m\)/,
  )
  assert.throws(
    () => resolveConfig({ data: { interval: '5m' }, timeframes: ['5m', '7m'] }),
    /timeframes: timeframe 7m is not a whole number of 5m bars/,
  )
  const five = resolveConfig({ data: { interval: '5m' } })
  assert.deepEqual(five.timeframes, ['5m', '10m', '15m', '20m', '25m', '30m', '45m', '1h'])
  assert.deepEqual(five.features.regime.timeframes, ['5m', '15m', '1h'])
})
