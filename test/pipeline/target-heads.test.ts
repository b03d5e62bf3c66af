/**
 * The multi-head targets through mlf run (config/targets.ts, stages/target-heads.ts): tradeable, direction given
 * tradeable, strength and reach at every horizon of labels.targets.horizons, one fit per target. Each target's column
 * reaches predictions and the bundle, `mlf predict` reproduces them, the label spans widen to the longest horizon so
 * that no training or validation target reaches into the test window (poisoning it changes no fitted model), and the
 * config refuses what the run would not honour.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load.js'
import { ingestFile } from '../../src/data/ingest.js'
import { multiHeadTargets } from '../../src/labels/targets.js'
import { volatility } from '../../src/labels/volatility.js'
import { barLabels } from '../../src/pipeline/dataset.js'
import { runConfigProblems } from '../../src/pipeline/problems.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, poisonedFrom, sampleSlice, smallConfig } from './fixture.js'

const data = sampleSlice(12_000)

const config = (horizons = [15, 45]) =>
  smallConfig({
    base_models: [
      {
        name: 'xgboost',
        config: { n_estimators: 20, max_depth: 3, early_stopping_rounds: 5 },
        outputs: ['p', 'tradeable', 'direction', 'strength', 'reach'],
      },
      { name: 'logistic', outputs: ['tradeable'] },
    ],
    labels: {
      tripleBarrier: { maxHolding: 30, costBps: 5 },
      targets: { horizons, tradeableReturn: 0.003, reachThresholds: [0.002] },
    },
  })

const COLUMNS = [
  'tradeable_h15',
  'tradeable_h45',
  'direction_h15',
  'direction_h45',
  'strength_h15',
  'strength_h45',
  'reach_up_20bp_h15',
  'reach_down_20bp_h15',
  'reach_either_20bp_h15',
  'reach_up_20bp_h45',
  'reach_down_20bp_h45',
  'reach_either_20bp_h45',
]

let shared: ReturnType<typeof runPipeline> | undefined
const run = () => (shared ??= data.then((file) => runPipeline({ config: config(), dataFile: file, outDir: tempDir() })))

test('every target gets a column, metrics on the rows where it is defined, and mlf predict reproduces them', async () => {
  const r = await run()
  const s = r.summary
  assert.deepEqual(
    s.heads.map((h) => h.head),
    COLUMNS,
  )
  const byHead = new Map(s.heads.map((h) => [h.head, h]))
  assert.equal(byHead.get('tradeable_h15')!.model, 'xgboost + logistic')
  assert.equal(byHead.get('reach_up_20bp_h45')!.model, 'xgboost')
  for (const h of s.heads)
    for (const [k, v] of Object.entries(h.metrics.test)) assert.ok(Number.isFinite(v), `${h.head} ${k}`)
  // Direction is defined only where the move was tradeable (and its first touch known): fewer rows than the rest.
  const tradeable = byHead.get('tradeable_h45')!.metrics.test.rows
  const direction = byHead.get('direction_h45')!.metrics.test.rows
  assert.equal(tradeable, s.samples.test)
  assert.ok(direction > 50 && direction < tradeable, `${direction} direction rows of ${tradeable}`)
  assert.ok('auc' in byHead.get('direction_h15')!.metrics.test && 'ic' in byHead.get('strength_h15')!.metrics.test)

  const lines = readFileSync(join(r.runDir, 'predictions', 'test.csv'), 'utf8')
    .trim()
    .split('\n')
  const header = lines[0].split(',')
  assert.deepEqual(header.slice(-COLUMNS.length), COLUMNS)
  for (const line of lines.slice(1, 400)) {
    const v = line.split(',').slice(-COLUMNS.length).map(Number)
    COLUMNS.forEach((c, i) => {
      assert.ok(Number.isFinite(v[i]), `${c}: ${v[i]}`)
      if (!c.startsWith('strength')) assert.ok(v[i] >= 0 && v[i] <= 1, `${c}: ${v[i]}`)
    })
  }
  const manifest = JSON.parse(readFileSync(join(r.bundleDir, 'manifest.json'), 'utf8'))
  assert.deepEqual(manifest.signature.outputs.slice(-COLUMNS.length), COLUMNS)
  assert.equal(manifest.models.filter((m: { role: string }) => m.role === 'target:tradeable_h15').length, 2)
  assert.equal(await assertBundleReproducesRun(r, await data), lines.length - 1)
})

test('label spans reach the longest target horizon, and the targets are those of labels/targets.ts', async () => {
  const { bars } = await ingestFile(await data)
  const c = config()
  const l = barLabels(bars, c)
  const n = bars.length
  let samples = 0
  for (let t = 0; t < n; t++) {
    if (l.spanEnd[t] < 0) continue
    samples++
    assert.ok(t + 45 < n && l.spanEnd[t] >= t + 45, `row ${t} ends at ${l.spanEnd[t]}`)
    assert.equal(l.spanEnd[t], Math.max(l.labels.t1Index[t], t + 45))
  }
  assert.ok(samples > 10_000)
  const vol = volatility(bars, c.labels.volatility.estimator, c.labels.volatility.window)
  const want = multiHeadTargets(bars, vol, { horizon: 15, tradeableReturn: 0.003, reachThresholds: [0.002] })
  assert.deepEqual(l.multiHead!.get(15), want)
})

test('no training or validation target reaches into the test window: poisoning it leaves every target model unchanged', async () => {
  const clean = await run()
  const file = await data
  const firstTest = readFileSync(join(clean.runDir, 'predictions', 'test.csv'), 'utf8')
    .split('\n')[1]
    .split(',')[0]
  const poisoned = await runPipeline({ config: config(), dataFile: poisonedFrom(file, firstTest), outDir: tempDir() })
  const files = (run: { bundleDir: string }) => {
    const root = join(run.bundleDir, 'targets')
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name))
      .sort()
      .map((f) => [f.slice(run.bundleDir.length), readFileSync(f, 'utf8')])
  }
  const a = files(clean)
  assert.ok(a.length >= 2 * COLUMNS.length, `${a.length} files`)
  assert.deepEqual(files(poisoned), a)
  assert.notEqual(
    readFileSync(join(poisoned.runDir, 'predictions', 'test.csv'), 'utf8'),
    readFileSync(join(clean.runDir, 'predictions', 'test.csv'), 'utf8'),
  )
})

test('a run with target heads is deterministic to the bundle checksum', async () => {
  const file = await data
  const a = await runPipeline({ config: config([20]), dataFile: file, outDir: tempDir() })
  const b = await runPipeline({ config: config([20]), dataFile: file, outDir: tempDir() })
  assert.equal(a.bundleChecksum, b.bundleChecksum)
})

test('the config refuses target heads a model cannot train, and labels.targets keys the run would not honour', () => {
  assert.throws(
    () => resolveConfig({ base_models: [{ name: 'xgboost' }, { name: 'ridge', outputs: ['tradeable'] }] }),
    /model "ridge" cannot produce tradeable \(a binary task\)/,
  )
  assert.throws(
    () =>
      resolveConfig({
        base_models: [
          { name: 'xgboost' },
          { name: 'chronos_bolt', config: { path: 'x.onnx', horizon: 8 }, outputs: ['strength'] },
        ],
      }),
    /chronos_bolt" is zero-shot \(never fitted\): the multi-head targets \(strength\) need a model trained on them/,
  )
  assert.throws(
    () => resolveConfig({ base_models: [{ name: 'xgboost', outputs: ['reach_up'] }] }),
    /did you mean "reach"/,
  )
  const problems = (labels: Record<string, unknown>, outputs = ['p']) =>
    runConfigProblems(resolveConfig({ base_models: [{ name: 'xgboost', outputs }], labels })).join('\n')
  assert.match(
    problems({ targets: { horizons: [30] } }),
    /labels\.targets\.horizons: applies to the multi-head targets/,
  )
  assert.match(
    problems({ targets: { quantiles: [0.1, 0.9] } }),
    /labels\.targets\.quantiles: the quantile head is q05, q50 and q95/,
  )
  assert.match(
    problems({ targets: { bracketEdges: [0] } }),
    /labels\.targets\.bracketEdges: mlf run trains no bracket outcomes/,
  )
  assert.match(
    problems({ targets: { horizons: [30, 30] } }, ['p', 'reach']),
    /labels\.targets\.horizons: 30 is listed twice/,
  )
  assert.equal(problems({ targets: { horizons: [30] } }, ['p', 'tradeable']), '')
})
