/**
 * evaluation.compare through mlf run: every base model alone on each of its heads in one table (summary.json and the
 * report), the p models traded alone with the run's calibrators and policy; the chain and its bundle as without it.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load.js'
import { runPipeline, type RunSummary } from '../../src/pipeline/run.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, poisonedFrom, sampleSlice, smallConfig } from './fixture.js'

const ROWS = 8_000

/** Three p models (tabular, linear, recurrent) in a vote, and one or two models on each other head and a target. */
const BASE_MODELS = [
  { name: 'xgboost', config: { n_estimators: 20, max_depth: 3 } },
  { name: 'logistic', outputs: ['p', 'tradeable'] },
  { name: 'lstm', config: { hidden: 16, epochs: 1, batchSize: 128 } },
  { name: 'gaussian_nb', outputs: ['p_up', 'tradeable'] },
  { name: 'ridge', outputs: ['E_r'] },
  { name: 'elastic_net', outputs: ['E_r'] },
  { name: 'quantile_rnn', config: { hidden: 16, epochs: 1, batchSize: 128 }, outputs: ['q05', 'q50', 'q95'] },
]

const compareConfig = (over: Record<string, unknown> = {}) =>
  smallConfig({
    views: { window_steps: 16 },
    base_models: BASE_MODELS,
    labels: { tripleBarrier: { maxHolding: 30, costBps: 5 }, targets: { horizons: [30], tradeableReturn: 0.003 } },
    ensemble: { kind: 'voting', weights: 'val_accuracy' },
    inference: { calibrate: ['temperature'], uncertainty: [{ method: 'split' }, { method: 'cqr' }] },
    evaluation: { compare: true },
    ...over,
  })

const data = sampleSlice(ROWS)
let first: ReturnType<typeof runPipeline> | undefined
const run = () =>
  (first ??= data.then((file) => runPipeline({ config: compareConfig(), dataFile: file, outDir: tempDir() })))

type Row = NonNullable<RunSummary['comparison']>[number]
const rowOf = (s: RunSummary, model: string, head: string, kind: Row['kind'] = 'alone') =>
  s.comparison!.find((c) => c.model === model && c.head === head && c.kind === kind)!
/** What the comparison shows of a backtest: the Sharpe ratio's interval bounds too, when the test period has one. */
const headline = (bt: Record<string, number>) =>
  Object.fromEntries(
    ['total_return', 'sharpe', 'sharpe_lo', 'sharpe_hi', 'win_rate', 'max_drawdown', 'trades']
      .filter((k) => k in bt)
      .map((k) => [k, bt[k]]),
  )

