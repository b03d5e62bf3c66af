import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle, scoreWithBundle } from '../../src/pipeline/bundle.js'
import { predictionsCsv } from '../../src/pipeline/predict.js'
import { openRunStore } from '../../src/tracking/store.js'
import { tempDir } from '../helpers.js'
import { sampleSlice, smallConfig } from './fixture.js'

const ROWS = 12 * 1440

/** Refit daily on the 3 days before, the last 20% of each training window for early stopping and calibration. */
function walkConfig(walk: Record<string, unknown> = {}) {
  return smallConfig({
    splits: { method: 'walk_forward' },
    evaluation: { walk_forward: { train: '3d', test: '1d', step: '1d', val: 0.2, ...walk } },
  })
}

const predictionLines = (runDir: string) =>
  readFileSync(join(runDir, 'predictions', 'test.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)

test('walk-forward: the chain is refit per window, the windows are backtested as one stream and recorded', async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  const run = await runPipeline({ config: walkConfig(), dataFile: data, outDir: out })
  const { evaluation, samples } = run.summary
  assert.equal(evaluation.method, 'walk_forward')
  // 12 days of data (days 0 to 11), 3 days of training before each test day: days 4 to 11 are tested. Day 3's
  // training window starts at the first bar, inside the features' warm-up, so it would train on fewer rows: skipped.
  assert.equal(evaluation.windows.length, 8)
  assert.ok(evaluation.skipped >= 1)
  const keys = evaluation.windows.map((w) => w.key)
  for (let i = 1; i < keys.length; i++) assert.equal(Date.parse(keys[i]) - Date.parse(keys[i - 1]), 86_400_000)
  for (const w of evaluation.windows) {
    assert.equal(Date.parse(w.testEnd) - Date.parse(w.testStart), 86_400_000)
    assert.equal(Date.parse(w.testStart) - Date.parse(w.trainStart), 3 * 86_400_000)
    assert.ok(w.samples.train > 2000 && w.samples.val > 500 && w.samples.test > 1000, JSON.stringify(w.samples))
    assert.ok(Number.isFinite(w.test.auc_dir) && Number.isFinite(w.backtest.total_return))
  }
  // One stream: every window's test rows once, in time order.
  const lines = predictionLines(run.runDir)
  assert.equal(lines.length, samples.test)
  assert.equal(
    samples.test,
    evaluation.windows.reduce((s, w) => s + w.samples.test, 0),
  )
  const times = lines.map((l) => Date.parse(l.split(',')[0]))
  for (let i = 1; i < times.length; i++) assert.ok(times[i] > times[i - 1])
  assert.ok(times[0] >= Date.parse(keys[0]) && times.at(-1)! < Date.parse(evaluation.windows.at(-1)!.testEnd))
  // The report plots and tables the windows.
  const report = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  assert.match(report, /<section id="windows"><h2>Walk-forward windows<\/h2>/)
  assert.match(report, /"windows":\{"keys":\["[0-9-]{10}"/)
  // Stored with the backtest metrics as columns.
  const store = openRunStore(join(out, 'mlf.sqlite'))
  try {
    const row = store.db.prepare('SELECT evaluation, bt_trades, bt_sharpe FROM runs WHERE run_id = ?').get(run.runId)
    assert.deepEqual(row, {
      evaluation: 'walk_forward',
      bt_trades: run.summary.backtest.trades,
      bt_sharpe: run.summary.backtest.sharpe,
    })
  } finally {
    store.close()
  }

  // The bundle is the last window's chain: it reproduces that window's predictions exactly.
  const last = evaluation.windows.at(-1)!
  const scored = await scoreWithBundle(await loadBundle(run.bundleDir, run.bundleChecksum), data)
  const byTs = new Map(
    predictionsCsv(scored.bars, scored.rows, scored.p, scored.signals)
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => [l.split(',')[0], l]),
  )
  const lastLines = lines.filter((l) => Date.parse(l.split(',')[0]) >= Date.parse(last.testStart))
  assert.equal(lastLines.length, last.samples.test)
  for (const line of lastLines) assert.equal(byTs.get(line.split(',')[0]), line)

  // A window's predictions are the same whether the run covers every window or starts at that one.
  const from = keys[4]
  const later = await runPipeline({ config: walkConfig({ from }), dataFile: data, outDir: out })
  assert.deepEqual(
    later.summary.evaluation.windows.map((w) => w.key),
    keys.slice(4),
  )
  assert.deepEqual(
    later.summary.evaluation.windows.map((w) => w.samples),
    evaluation.windows.slice(4).map((w) => w.samples),
  )
  const fromLines = lines.filter((l) => Date.parse(l.split(',')[0]) >= Date.parse(from))
  assert.deepEqual(predictionLines(later.runDir), fromLines)
})

test('walk-forward: a file that starts later gives the same windows, rows and seeds from its first full window', async () => {
  // Bars from day 3 on: the window whose training starts there is skipped (its first bars are the features'
  // warm-up), and from the next one on the windows are the full file's.
  const full = await sampleSlice(ROWS)
  const late = await sampleSlice(ROWS - 3 * 1440, true, 3 * 1440)
  const a = await runPipeline({ config: walkConfig(), dataFile: full, outDir: tempDir() })
  const b = await runPipeline({ config: walkConfig(), dataFile: late, outDir: tempDir() })
  const wa = a.summary.evaluation.windows
  const wb = b.summary.evaluation.windows
  const offset = wa.findIndex((w) => w.key === wb[0].key)
  assert.ok(offset > 0, 'the later file starts at a later window')
  assert.deepEqual(
    wb.map((w) => [w.key, w.trainStart, w.testEnd]),
    wa.slice(offset).map((w) => [w.key, w.trainStart, w.testEnd]),
  )
  // The same sample rows: the features' warm-up lies before the training window in both files.
  assert.deepEqual(
    wb.map((w) => w.samples),
    wa.slice(offset).map((w) => w.samples),
  )
  // Predictions agree closely but not bit for bit: recursive indicators (EMAs, Wilder smoothing) carry a trace of
  // every earlier bar, and the later file has fewer of them.
  const la = predictionLines(a.runDir).filter((l) => l >= wb[0].key)
  const lb = predictionLines(b.runDir)
  assert.equal(lb.length, la.length)
  const p = (l: string) => l.split(',').slice(1, 4).map(Number)
  const drift = Math.max(...la.map((l, i) => Math.max(...p(l).map((v, k) => Math.abs(v - p(lb[i])[k])))))
  assert.ok(drift < 0.05, `largest probability difference ${drift}`)
})
