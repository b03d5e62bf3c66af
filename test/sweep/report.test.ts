import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parse } from 'yaml'
import { chosenYaml } from '../../src/cli/sweep.js'
import type { SweepResult } from '../../src/sweep/coordinator.js'
import { renderSweepReport } from '../../src/sweep/report.js'
import type { TrialOutcome } from '../../src/sweep/trial.js'
import type { TrialRow } from '../../src/tracking/sweeps.js'
import { runChartScript } from '../tracking/html.js'

const evil = '<script>alert(1)</script>'

function trial(
  window: string,
  number: number,
  depth: number,
  model: unknown,
  value: number | null,
): TrialRow<TrialOutcome> {
  const status = value === null ? 'pruned' : 'complete'
  return {
    window,
    number,
    params: { 'base_models.0.config.max_depth': depth, 'base_models.0': model },
    status,
    value,
    seconds: 1.5,
    outcome: {
      status,
      value,
      metrics: {},
      curves: {},
      returns: { ts: [], r: [] },
      seconds: 1.5,
      ...(value === null ? { error: 'pruned at fit xgboost step 6' } : {}),
    },
  }
}

function result(over: Partial<SweepResult> = {}): SweepResult {
  const w = (key: string, chosen: number, value: number) => ({
    key,
    valStart: '2023-08-03T00:00:00.000Z',
    testStart: '2023-08-04T00:00:00.000Z',
    rows: { train: 3000, val: 900, test: 1300 },
    trials: 3,
    complete: 2,
    pruned: 1,
    failed: 0,
    chosen: { number: chosen, params: { 'base_models.0.config.max_depth': 3 }, value },
    test: { log_loss: 0.98, auc_dir: 0.51, bt_total_return: 0.01, bt_trades: 12 },
    pbo: { pbo: 0.25, partitions: 16, trials: 2, periods: 900 },
  })
  return {
    sweepId: 'sweep-x',
    createdAt: '2026-12-07T00:00:00.000Z',
    sweepHash: 'ab'.repeat(32),
    dataFile: `data/${evil}.csv`,
    dataFingerprint: 'cd'.repeat(32),
    seed: 7,
    objective: { metric: 'log_loss', direction: 'minimize' },
    sampler: 'tpe',
    pruner: 'median',
    batch: 2,
    budget: { trials: 3 },
    method: 'walk_forward',
    windows: [w('2023-08-04T00:00:00.000Z', 0, 1.01), w('2023-08-05T00:00:00.000Z', 1, 1.02)],
    test: {
      rows: 2600,
      metrics: { log_loss: 0.98, auc_dir: 0.51 },
      backtest: { total_return: 0.02, sharpe: 1.1, trades: 24 },
      equity: { ts: [0, 60_000, 120_000], equity: [1, 1.01, 1.02] },
    },
    deflatedSharpe: { dsr: 0.4, sharpe: 0.01, benchmark: 0.02, trials: 2, trialVariance: 1e-4, bars: 2600 },
    gates: [
      { gate: 'deflated_sharpe', value: 0.4, threshold: 0.95, op: '>=', pass: false, note: '2 trials' },
      { gate: 'pbo', value: 0.25, threshold: 0.5, op: '<=', pass: true, note: 'the worst of 2 windows' },
    ],
    chosen: {
      window: '2023-08-05T00:00:00.000Z',
      params: { 'base_models.0.config.max_depth': 3 },
      config: { seed: 7, base_models: [{ name: 'xgboost', config: { max_depth: 3 } }] },
    },
    ...over,
  }
}

const trials = [
  trial('2023-08-04T00:00:00.000Z', 0, 3, { name: 'xgboost' }, 1.01),
  trial('2023-08-04T00:00:00.000Z', 1, 5, { name: evil }, 1.05),
  trial('2023-08-04T00:00:00.000Z', 2, 4, { name: 'xgboost' }, null),
  trial('2023-08-05T00:00:00.000Z', 0, 2, { name: 'xgboost' }, 1.03),
  trial('2023-08-05T00:00:00.000Z', 1, 3, { name: evil }, 1.02),
]

test('sweep report: sections, every trial, text escaped, the chosen config as YAML', () => {
  const html = renderSweepReport(result(), trials)
  for (const id of ['overview', 'windows', 'test', 'charts', 'trials', 'chosen'])
    assert.match(html, new RegExp(`<section id="${id}">`))
  assert.ok(!html.includes(evil), 'record text is escaped')
  assert.equal((html.match(/<tr><td>2023-08-0[45]T00:00:00.000Z<\/td><td>#/g) ?? []).length, 5, 'one row per trial')
  assert.match(html, /#1 \(chosen\)/)
  assert.match(html, /pruned at fit xgboost step 6/)
  assert.match(html, /deflated Sharpe ratio<\/td><td>0\.4000 \(per-bar Sharpe/)
  // The choice judged by the gates where the trials are known: FAIL on the deflated Sharpe ratio, PBO passes.
  assert.match(html, /acceptance thresholds \(docs\/acceptance.md\): FAIL\./)
  assert.match(html, /<td>deflated_sharpe<\/td><td[^>]*>0\.4<\/td><td>&#62;= 0\.95<\/td><td>FAIL<\/td>/)
  assert.match(html, /<td>pbo<\/td><td[^>]*>0\.25<\/td><td>&#60;= 0\.5<\/td><td>PASS<\/td>/)
  assert.match(html, /base_models:\n {2}- name: xgboost/)
})

test('sweep report charts: objective over trials per window, a marginal per parameter, parallel coordinates, equity', () => {
  const options = runChartScript(renderSweepReport(result(), trials))
  assert.deepEqual([...options.keys()].sort(), [
    'chart-equity',
    'chart-marginal-0',
    'chart-marginal-1',
    'chart-objective',
    'chart-parallel',
  ])
  const objective = options.get('chart-objective')!.series as { name: string; data: number[][] }[]
  assert.deepEqual(
    objective.map((s) => s.name),
    [
      '2023-08-04T00:00:00.000Z',
      '2023-08-04T00:00:00.000Z best so far',
      '2023-08-05T00:00:00.000Z',
      '2023-08-05T00:00:00.000Z best so far',
    ],
  )
  assert.deepEqual(
    objective[0].data,
    [
      [0, 1.01],
      [1, 1.05],
    ],
    'completed trials only',
  )
  assert.deepEqual(
    objective[3].data,
    [
      [0, 1.03],
      [1, 1.02],
    ],
    'best so far, minimizing',
  )
  const choice = options.get('chart-marginal-1')!
  assert.deepEqual((choice.xAxis as { data: string[] }).data, ['{"name":"xgboost"}', `{"name":"${evil}"}`])
  const parallel = options.get('chart-parallel')!.series as { data: unknown[][] }[]
  assert.equal(parallel[0].data.length, 4)
  assert.deepEqual(parallel[0].data[1], [5, `{"name":"${evil}"}`, 1.05])
})

test('sweep report without a choice says so; chosen.yaml parses back to the chosen config', () => {
  const none = renderSweepReport(
    result({ test: null, chosen: null, deflatedSharpe: { reason: 'no window chose a configuration' } }),
    [],
  )
  assert.match(none, /No window chose a configuration: nothing was tested/)
  assert.equal(runChartScript(none).size, 0)
  const yaml = chosenYaml(result())
  assert.match(yaml, /^# Chosen by mlf sweep sweep-x in window 2023-08-05T00:00:00.000Z: trial #1,/)
  assert.deepEqual(parse(yaml), result().chosen!.config)
})
