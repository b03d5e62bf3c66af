/**
 * The verdict of a run: acceptance gates printed first with the test period, the sentence of a run without an edge,
 * the canary line; the same in the report (first), the bundle's manifest and the run store; a run with a single trade;
 * calibrators that make their check worse dropped (or kept) with the bundle reproducing the run either way.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { DEFAULT_PRESET, printSummary } from '../../src/cli/run.js'
import { loadConfig } from '../../src/config/load.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { runPipeline, type RunSummary } from '../../src/pipeline/run.js'
import { escapeHtml } from '../../src/tracking/html.js'
import { openRunStore } from '../../src/tracking/store.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, poisonedFrom, sampleSlice, smallConfig } from './fixture.js'

const XGB = { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 }
/** A longer test split than the default, so that the test period has enough days for a bootstrap interval. */
const SPLITS = { chronological: { train: 0.6, val: 0.15, test: 0.25 } }
const ROWS = 40_000

const summaryText = (s: RunSummary) => {
  let text = ''
  printSummary(s, (t) => (text += t))
  return text
}

/** Every line that shows a Sharpe ratio also shows its interval and trade count. */
function assertSharpeAlwaysQualified(text: string) {
  const lines = text.split('\n').filter((l) => /Sharpe/.test(l) && !/^ {2}policy |Sharpe \[interval\]/.test(l))
  assert.ok(lines.length > 0)
  for (const line of lines) {
    assert.match(line, /\[(-?\d+\.\d\d, -?\d+\.\d\d|no interval)\]/, line)
    assert.match(line, /\d+ trades?\b/, line)
  }
}

test("the sample's fast_baseline run prints its verdict first (FAIL, the failing gates, the canary line); the report, manifest and store carry it", async () => {
  const data = await sampleSlice(ROWS)
  const out = tempDir()
  // The preset on a slice, with a smaller XGBoost to keep the test short.
  const config = loadConfig(DEFAULT_PRESET, {
    threads: 1,
    base_models: [{ name: 'xgboost', config: XGB }],
    splits: SPLITS,
  })
  const run = await runPipeline({ config, dataFile: data, outDir: out })
  const s = run.summary
  const a = s.acceptance!
  assert.equal(a.verdict, 'FAIL')
  const failing = a.gates.filter((g) => !g.pass).map((g) => g.gate)
  assert.ok(failing.length > 0)
  assert.deepEqual(
    a.gates.map((g) => g.gate),
    ['ece', 'sharpe', 'max_drawdown', 'fee_share', 'trades'],
  )
  assert.ok(!('reason' in a.intervals), 'the test period is long enough for intervals')
  assert.equal(s.canary.beats_control, s.canary.test_auc > s.canary.control_auc!)
  assert.ok(s.canary.control_seconds! > 0)

  const text = summaryText(s)
  const lines = text.split('\n')
  const period = `${a.test_period.start.slice(0, 10)} to ${a.test_period.end.slice(0, 10)}`
  assert.equal(
    lines[1],
    `verdict FAIL on the test period ${period} (${a.test_period.days} days): ${failing.length} of 5 gates fail (${failing.join(', ')})`,
  )
  let at = 2
  if (a.no_edge) {
    assert.match(a.no_edge, /^No (demonstrated )?edge: /)
    assert.equal(lines[at++], a.no_edge)
  }
  for (const g of a.gates)
    assert.match(text, new RegExp(`\\n  ${g.gate} +\\S+ +${g.op} \\S+ +${g.pass ? 'PASS' : 'FAIL'}`))
  const canary = lines.find((l) => l.startsWith('canary: '))!
  assert.match(
    canary,
    new RegExp(
      `^canary: the model's test AUC ${s.canary.test_auc.toFixed(4)} ${s.canary.beats_control ? 'beats' : 'does not beat'} its shuffled-label control's ${s.canary.control_auc!.toFixed(4)}`,
    ),
  )
  assert.ok(lines.indexOf(canary) > at && text.indexOf(canary) < text.indexOf('models (val / test)'))
  assertSharpeAlwaysQualified(text)

  const report = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  const firstSection = report.indexOf('<section')
  assert.equal(report.indexOf('id="verdict"', firstSection), report.indexOf('id="', firstSection))
  const verdict = report.slice(firstSection, report.indexOf('</section>', firstSection))
  assert.match(verdict, /<strong>FAIL<\/strong> on the test period/)
  assert.ok(verdict.includes(a.test_period.start) && verdict.includes(a.test_period.end))
  if (a.no_edge) assert.ok(verdict.includes(escapeHtml(a.no_edge)))
  assert.ok(verdict.includes(escapeHtml("shuffled-label control's")))
  for (const g of failing) assert.ok(verdict.includes(`<td>${g}</td>`), g)

  const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
  assert.deepEqual(bundle.manifest.acceptance, {
    verdict: 'FAIL',
    test_period: { start: a.test_period.start, end: a.test_period.end },
    gates: a.gates.map(({ gate, value, threshold, op, pass }) => ({ gate, value, threshold, op, pass })),
  })
  const store = openRunStore(join(out, 'mlf.sqlite'))
  try {
    assert.equal(store.db.prepare('SELECT verdict FROM runs WHERE run_id = ?').pluck().get(run.runId), 'FAIL')
    assert.deepEqual(store.get(run.runId)?.acceptance?.gates, a.gates)
  } finally {
    store.close()
  }
})

