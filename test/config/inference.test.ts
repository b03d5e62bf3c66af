/**
 * The `inference` section: calibrators by name or with params (parsed by their registry entries, defaults filled in
 * and hashed), prediction sets under `uncertainty`, and what they are fitted on. Every key the run cannot honour is
 * refused at load, naming the step.
 */
import assert from 'node:assert/strict'
import test from 'node:test'
import { resolveConfig } from '../../src/config/load.js'
import { runConfigProblems as problemsOf } from '../../src/pipeline/problems.js'

const load = (inference: unknown, extra: Record<string, unknown> = {}) => resolveConfig({ inference, ...extra })

test('inference.calibrate: names and { name, params } resolve to the same shape, defaults filled in', () => {
  const c = load({ calibrate: ['isotonic', { name: 'beta', params: { l2: 0.5 } }, { name: 'temperature' }] })
  assert.deepEqual(
    c.inference.calibrate.map((s) => s.name),
    ['isotonic', 'beta', 'temperature'],
  )
  assert.equal(c.inference.calibrate[1].params.l2, 0.5)
  assert.deepEqual(c.inference.calibrate[2].params, {})
  assert.equal(c.inference.fit_on, 'validation')
  assert.deepEqual(c.inference.uncertainty, [])
  assert.ok(!('oof' in c.inference))
  // The default chain is temperature alone, and a name equals its object form in the hash.
  assert.deepEqual(resolveConfig({}).inference.calibrate, [{ name: 'temperature', params: {} }])
  assert.equal(load({ calibrate: ['platt'] }).hash, load({ calibrate: [{ name: 'platt', params: {} }] }).hash)
  assert.notEqual(load({ calibrate: ['beta'] }).hash, load({ calibrate: [{ name: 'beta', params: { l2: 0.5 } }] }).hash)
})

test('inference.calibrate: unknown names, wrong params and misplaced methods are refused, naming the step', () => {
  const fails = (inference: unknown, pattern: RegExp) => assert.throws(() => load(inference), pattern)
  fails(
    { calibrate: ['no_such'] },
    /inference\.calibrate\.0.*unknown post-processor "no_such"; available: temperature, platt, isotonic, beta, dirichlet/,
  )
  fails({ calibrate: [{ name: 'beta', params: { l3: 1 } }] }, /inference\.calibrate\.0\.params.*beta: .*l3/)
  fails({ calibrate: [{ name: 'beta', params: { l2: -1 } }] }, /inference\.calibrate\.0\.params\.l2.*beta:/)
  fails({ calibrate: [{ name: 'beta', parms: {} }] }, /inference\.calibrate\.0/)
  fails({ calibrate: ['aps'] }, /aps is an uncertainty method: set it in inference\.uncertainty/)
  fails({ calibrate: ['isotonic', 'isotonic'] }, /a calibrator appears twice/)
  fails({ uncertainty: { method: 'isotonic' } }, /inference\.uncertainty\.0\.method: isotonic is a calibrator/)
  fails(
    { uncertainty: { method: 'jackknife_plus', max_refits: 1 } },
    /inference\.uncertainty\.0\.max_refits: jackknife_plus:/,
  )
  fails({ uncertainty: { method: 'aps', coverage: 1.5 } }, /inference\.uncertainty\.0\.coverage: aps:/)
  fails({ uncertainty: { method: 'lac', lambda: 0.1 } }, /inference\.uncertainty.*lac: .*lambda/)
  fails({ oof: { n_folds: 3 } }, /inference\.oof applies with fit_on: oof/)
  fails({ fit_on: 'test' }, /inference\.fit_on/)
})

test('inference.uncertainty: the method and its params, defaults filled in; fit_on oof fills in its folds', () => {
  const c = load({ uncertainty: { method: 'raps', coverage: 0.8 }, fit_on: 'oof' })
  assert.deepEqual(c.inference.uncertainty, [
    {
      method: 'raps',
      coverage: 0.8,
      randomized: true,
      seed: 0,
      lambda: 0.01,
      k_reg: 1,
    },
  ])
  assert.deepEqual(c.inference.oof, { n_folds: 5, purge_bars: 0, embargo_bars: 0 })
  assert.deepEqual(load({ fit_on: 'oof', oof: { n_folds: 3 } }).inference.oof, {
    n_folds: 3,
    purge_bars: 0,
    embargo_bars: 0,
  })
})

test('inference.fit_on: oof with a stacking combiner is refused (its own out-of-fold outputs would need nested folds)', () => {
  const c = load(
    { fit_on: 'oof' },
    { base_models: [{ name: 'xgboost' }, { name: 'logistic' }], ensemble: { method: 'stacking' } },
  )
  assert.match(problemsOf(c).join('\n'), /inference\.fit_on: oof with ensemble\.method stacking: .*nested folds/)
  const voting = load(
    { fit_on: 'oof' },
    { base_models: [{ name: 'xgboost' }, { name: 'logistic' }], ensemble: { kind: 'voting' } },
  )
  assert.deepEqual(
    problemsOf(voting).filter((p) => p.startsWith('inference')),
    [],
  )
})
