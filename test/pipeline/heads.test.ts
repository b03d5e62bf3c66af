/**
 * Output heads beside p (config/heads.ts): E_r and the q05/q50/q95 band trained from YAML on the forward return at
 * the triple barrier's horizon, with their conformal post-processors (split, cqr), saved in the bundle and reproduced
 * by scoring through it; incompatible heads and methods refused at load, before any work.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { resolveConfig } from '../../src/config/load.js'
import { baseInterval, originMs } from '../../src/config/schema.js'
import { computeFeatures } from '../../src/features/frame.js'
import { loadBundle, scoreWithBundle } from '../../src/pipeline/bundle.js'
import { viewOptions } from '../../src/pipeline/predict.js'
import { predictHead } from '../../src/pipeline/stages/heads.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, sampleSlice, smallConfig } from './fixture.js'

const XGB = { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 }

test('heads a model cannot produce, or that mlf run does not train, are refused at load naming the model', () => {
  const fails = (over: Record<string, unknown>, why: RegExp) => assert.throws(() => resolveConfig(over), why)
  fails(
    { base_models: [{ name: 'ridge' }] },
    /base_models\.0\.outputs: model "ridge" cannot produce p \(a multiclass task\); it supports regression/,
  )
  fails(
    { base_models: [{ name: 'xgboost' }, { name: 'xgboost', outputs: ['q05', 'q50', 'q95'] }] },
    /model "xgboost" cannot produce q05\/q50\/q95/,
  )
  fails(
    { base_models: [{ name: 'xgboost' }, { name: 'quantile_rnn', outputs: ['q05', 'q95'] }] },
    /q05, q95: the quantile head is q05, q50 and q95 together/,
  )
  fails(
    { base_models: [{ name: 'xgboost', outputs: ['p', 'regime_score'] }] },
    /head "regime_score" is not trained by mlf run yet/,
  )
  fails(
    { base_models: [{ name: 'xgboost' }, { name: 'ridge', outputs: ['p_up'] }] },
    /model "ridge" cannot produce p_up \(a binary task\)/,
  )
  fails(
    { base_models: [{ name: 'xgboost', outputs: ['p', 'Er'] }] },
    /unknown head "Er"; did you mean "E_r"\? mlf run trains p, p_up, E_r, q05\/q50\/q95 and tradeable, direction, strength, reach/,
  )
  fails({ base_models: [{ name: 'ridge', outputs: ['E_r'] }] }, /no base model has outputs \[p\]/)
  fails({ inference: { uncertainty: { method: 'split' } } }, /split acts on the E_r head, which no base model outputs/)
  fails(
    {
      base_models: [{ name: 'xgboost' }, { name: 'ridge', outputs: ['E_r'] }],
      inference: { fit_on: 'oof', uncertainty: [{ method: 'split' }] },
    },
    /fit_on: oof applies to the p head's post-processors; split on E_r is fitted on validation/,
  )
  fails(
    { inference: { uncertainty: [{ method: 'aps' }, { method: 'lac' }] } },
    /two uncertainty methods act on class_probabilities: aps, lac/,
  )
  fails({ inference: { uncertainty: { method: 'enbpi' } } }, /enbpi acts on the E_r head, which no base model outputs/)
  fails(
    {
      base_models: [{ name: 'xgboost' }, { name: 'ridge', outputs: ['E_r'] }],
      inference: { fit_on: 'oof', uncertainty: [{ method: 'cv_plus' }] },
    },
    /cv_plus on E_r is fitted on its own resamples of the training window/,
  )
  fails(
    {
      base_models: [{ name: 'xgboost' }, { name: 'ridge', outputs: ['E_r'] }],
      inference: { uncertainty: { method: 'cv_plus', n_fold: 3 } },
    },
    /cv_plus: .*n_fold/,
  )
  // Resolved outputs are canonical and parse again (a bundle's config.json is parsed on load).
  const ok = resolveConfig({ base_models: [{ name: 'xgboost', outputs: ['E_r', 'p'] }] })
  assert.deepEqual(ok.base_models[0].outputs, ['p', 'E_r'])
  assert.deepEqual(resolveConfig(JSON.parse(JSON.stringify({ base_models: ok.base_models }))).base_models[0].outputs, [
    'p',
    'E_r',
  ])
})

test('E_r (two members, averaged) and q05/q50/q95 heads from YAML: per-head metrics, split and cqr intervals, bundle and predict reproduce every column', async () => {
  const data = await sampleSlice(30_000)
  const config = smallConfig({
    base_models: [
      { name: 'xgboost', config: XGB, outputs: ['p', 'E_r'] },
      { name: 'ridge', outputs: ['E_r'] },
      { name: 'logistic', outputs: ['p_up'] },
      { name: 'quantile_rnn', config: { hidden: 16, epochs: 2, lr: 1e-2 }, outputs: ['q05', 'q50', 'q95'] },
    ],
    inference: { calibrate: ['temperature'], uncertainty: [{ method: 'split', coverage: 0.8 }, { method: 'cqr' }] },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const heads = run.summary.heads
  assert.deepEqual(
    heads.map((h) => [h.head, h.model, h.postProcessors]),
    [
      ['p_up', 'logistic', []],
      ['E_r', 'xgboost + ridge', ['split']],
      ['q05/q50/q95', 'quantile_rnn', ['cqr']],
    ],
  )
  const [up, er, band] = heads
  // The binary head: up against the rest, scored as probabilities.
  for (const k of ['log_loss', 'brier', 'auc', 'ece']) assert.ok(Number.isFinite(up.metrics.test[k]), k)
  assert.ok(up.metrics.test.auc > 0.3 && up.metrics.test.auc < 0.7 && up.metrics.test.log_loss < 1)
  assert.equal(er.metrics.test.rows, run.summary.samples.test)
  for (const k of ['mae', 'ic', 'hit_rate', 'coverage', 'width']) assert.ok(Number.isFinite(er.metrics.test[k]), k)
  assert.ok(er.metrics.test.mae > 0 && Math.abs(er.metrics.test.ic) < 1)
  // The split interval is fitted on validation residuals and holds 0.8 of them; test rows are another stretch of
  // market (calmer or wilder), so only roughly that on test, and it is far wider than the raw point forecast's 0.
  assert.ok(
    er.metrics.test.coverage > 0.7 && er.metrics.test.coverage < 0.95,
    `E_r interval coverage ${er.metrics.test.coverage}`,
  )
  assert.equal(er.metrics.test_raw.coverage, undefined)
  assert.ok(Math.abs(er.metrics.val.coverage - 0.8) < 0.01, `validation coverage ${er.metrics.val.coverage}`)
  assert.ok(Math.abs(band.metrics.test.coverage - 0.9) < 0.1, `band coverage ${band.metrics.test.coverage}`)
  assert.ok(band.metrics.test.width > 0)
  // The return heads' horizon lengthens every sample's label span: purging covers it.
  assert.ok(run.summary.samples.purged > 0)

  const header = readFileSync(join(run.runDir, 'predictions', 'test.csv'), 'utf8').split('\n')[0]
  assert.equal(header, 'ts_utc,p_down,p_flat,p_up,signal,p_up_binary,E_r,q_lo,q_hi,q05,q50,q95')
  const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
  assert.deepEqual(
    bundle.manifest.models.map((m) => [m.role, m.name, m.dir]),
    [
      ['final', 'xgboost', 'model'],
      ['head:p_up', 'logistic', 'heads/p_up/members/0/model'],
      ['head:E_r', 'xgboost', 'heads/E_r/members/0/model'],
      ['head:E_r', 'ridge', 'heads/E_r/members/1/model'],
      ['head:quantiles', 'quantile_rnn', 'heads/quantiles/members/0/model'],
    ],
  )
  assert.deepEqual(
    bundle.manifest.chain.map((l) => [l.role, l.name, 'head' in l ? l.head : null]),
    [
      ['member', 'xgboost', 'class_probabilities'],
      ['post_processor', 'temperature', null],
      ['policy', 'threshold', null],
      ['member', 'logistic', 'p_up'],
      ['member', 'xgboost', 'E_r'],
      ['member', 'ridge', 'E_r'],
      ['post_processor', 'split', 'E_r'],
      ['member', 'quantile_rnn', 'quantiles'],
      ['post_processor', 'cqr', 'quantiles'],
    ],
  )
  assert.deepEqual(bundle.manifest.signature.outputs, [
    'p_down',
    'p_flat',
    'p_up',
    'signal',
    'p_up_binary',
    'E_r',
    'q_lo',
    'q_hi',
    'q05',
    'q50',
    'q95',
  ])
  assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
  // Two members on E_r: the head is their mean, row by row.
  const { bars, rows, heads: scored } = await scoreWithBundle(bundle, data)
  const frame = computeFeatures(
    bars,
    bundle.config.features,
    undefined,
    originMs(bundle.config),
    baseInterval(bundle.config),
  )
  const tail = rows.length - 50
  const some = rows.subarray(tail)
  const each = bundle.heads[1].members.map(
    (m) => predictHead(m.model, 'E_r', undefined, frame, viewOptions(bundle.config), some).E_r!,
  )
  for (let i = 0; i < some.length; i++) assert.equal(scored!.E_r![tail + i], (each[0][i] + each[1][i]) / 2)
  const report = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  // A section per head, in the summary's order.
  assert.deepEqual(
    [...report.matchAll(/<section id="head-(\d+)"><h2>Head ([^<]+)<\/h2>/g)].map((m) => [m[1], m[2]]),
    heads.map((h, k) => [String(k + 1), h.head]),
  )
})
