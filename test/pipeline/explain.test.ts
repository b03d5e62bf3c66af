import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runPipeline } from '../../src/pipeline/run.js'
import { loadBundle, scoreWithBundle } from '../../src/pipeline/bundle.js'
import { openRunStore } from '../../src/tracking/store.js'
import { matrixFor } from '../../src/pipeline/dataset.js'
import { hasShap } from '../../src/explain/shap.js'
import { renderReport } from '../../src/tracking/report.js'
import type { RunRecord } from '../../src/tracking/types.js'
import { tempDir } from '../helpers.js'
import { poisonedFrom, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 30_000
const repoRoot = join(import.meta.dirname, '..', '..', '..')
const mlf = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { encoding: 'utf8', timeout: 300_000 })

function stored(out: string, runId: string): RunRecord {
  const store = openRunStore(join(out, 'mlf.sqlite'))
  try {
    return store.get(runId)!
  } finally {
    store.close()
  }
}

const csvRows = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','))

test('an XGBoost run: its report shows the test period, buy-and-hold, the trades and SHAP; predict --explain shap adds up', async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  const run = await runPipeline({ config: smallConfig(), dataFile: data, outDir: out })
  const record = stored(out, run.runId)
  // The test period: the first and last test rows' bars, the rows the summary counts.
  const p = record.testPeriod!
  assert.equal(p.rows, run.summary.samples.test)
  const eq = record.backtest!.equity
  assert.equal(Date.parse(p.start), eq.ts[0])
  assert.equal(Date.parse(p.end), eq.ts[eq.ts.length - 1])
  // Buy-and-hold before costs is the close ratio: its points follow the strategy's bars one for one.
  const bm = record.backtest!.benchmark!
  assert.equal(bm.buyAndHold.gross.length, eq.ts.length)
  assert.equal(bm.buyAndHold.gross[0], 1)
  assert.ok(bm.buyAndHold.net[eq.ts.length - 1] < bm.buyAndHold.gross[eq.ts.length - 1])
  assert.ok(bm.grossEquity[bm.grossEquity.length - 1] >= eq.equity[eq.equity.length - 1])
  // The trade list is the backtest's: as many as it counts, and compounding their net returns gives its final equity.
  const trades = record.trades!
  assert.equal(trades.total, run.summary.backtest.trades)
  assert.ok(trades.total > 0)
  const compounded = trades.rows.reduce((e, t) => e * (1 + t.net), 1)
  assert.ok(Math.abs(compounded - eq.equity[eq.equity.length - 1]) < 1e-9, `${compounded}`)
  const csv = csvRows(join(run.runDir, 'trades.csv'))
  assert.equal(csv.length, trades.total + 1)
  assert.deepEqual(csv[1].slice(0, 5), [
    trades.rows[0].side,
    String(trades.rows[0].size),
    trades.rows[0].decision,
    trades.rows[0].entry,
    trades.rows[0].exit,
  ])
  // Importance labelled with its model: gain and SHAP of the final xgboost.
  assert.deepEqual(
    record.importance!.map((r) => [r.model, r.role, r.method]),
    [
      ['xgboost', 'final', 'gain'],
      ['xgboost', 'final', 'shap'],
    ],
  )
  assert.ok(record.importance![1].beeswarm!.points.length > 0)
  // The regime table carries the t-statistic, named as such.
  assert.ok(record.backtest!.byRegime.every((r) => typeof r.tStat === 'number' && !('sharpe' in r)))
  const html = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  assert.equal(html, renderReport({ ...record, createdAt: record.createdAt }))
  for (const text of [
    `test ${p.start.replace('T', ' ').replace(/:00(\.000)?Z$/, ' UTC')}`,
    '<section id="trades"><h2>Trades</h2>',
    '<td>buy and hold after costs</td>',
    '<th>t-stat of mean trade</th>',
    '<code>xgboost</code> (final): shap</h3>',
    'id="chart-beeswarm-1"',
  ])
    assert.ok(html.includes(text), text)

  // mlf predict --explain: per prediction, the predicted class's margin, bias and top features by |SHAP|.
  const preds = join(tempDir(), 'preds.csv')
  const r = mlf('predict', '--bundle', run.bundleDir, '--data', data, '--out', preds, '--explain', '--top', '3')
  assert.equal(r.status, 0, r.stderr)
  const explainFile = join(preds, '..', 'preds.explain.csv')
  assert.match(r.stdout, /top 3 SHAP values per prediction -> .*preds\.explain\.csv/)
  const rows = csvRows(explainFile)
  const predictions = csvRows(preds)
  assert.deepEqual(rows[0], [
    'ts',
    'class',
    'margin',
    'bias',
    'feature_1',
    'value_1',
    'shap_1',
    'feature_2',
    'value_2',
    'shap_2',
    'feature_3',
    'value_3',
    'shap_3',
  ])
  assert.equal(rows.length, predictions.length)
  const bundle = await loadBundle(run.bundleDir)
  const scored = await scoreWithBundle(bundle, data)
  assert.ok(hasShap(bundle.model))
  const margins = bundle.model.margins(matrixFor(scored.frame, scored.rows))
  const classes = ['down', 'flat', 'up']
  for (let i = 1; i < rows.length; i += 97) {
    const row = rows[i]
    assert.equal(row[0], predictions[i][0], 'the same bar')
    const pk = [1, 2, 3].map((k) => Number(predictions[i][k]))
    const predicted = pk.indexOf(Math.max(...pk))
    assert.equal(row[1], classes[predicted])
    const m = margins[(i - 1) * 3 + predicted]
    assert.ok(Math.abs(Number(row[2]) - m) <= 1e-6 * Math.max(1, Math.abs(m)), `row ${i}: margin ${row[2]} vs ${m}`)
    const shap = [6, 9, 12].map((c) => Math.abs(Number(row[c])))
    assert.ok(shap[0] >= shap[1] && shap[1] >= shap[2], 'features ordered by |SHAP|')
    const feature = row[4]
    const j = scored.frame.names.indexOf(feature)
    assert.ok(j >= 0, feature)
    assert.equal(Number(row[5]), scored.frame.columns[j][scored.rows[i - 1]])
  }
  // Permutation on the same bundle: one table, every feature once.
  const q = mlf('predict', '--bundle', run.bundleDir, '--data', data, '--out', preds, '--explain', 'permutation')
  assert.equal(q.status, 0, q.stderr)
  const imp = csvRows(join(preds, '..', 'preds.importance.csv'))
  assert.deepEqual(imp[0], ['feature', 'log_loss_increase'])
  assert.deepEqual(
    imp
      .slice(1)
      .map((x) => x[0])
      .sort(),
    [...scored.frame.names].sort(),
  )
  // Bad options are refused before anything is read.
  const bad = mlf('predict', '--bundle', run.bundleDir, '--data', data, '--out', preds, '--explain', 'lime')
  assert.notEqual(bad.status, 0)
  assert.match(bad.stderr, /--explain lime: expected one of shap, permutation/)
  const top = mlf('predict', '--bundle', run.bundleDir, '--data', data, '--out', preds, '--explain', '--top', '0')
  assert.match(top.stderr, /--top 0: expected a whole number/)
})

