/**
 * Quantile heads from YAML on a real file: the q05/q50/q95 band of a quantile model, conformalized to 90% by cqr on
 * the validation rows, covers the test window's forward returns within 0.03 of 0.90.
 *
 * The whole built-in sample, whose test window is its last 15% (18 days, 26,261 rows): on five 40,000-bar slices,
 * whose test windows are 4 days, a config like this one covered between 0.83 and 0.97, since a few days' volatility
 * is not the next few days' (the interval is fitted on the days before the test window). Features are a small set
 * and the model trains one epoch, so the run takes a minute or two; the coverage is the conformal step's, which
 * widens whatever band the model gives (the raw band covers about 0.81 here). Measured: 0.883 (raw 0.810); with
 * seeds 7, 1 and 2 and 5 bps costs, 0.883, 0.884 and 0.879.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { SAMPLE, tempDir, tempFile } from '../helpers.js'

const CONFIG = `
symbol: FILUSDT
seed: 42
threads: 1
timeframes: [1m, 5m, 15m]
features:
  momentum: { timeframes: [1m, 15m] }
  volatility: { timeframes: [1m, 15m] }
  volume: { timeframes: [1m] }
  regime: { timeframes: [1m] }
  stats: { timeframes: [1m, 5m] }
  interactions: { list: [] }
labels:
  tripleBarrier: { kUp: 2, kDown: 2, maxHolding: 60, costBps: 6 }
splits:
  chronological: { train: 0.7, val: 0.15, test: 0.15 }
views: { window_steps: 30 }
base_models:
  - name: xgboost
    config: { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 }
    outputs: [p, E_r]
  - name: quantile_rnn
    config: { hidden: 32, epochs: 1, batchSize: 256 }
    outputs: [q05, q50, q95]
inference:
  calibrate: [temperature]
  uncertainty: [{ method: cqr, coverage: 0.9 }]
`

test('quantile head from YAML, conformalized by cqr to 0.90: test coverage of [q05, q95] within 0.03 of 0.90 on the sample', async (t) => {
  const config = loadConfig(tempFile('quantiles.yaml', CONFIG))
  const run = await runPipeline({ config, dataFile: SAMPLE, outDir: tempDir() })
  const band = run.summary.heads.find((h) => h.head === 'q05/q50/q95')!
  assert.equal(band.model, 'quantile_rnn')
  assert.deepEqual(band.postProcessors, ['cqr'])
  const { coverage, rows } = band.metrics.test
  assert.ok(rows > 20_000, `${rows} test rows`)
  const seen = `test coverage ${coverage} on ${rows} rows (raw band ${band.metrics.test_raw.coverage}, validation ${band.metrics.val.coverage})`
  assert.ok(Math.abs(coverage - 0.9) <= 0.03, seen)
  t.diagnostic(seen)
})