test('a run with a single trade shows its Sharpe ratio only with the trade count and interval, and fails the minimum-trades gate', async () => {
  const data = await sampleSlice(ROWS)
  const over = { base_models: [{ name: 'xgboost', config: XGB }], splits: SPLITS, control: { canary: false } }
  const first = await runPipeline({ config: smallConfig(over), dataFile: data, outDir: tempDir() })
  // The threshold that only the most confident long row of the test split clears (shorts disabled).
  const csv = readFileSync(join(first.runDir, 'predictions', 'test.csv'), 'utf8')
    .trim()
    .split('\n')
  const header = csv[0].split(',')
  const [down, up] = [header.indexOf('p_down'), header.indexOf('p_up')]
  const ups = csv
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => Number(c[up]) > Number(c[down]))
    .map((c) => Number(c[up]))
  const long = Math.max(...ups)
  const run = await runPipeline({
    config: smallConfig({ ...over, policy: { long, short: 1 } }),
    dataFile: data,
    outDir: tempDir(),
  })
  const s = run.summary
  assert.equal(s.backtest.trades, 1)
  const trades = s.acceptance!.gates.find((g) => g.gate === 'trades')!
  assert.deepEqual([trades.value, trades.threshold, trades.pass], [1, 30, false])
  assert.equal(s.acceptance!.verdict, 'FAIL')
  const text = summaryText(s)
  assertSharpeAlwaysQualified(text)
  assert.match(text, /Sharpe -?\d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\] \(1 trade\)/)
  assert.match(text, /from 1 trade\n/)
  assert.match(text, /\n {2}trades +1 +>= 30 +FAIL/)
})

test('a calibrator that makes its cross-fitted validation ECE worse is dropped by default (never judged on test rows), kept on request; the bundle reproduces the run either way', async () => {
  const data = await sampleSlice(30_000)
  assert.equal(smallConfig().inference.drop_worsening, false, 'the fixture keeps calibrators')
  assert.equal(loadConfig(DEFAULT_PRESET).inference.drop_worsening, true, 'dropping them is the default')
  // On this slice temperature scaling lowers the log-loss out of fold but raises the top-label ECE.
  const dropped = await runPipeline({
    config: smallConfig({ control: { canary: false }, inference: { drop_worsening: true } }),
    dataFile: data,
    outDir: tempDir(),
  })
  const [check] = dropped.summary.post_processor_checks
  assert.equal(check.name, 'temperature')
  assert.ok(check.after.ece > check.before.ece, `ECE ${check.before.ece} -> ${check.after.ece}`)
  assert.deepEqual([check.worse, check.dropped], [true, true])
  const bundle = await loadBundle(dropped.bundleDir)
  assert.equal(bundle.postProcessors.length, 0)
  assert.ok(!bundle.manifest.chain.some((l) => l.role === 'post_processor'))
  assert.match(
    summaryText(dropped.summary),
    /temperature made its cross-fitted validation metrics worse .*: dropped from the chain/,
  )
  assert.ok((await assertBundleReproducesRun(dropped, data)) > 1000)
  // The check never sees test rows: poisoning every test bar and label leaves it, and the choice, the same.
  const firstTest = readFileSync(join(dropped.runDir, 'predictions', 'test.csv'), 'utf8')
    .split('\n')[1]
    .split(',')[0]
  const poisoned = await runPipeline({
    config: smallConfig({ control: { canary: false }, inference: { drop_worsening: true } }),
    dataFile: poisonedFrom(data, firstTest),
    outDir: tempDir(),
  })
  assert.notDeepEqual(poisoned.summary.labels, dropped.summary.labels, 'the poison reached the test labels')
  assert.deepEqual(poisoned.summary.post_processor_checks, dropped.summary.post_processor_checks)

  const kept = await runPipeline({
    config: smallConfig({ control: { canary: false }, inference: { drop_worsening: false } }),
    dataFile: data,
    outDir: tempDir(),
  })
  assert.deepEqual(kept.summary.post_processor_checks, [{ ...check, dropped: false }])
  const keptBundle = await loadBundle(kept.bundleDir)
  assert.deepEqual(
    keptBundle.postProcessors.map((p) => p.name),
    ['temperature'],
  )
  assert.match(summaryText(kept.summary), /kept \(inference\.drop_worsening: false\)/)
  assert.ok((await assertBundleReproducesRun(kept, data)) > 1000)
  // Dropping changes the probabilities: the two runs differ only by the calibrator.
  assert.notDeepEqual(kept.summary.models, dropped.summary.models)
})
