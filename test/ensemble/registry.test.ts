import { test } from 'node:test'
import assert from 'node:assert/strict'
import { deriveSeed } from '../../src/core/seeds.js'
import { parseCombinerConfig } from '../../src/ensemble/registry.js'

test('the config of the issue validates, with defaults filled in', () => {
  const { entry, params } = parseCombinerConfig({
    method: 'stacking',
    meta_learner: 'ridge',
    oof: { n_folds: 5, purge_bars: 60, embargo_bars: 1440 },
    guard: 'fallback',
  })
  assert.equal(entry.name, 'stacking')
  assert.deepEqual(params, {
    method: 'stacking',
    meta_learner: 'ridge',
    meta_params: { alpha: 1, fit_intercept: true, standardize: true },
    oof: { n_folds: 5, purge_bars: 60, embargo_bars: 1440 },
    guard: 'fallback',
    regime_features: [],
  })
  const blending = parseCombinerConfig({ method: 'blending' }).params as Record<string, unknown>
  assert.deepEqual(blending.holdout, { fraction: 0.2, purge_bars: 0 })
  assert.equal(blending.meta_learner, 'logistic')
  assert.deepEqual(parseCombinerConfig({ method: 'voting', weights: [2, 1] }).params, {
    method: 'voting',
    weights: [2, 1],
  })
})

test('bad combiner params are refused, naming the field and why', () => {
  const bad: [unknown, RegExp][] = [
    [
      { method: 'stacking', meta_learner: 'knn' },
      /ensemble\.meta_learner: meta_learner must be one of ridge, elastic_net, logistic, xgboost, mlp \(got "knn"\)/,
    ],
    [
      { method: 'stacking', meta_learner: 'xgboost', meta_params: { max_depth: 6 } },
      /ensemble\.meta_params\.max_depth: a stacking meta-learner is shallow: max_depth <= 3/,
    ],
    [
      { method: 'stacking', meta_learner: 'xgboost', meta_params: { n_estimators: 500 } },
      /ensemble\.meta_params\.n_estimators: .*n_estimators <= 100/,
    ],
    [
      { method: 'stacking', meta_learner: 'ridge', meta_params: { alpha: 0.01 } },
      /ensemble\.meta_params\.alpha: a stacking meta-learner must be regularised: alpha >= 0.1/,
    ],
    [
      { method: 'stacking', meta_learner: 'elastic_net', meta_params: { alpha: 0.01 } },
      /ensemble\.meta_params\.alpha: .*alpha >= 0.1/,
    ],
    [{ method: 'stacking', meta_learner: 'logistic', meta_params: { C: 1000 } }, /ensemble\.meta_params\.C: .*C <= 10/],
    [
      { method: 'stacking', meta_learner: 'ridge', meta_params: { alhpa: 1 } },
      /ensemble\.meta_params: Unrecognized key: "alhpa"/,
    ],
    [{ method: 'stacking', oof: { n_folds: 1 } }, /ensemble\.oof\.n_folds: Too small/],
    [{ method: 'stacking', oof: { embargo_bars: -1 } }, /ensemble\.oof\.embargo_bars/],
    [{ method: 'stacking', guard: 'maybe' }, /ensemble\.guard/],
    [{ method: 'stacking', folds: 5 }, /ensemble: Unrecognized key: "folds"/],
    [{ method: 'blending', holdout: { fraction: 0.9 } }, /ensemble\.holdout\.fraction: Too big/],
    [{ method: 'blending', holdout: { embargo_bars: 10 } }, /ensemble\.holdout: Unrecognized key: "embargo_bars"/],
    [{ method: 'voting', weights: [1, -1] }, /ensemble\.weights\.1: Too small/],
    [{ method: 'bagging' }, /ensemble\.method: unknown combiner "bagging"; available: voting, stacking, blending/],
    [{}, /ensemble\.method: unknown combiner undefined/],
  ]
  for (const [config, message] of bad) assert.throws(() => parseCombinerConfig(config), message, JSON.stringify(config))
})

test('seeds are derived from (root, labels): stable, distinct per label, and 31-bit', () => {
  const s = deriveSeed(7, 'oof', 0, 'left')
  assert.equal(s, deriveSeed(7, 'oof', 0, 'left'))
  const others = [
    deriveSeed(8, 'oof', 0, 'left'),
    deriveSeed(7, 'oof', 1, 'left'),
    deriveSeed(7, 'oof', 0, 'right'),
    deriveSeed(7, 'refit', 0, 'left'),
    deriveSeed(7, 'oof', '0left'),
  ]
  assert.equal(new Set([s, ...others]).size, 6)
  for (const x of [s, ...others]) assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 31)
  assert.throws(() => deriveSeed(1.5, 'oof'), /root seed must be an integer/)
})