test('compare: one row per model and head with finite metrics, p models backtested alone, chain rows for combined heads; the bundle reproduces the run', async () => {
  const result = await run()
  const s = result.summary
  const alone = s.comparison!.filter((c) => c.kind === 'alone')
  assert.deepEqual(
    alone.map((c) => [c.model, c.index, c.head]),
    [
      ['xgboost', 0, 'p'],
      ['logistic', 1, 'p'],
      ['lstm', 2, 'p'],
      ['gaussian_nb', 3, 'p_up'],
      ['ridge', 4, 'E_r'],
      ['elastic_net', 5, 'E_r'],
      ['quantile_rnn', 6, 'q05/q50/q95'],
      ['logistic', 1, 'tradeable_h30'],
      ['gaussian_nb', 3, 'tradeable_h30'],
    ],
  )
  for (const c of alone) {
    for (const split of ['val', 'test'] as const)
      for (const [k, v] of Object.entries(c.metrics[split]))
        assert.ok(Number.isFinite(v), `${c.model} ${c.head} ${split} ${k}: ${v}`)
    // A target is scored where it is defined; every other head on every row.
    const target = c.head.startsWith('tradeable')
    assert.ok(c.metrics.test.rows > 500 && c.metrics.test.rows <= s.samples.test, `${c.model} ${c.head}`)
    if (!target) assert.equal(c.metrics.test.rows, s.samples.test, c.model)
    if (!target) assert.equal(c.metrics.val.rows, s.samples.val, c.model)
    assert.ok(c.fit_seconds! > 0 && Number.isFinite(c.fit_seconds), `${c.model} fit ${c.fit_seconds}`)
    assert.ok(c.infer_us_per_row! > 0 && Number.isFinite(c.infer_us_per_row), `${c.model} ${c.infer_us_per_row}`)
    if (c.head === 'p') {
      assert.deepEqual(c.post_processors, ['temperature'])
      for (const [k, v] of Object.entries(c.backtest!)) assert.ok(Number.isFinite(v), `${c.model} ${k}: ${v}`)
      assert.ok(Number.isInteger(c.backtest!.trades) && c.backtest!.trades >= 0)
      assert.ok(c.backtest!.win_rate >= 0 && c.backtest!.win_rate <= 1 && c.backtest!.max_drawdown <= 0)
      for (const k of ['log_loss', 'auc_up', 'auc_dir', 'ece', 'accuracy']) assert.ok(k in c.metrics.test, k)
    } else assert.equal(c.backtest, null)
  }
  // The p models differ: each row is its own model's, not the chain's copied.
  assert.equal(new Set(alone.filter((c) => c.head === 'p').map((c) => c.metrics.test.log_loss)).size, 3)

  // A head of one member without post-processors is that member: its row is the head's own record.
  const head = (name: string) => s.heads.find((h) => h.head === name)!
  assert.deepEqual(rowOf(s, 'gaussian_nb', 'p_up').metrics.test, head('p_up').metrics.test)
  // A member alone is scored before the head's uncertainty method: the band's raw metrics.
  assert.deepEqual(rowOf(s, 'quantile_rnn', 'q05/q50/q95').metrics.test, head('q05/q50/q95').metrics.test_raw)

  // Chain rows: the vote (traded by the run: its backtest is the run's), the averaged E_r with its interval, the
  // conformalized band, the averaged target; p_up is one member alone, so it has none.
  const chain = s.comparison!.filter((c) => c.kind === 'chain')
  assert.deepEqual(
    chain.map((c) => [c.model, c.head, c.post_processors]),
    [
      ['voting', 'p', ['temperature']],
      ['ridge + elastic_net', 'E_r', ['split']],
      ['quantile_rnn', 'q05/q50/q95', ['cqr']],
      ['logistic + gaussian_nb', 'tradeable_h30', []],
    ],
  )
  assert.deepEqual(
    rowOf(s, 'logistic + gaussian_nb', 'tradeable_h30', 'chain').metrics.test,
    head('tradeable_h30').metrics.test,
  )
  assert.deepEqual(rowOf(s, 'voting', 'p', 'chain').backtest, headline(s.backtest))
  assert.deepEqual(rowOf(s, 'ridge + elastic_net', 'E_r', 'chain').metrics.test, head('E_r').metrics.test)
  for (const c of chain) assert.equal(c.fit_seconds, null)

  // One table in the report, a row per model and head.
  const report = readFileSync(join(result.runDir, 'report.html'), 'utf8')
  const section = /<section id="comparison">.*?<\/section>/s.exec(report)?.[0] ?? ''
  assert.equal(section.match(/<tr>/g)?.length, 1 + s.comparison!.length)
  for (const c of s.comparison!) assert.ok(section.includes(`<td>${c.model}</td>`), c.model)

  assert.ok((await assertBundleReproducesRun(result, await data)) > 500)
})

test('compare: two runs give the same bundle checksum and the same table (times aside)', async () => {
  const a = await run()
  const b = await runPipeline({ config: compareConfig(), dataFile: await data, outDir: tempDir() })
  assert.equal(b.bundleChecksum, a.bundleChecksum)
  const untimed = (s: RunSummary) => s.comparison!.map(({ fit_seconds: _f, infer_us_per_row: _i, ...rest }) => rest)
  assert.deepEqual(untimed(b.summary), untimed(a.summary))
})

test('compare: a p model alone is traded exactly as a run of that model alone (no ensemble) trades it', async () => {
  const voted = (await run()).summary
  const alone = await runPipeline({
    config: compareConfig({ ensemble: null, evaluation: { compare: false } }),
    dataFile: await data,
    outDir: tempDir(),
  })
  const s = alone.summary
  assert.equal(s.comparison, null)
  // Without an ensemble the chain is the first p model with the run's calibrators: xgboost + temperature.
  assert.deepEqual(headline(s.backtest), rowOf(voted, 'xgboost', 'p').backtest)
  const calibrated = s.models.find((m) => m.name === 'xgboost+temperature')!
  for (const [k, v] of Object.entries(calibrated.metrics.test))
    assert.equal(rowOf(voted, 'xgboost', 'p').metrics.test[k], v, k)
})

test('compare changes nothing else: the same run without it writes the same predictions and metrics', async () => {
  const a = await run()
  const b = await runPipeline({
    config: compareConfig({ evaluation: { compare: false } }),
    dataFile: await data,
    outDir: tempDir(),
  })
  const predictions = (r: typeof a) => readFileSync(join(r.runDir, 'predictions', 'test.csv'), 'utf8')
  assert.equal(predictions(b), predictions(a))
  assert.deepEqual(b.summary.models, a.summary.models)
  assert.deepEqual(b.summary.heads, a.summary.heads)
  assert.deepEqual(b.summary.backtest, a.summary.backtest)
})

