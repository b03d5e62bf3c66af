/**
 * Policies in mlf run: a list backtested side by side on the same predictions (summary, terminal, report,
 * predictions, bundle), maker_first execution, and policies whose inputs the run does not produce refused at load.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { backtestConfigSchema, runBacktest } from '../../src/backtest/engine.js'
import { backtestMetrics } from '../../src/backtest/metrics.js'
import { printSummary } from '../../src/cli/run.js'
import { resolveConfig } from '../../src/config/load.js'
import { ingestFile } from '../../src/data/ingest.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const XGB = { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 }

test('policy: [threshold, kelly, quantile, vol_target] on the same predictions, maker_first fills: side by side everywhere, reproduced by the bundle', async () => {
  const data = await sampleSlice(30_000)
  const execution = {
    kind: 'maker_first',
    offset: 1,
    timeout: 3,
    partial_fills: { volume_share: 0.2, capital: 50_000 },
  }
  const config = smallConfig({
    base_models: [{ name: 'xgboost', config: XGB, outputs: ['p', 'E_r'] }],
    inference: { calibrate: ['temperature'], uncertainty: [{ method: 'split', coverage: 0.8 }] },
    policy: [
      { kind: 'threshold', long: 0.5, short: 0.5 },
      { kind: 'kelly', fraction: 0.25 },
      { kind: 'quantile', straddle: 'trade', fraction: 0.05 },
      { kind: 'vol_target', target: 0.5, lookback: 600 },
    ],
    backtest: { fees: 4, slippage: 1, execution },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const s = run.summary
  assert.deepEqual(
    s.policies?.map((p) => p.policy),
    ['threshold', 'kelly', 'quantile', 'vol_target'],
  )
  assert.deepEqual(s.policies![0].backtest, s.backtest)
  assert.ok(s.backtest.maker_share > 0 && s.backtest.maker_share <= 1, `maker share ${s.backtest.maker_share}`)

  // The predictions hold each policy's positions; backtesting them again gives each policy's metrics.
  const lines = readFileSync(join(run.runDir, 'predictions', 'test.csv'), 'utf8')
    .trim()
    .split('\n')
  const header = lines[0].split(',')
  assert.deepEqual(header.slice(-3), ['signal_kelly', 'signal_quantile', 'signal_vol_target'])
  const { bars } = await ingestFile(data)
  const index = new Map(Array.from(bars.ts, (t, i) => [t, i]))
  const rows = Int32Array.from(lines.slice(1), (l) => index.get(Date.parse(l.split(',')[0]))!)
  const cfg = backtestConfigSchema.parse({ fees: 4, slippage: 1, execution })
  for (const [j, column] of ['signal', 'signal_kelly', 'signal_quantile', 'signal_vol_target'].entries()) {
    const c = header.indexOf(column)
    const positions = Float64Array.from(lines.slice(1), (l) => Number(l.split(',')[c]))
    assert.ok(positions.every((x) => x >= -1 && x <= 1))
    assert.ok(
      positions.some((x) => x !== 0),
      `${column} takes positions`,
    )
    if (j === 0) assert.ok(positions.every((x) => x === -1 || x === 0 || x === 1))
    else
      assert.ok(
        positions.some((x) => x !== 0 && Math.abs(x) !== 1),
        `${column} sizes fractionally`,
      )
    const again = backtestMetrics(runBacktest(bars, positions, rows, 30, cfg))
    assert.deepEqual(again, s.policies![j].backtest, column)
  }

  let text = ''
  printSummary(s, (t) => (text += t))
  assert.match(text, /policies on the same predictions \(the first is the run's primary\)/)
  for (const kind of ['threshold', 'kelly', 'quantile', 'vol_target'])
    assert.match(text, new RegExp(`\\n  ${kind} +-?\\d`))
  assert.match(text, /filled as maker \d+\.\d\d% of traded notional/)
  const report = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  assert.match(report, /Policies on the same predictions/)

  const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
  assert.deepEqual(
    bundle.manifest.chain.filter((l) => l.role === 'policy').map((l) => l.name),
    ['threshold', 'kelly', 'quantile', 'vol_target'],
  )
  assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
})

test('a policy whose inputs the run does not produce is refused at load, saying what would produce them', () => {
  const err = (over: Record<string, unknown>) => {
    try {
      resolveConfig(over)
    } catch (e) {
      return (e as Error).message
    }
    return 'accepted'
  }
  assert.match(
    err({ policy: { kind: 'quantile' } }),
    /policy: policy quantile reads E_r, q_lo\/q_hi, which this run does not produce; it needs a base model with outputs \[E_r\]; and the conformal interval around E_r/,
  )
  assert.match(
    err({ base_models: [{ name: 'xgboost', outputs: ['p', 'E_r'] }], policy: ['threshold', 'quantile'] }),
    /policy\.1: policy quantile reads q_lo\/q_hi, which this run does not produce; it needs the conformal interval around E_r: a base model with outputs \[E_r\] and a method on it in inference\.uncertainty \(split, cv_plus/,
  )
  assert.match(
    err({ policy: { kind: 'kelly', method: 'binary', source: 'p_up', short: false } }),
    /policy kelly reads p_up, which this run does not produce; it needs a base model with outputs \[p_up\]/,
  )
  assert.equal(
    err({
      base_models: [
        { name: 'xgboost', outputs: ['p', 'E_r'] },
        { name: 'logistic', outputs: ['p_up'] },
      ],
      inference: { uncertainty: [{ method: 'split' }] },
      policy: ['threshold', { kind: 'kelly', method: 'binary', source: 'p_up', short: false }, 'quantile'],
    }),
    'accepted',
  )
})
