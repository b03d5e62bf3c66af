import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig, resolveConfig } from '../../src/config/load.js'
import { parseCombinerConfig } from '../../src/ensemble/registry.js'
import { parseModelParams } from '../../src/models/registry.js'
import { selectColumns } from '../../src/ensemble/voting.js'
import { columnIndices } from '../../src/features/views/matrix.js'
import { tempFile } from '../helpers.js'

/** The message resolveConfig gives for `raw`. */
function errorOf(raw: unknown): string {
  try {
    resolveConfig(raw)
  } catch (err) {
    return (err as Error).message
  }
  assert.fail('the config was accepted')
}

test('an unknown model name gets "did you mean" and still the list of models', () => {
  const msg = errorOf({ base_models: [{ name: 'xgbost' }] })
  assert.match(msg, /base_models\.0\.name: unknown model "xgbost"; did you mean "xgboost"\? available: .*lstm/)
  assert.match(errorOf({ base_models: [{ name: 'transformer_xl' }] }), /unknown model "transformer_xl"; available: /)
  assert.throws(() => parseModelParams('lstn', {}), /unknown model "lstn"; did you mean "lstm"\? available/)
})

test('unknown combiners, policies and post-processors get "did you mean"', () => {
  assert.match(
    errorOf({ base_models: [{ name: 'xgboost' }, { name: 'logistic' }], ensemble: { method: 'stackng' } }),
    /ensemble\.method: unknown combiner "stackng"; did you mean "stacking"\? mlf run combines/,
  )
  assert.throws(() => parseCombinerConfig({ method: 'blendin' }), /did you mean "blending"\? available/)
  assert.match(errorOf({ policy: { kind: 'treshold' } }), /unknown policy "treshold"; did you mean "threshold"\?/)
  assert.match(
    errorOf({ inference: { calibrate: ['isotonc'] } }),
    /unknown post-processor "isotonc"; did you mean "isotonic"\? available: /,
  )
  assert.match(
    errorOf({ inference: { uncertainty: { method: 'rap' } } }),
    /unknown post-processor "rap"; did you mean "raps"\? available: /,
  )
})

test('an unknown key anywhere gets the known key of its object it is closest to', () => {
  // The top level, a section, a model's params (parsed by its registry entry inside a transform), a combiner's and
  // a policy's params, a calibrator step.
  assert.match(errorOf({ seeed: 3 }), /seeed: Unrecognized key: "seeed"; did you mean "seed"\?/)
  assert.match(errorOf({ views: { windw_steps: 30 } }), /views\.windw_steps: .*did you mean "window_steps"\?/)
  assert.match(
    errorOf({ base_models: [{ name: 'xgboost', config: { n_estimatrs: 10 } }] }),
    /base_models\.0\.config: Unrecognized key: "n_estimatrs"; did you mean "n_estimators"\?/,
  )
  assert.match(errorOf({ base_models: [{ name: 'xgboost', params: {} }] }), /base_models\.0\.params: Unrecognized key/)
  assert.match(
    errorOf({ base_models: [{ name: 'xgboost' }, { name: 'logistic' }], ensemble: { method: 'stacking', metaa: 1 } }),
    /Unrecognized key: "metaa"/,
  )
  assert.match(
    errorOf({ inference: { calibrate: [{ name: 'isotonic', parms: {} }] } }),
    /Unrecognized key: "parms"; did you mean "params"\?/,
  )
  // Several keys: a hint for each that has one; none at all keeps zod's own words.
  assert.match(
    errorOf({ symbl: 'X', seeed: 1, zzzzzz: 2 }),
    /Unrecognized keys: "symbl", "seeed", "zzzzzz"; did you mean "symbol" \(for "symbl"\)\?; did you mean "seed" \(for "seeed"\)\?/,
  )
  assert.match(errorOf({ zzzzzz: 2 }), /zzzzzz: Unrecognized key: "zzzzzz"$/m)
})

test('a file config points at the line of the misspelt key, with the hint', () => {
  const path = tempFile('hint.yaml', 'symbol: X\nlabels:\n  volatilty: {}\n')
  assert.throws(() => loadConfig(path), /hint\.yaml:3: labels\.volatilty: .*did you mean "volatility"\?/)
})

test('unknown feature names get "did you mean"', () => {
  const x = {
    kind: 'feature_matrix' as const,
    n: 1,
    f: 2,
    data: new Float64Array(2),
    names: ['rsi_14_1m', 'atr_14_1m'],
  }
  assert.throws(
    () => selectColumns(x, ['rsi_14_1n']),
    /feature "rsi_14_1n" is not in the feature matrix; did you mean "rsi_14_1m"\?/,
  )
  assert.throws(
    () => columnIndices(x, ['atr_41_1m']),
    /feature atr_41_1m is not in the frame \(2 features\); did you mean "atr_14_1m"\?/,
  )
})