test('compare never sees test rows: poisoning the test window leaves every validation score the same', async () => {
  const clean = await run()
  const firstTest = readFileSync(join(clean.runDir, 'predictions', 'test.csv'), 'utf8')
    .split('\n')[1]
    .split(',')[0]
  const poisoned = await runPipeline({
    config: compareConfig(),
    dataFile: poisonedFrom(await data, firstTest),
    outDir: tempDir(),
  })
  const table = (r: typeof clean) => r.summary.comparison!
  assert.deepEqual(poisoned.summary.samples, clean.summary.samples)
  assert.deepEqual(
    table(poisoned).map((c) => c.metrics.val),
    table(clean).map((c) => c.metrics.val),
  )
  // The poison reached every p row's test scores and trades.
  for (const [i, c] of table(clean).entries())
    if (c.head === 'p') {
      assert.notDeepEqual(table(poisoned)[i].metrics.test, c.metrics.test, c.model)
      assert.notDeepEqual(table(poisoned)[i].backtest, c.backtest, c.model)
    }
})

test('compare over walk-forward windows: each model is one stream over the windows, traded as the run trades it', async () => {
  const file = await sampleSlice(12 * 1440)
  const config = smallConfig({
    splits: { method: 'walk_forward' },
    evaluation: { walk_forward: { train: '3d', test: '1d', step: '1d', val: 0.2 }, compare: true },
    base_models: [
      { name: 'xgboost', config: { n_estimators: 20, max_depth: 3 } },
      { name: 'logistic' },
      { name: 'ridge', outputs: ['E_r'] },
    ],
  })
  const r = await runPipeline({ config, dataFile: file, outDir: tempDir() })
  const s = r.summary
  assert.ok(s.evaluation.windows.length > 1)
  assert.deepEqual(
    s.comparison!.map((c) => [c.model, c.head, c.kind]),
    [
      ['xgboost', 'p', 'alone'],
      ['logistic', 'p', 'alone'],
      ['ridge', 'E_r', 'alone'],
    ],
  )
  for (const c of s.comparison!) assert.equal(c.metrics.test.rows, s.samples.test)
  // The chain is xgboost with temperature scaling in every window: its stream's backtest is the run's.
  assert.deepEqual(rowOf(s, 'xgboost', 'p').backtest, headline(s.backtest))
  assert.deepEqual(rowOf(s, 'ridge', 'E_r').metrics.test, s.heads[0].metrics.test)
})

test('compare trades the p models with the primary policy, and none when that policy does not read p', async () => {
  const file = await data
  const config = (policy: unknown[]) =>
    smallConfig({
      base_models: [
        { name: 'xgboost', config: { n_estimators: 20, max_depth: 3 }, outputs: ['p', 'E_r'] },
        { name: 'logistic' },
      ],
      ensemble: { kind: 'voting' },
      inference: { calibrate: ['temperature'], uncertainty: [{ method: 'split', coverage: 0.8 }] },
      policy,
      evaluation: { compare: true },
    })
  const quantile = { kind: 'quantile', straddle: 'trade', fraction: 0.05 }
  const first = await runPipeline({
    config: config([quantile, { kind: 'threshold' }]),
    dataFile: file,
    outDir: tempDir(),
  })
  const p = (s: RunSummary) => s.comparison!.filter((c) => c.head === 'p' && c.kind === 'alone')
  assert.deepEqual(
    p(first.summary).map((c) => [c.model, c.backtest]),
    [
      ['xgboost', null],
      ['logistic', null],
    ],
  )
  // The chain row is the run's own, traded by the primary policy as the run traded it.
  assert.deepEqual(rowOf(first.summary, 'voting', 'p', 'chain').backtest, headline(first.summary.backtest))
  const second = await runPipeline({
    config: config([{ kind: 'threshold' }, quantile]),
    dataFile: file,
    outDir: tempDir(),
  })
  for (const c of p(second.summary)) assert.ok(c.backtest && Number.isFinite(c.backtest.sharpe), c.model)
  assert.notDeepEqual(p(second.summary)[0].backtest, p(second.summary)[1].backtest)
})

test('compare is refused at load with a combiner that fits its members in folds, and with calibrators fitted out of fold', () => {
  const base = { base_models: [{ name: 'xgboost' }, { name: 'logistic' }], evaluation: { compare: true } }
  assert.throws(
    () => resolveConfig({ ...base, ensemble: { method: 'stacking', meta_learner: 'ridge' } }),
    /evaluation\.compare: compare fits each base model alone, but ensemble\.method stacking fits its members inside its own folds/,
  )
  assert.throws(
    () => resolveConfig({ ...base, inference: { calibrate: ['temperature'], fit_on: 'oof' } }),
    /evaluation\.compare: compare fits each p model's calibrators on its own validation rows; inference\.fit_on: oof/,
  )
  // Voting and no ensemble are what it compares beside.
  assert.equal(resolveConfig({ ...base, ensemble: { kind: 'voting' } }).evaluation.compare, true)
  assert.throws(() => resolveConfig({ evaluation: { compare: 'yes' } }), /evaluation\.compare/)
})