test('a voting run: importance per member named, permutation for logistic on validation rows, weights per window; predict refuses SHAP', async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  const config = smallConfig({
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 } },
      { name: 'logistic' },
    ],
    ensemble: { kind: 'voting', weights: 'val_accuracy' },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: out })
  const record = stored(out, run.runId)
  // Determinism: the same data, config and seed give the same importance, SHAP and permutation alike.
  const again = await runPipeline({ config, dataFile: data, outDir: out })
  assert.deepEqual(stored(out, again.runId).importance, record.importance)
  // Leakage: with the test window's bars mirrored, what was measured on training and validation rows is unchanged
  // (gain, permutation on validation rows, the weights); SHAP explains the test rows' predictions, so it may move.
  const poisoned = await runPipeline({
    config,
    dataFile: poisonedFrom(data, record.testPeriod!.start),
    outDir: out,
  })
  const moved = stored(out, poisoned.runId)
  for (const k of [0, 2]) assert.deepEqual(moved.importance![k], record.importance![k])
  assert.deepEqual(moved.ensembleWeightsByWindow, record.ensembleWeightsByWindow)
  assert.deepEqual(
    record.importance!.map((r) => [r.model, r.role, r.method]),
    [
      ['xgboost', 'member 1 of voting', 'gain'],
      ['xgboost', 'member 1 of voting', 'shap'],
      ['logistic', 'member 2 of voting', 'permutation'],
    ],
  )
  assert.ok(record.importance![2].rows! > 0 && record.importance![2].rows! <= run.summary.samples.val)
  const w = record.ensembleWeightsByWindow!
  assert.deepEqual(w.members, ['xgboost', 'logistic'])
  assert.equal(w.windows.length, 1)
  const shares = Object.values(run.summary.ensemble_weights!)
  const total = shares.reduce((a, b) => a + b, 0)
  assert.deepEqual(
    w.windows[0].weights,
    shares.map((x) => x / total),
  )
  const html = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  assert.ok(html.includes('<section id="weights"><h2>Ensemble weights</h2>'))
  assert.ok(html.includes('<code>logistic</code> (member 2 of voting): permutation</h3>'))

  const preds = join(tempDir(), 'preds.csv')
  const r = mlf('predict', '--bundle', run.bundleDir, '--data', data, '--out', preds, '--explain')
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /has no SHAP values .*use --explain permutation/)
  assert.ok(!existsSync(preds), 'nothing written')
})

test('a stacking run: each member’s share of the meta-learner, measured on validation rows, per window', async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  const config = smallConfig({
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3, learning_rate: 0.2 } },
      { name: 'logistic', config: { C: 0.1, max_iter: 100 } },
    ],
    ensemble: { method: 'stacking', meta_learner: 'ridge', oof: { n_folds: 3, purge_bars: 30 }, guard: 'report' },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: out })
  const w = stored(out, run.runId).ensembleWeightsByWindow!
  assert.equal(w.combiner, 'stacking')
  assert.deepEqual(w.members, ['xgboost', 'logistic'])
  assert.match(w.meaning, /shuffled among the window’s validation rows/)
  const shares = w.windows[0].weights
  assert.ok(shares.every((x) => x >= 0 && x <= 1))
  assert.ok(Math.abs(shares[0] + shares[1] - 1) < 1e-12, `${shares}`)
  const html = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  assert.ok(html.includes('<section id="weights"><h2>Ensemble weights</h2><p>Combiner <code>stacking</code>'))
})
