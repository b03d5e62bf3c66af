import assert from 'node:assert/strict'
import test from 'node:test'
import { runConfigProblems, runPipeline } from '../../src/pipeline/run.js'
import { resolveConfig } from '../../src/config/load.js'
import { tempDir } from '../helpers.js'
import { smallConfig } from './fixture.js'

const WF = { train: '20d', test: '7d', step: '7d' }

/** Each case: a config section asking for what mlf run does not do, and the words its refusal must contain. */
const CASES: [string, Record<string, unknown>, RegExp][] = [
  ['kfold evaluation', { splits: { method: 'kfold' } }, /splits\.method: kfold is not how mlf run evaluates/],
  ['cpcv evaluation', { splits: { method: 'cpcv' } }, /splits\.method: cpcv is not how mlf run evaluates/],
  ['an explicit embargo in bars', { splits: { embargoBars: 1440 } }, /splits\.embargoBars .*would remove nothing/],
  ['an explicit embargo fraction', { splits: { embargoFraction: 0.05 } }, /splits\.embargoFraction.*ensemble\.oof/],
  ['k-fold settings', { splits: { kfold: { folds: 3 } } }, /splits\.kfold: used by mlf splits only/],
  [
    'mlf splits walk-forward settings',
    { splits: { walkForward: { trainDays: 10 } } },
    /splits\.walkForward: used by mlf splits only; mlf run walks forward with evaluation\.walk_forward/,
  ],
  ['walk-forward without windows', { splits: { method: 'walk_forward' } }, /needs evaluation\.walk_forward/],
  ['windows without walk-forward', { evaluation: { walk_forward: WF } }, /set splits\.method: walk_forward/],
  [
    'overlapping test windows',
    { splits: { method: 'walk_forward' }, evaluation: { walk_forward: { ...WF, step: '1d' } } },
    /step \(1d\) is shorter than test \(7d\)/,
  ],
  [
    'a validation slice as long as the training window',
    { splits: { method: 'walk_forward' }, evaluation: { walk_forward: { ...WF, val: '20d' } } },
    /val \(20d\) leaves no training rows/,
  ],
  [
    'chronological fractions in a walk-forward run',
    {
      splits: { method: 'walk_forward', chronological: { train: 0.5, val: 0.25, test: 0.25 } },
      evaluation: { walk_forward: WF },
    },
    /splits\.chronological: a walk-forward run splits each window itself/,
  ],
  [
    'post-processors fitted out of fold behind a stacking combiner',
    {
      base_models: [{ name: 'logistic' }, { name: 'gaussian_nb' }],
      ensemble: { method: 'stacking' },
      inference: { fit_on: 'oof' },
    },
    /inference\.fit_on: oof with ensemble\.method stacking/,
  ],
]

for (const [what, over, why] of CASES) {
  test(`mlf run refuses ${what} before any work`, async () => {
    const config = smallConfig(over)
    assert.ok(
      runConfigProblems(config).some((p) => why.test(p)),
      runConfigProblems(config).join('\n'),
    )
    await assert.rejects(
      runPipeline({ config, dataFile: '/nonexistent/bars.csv', outDir: tempDir() }),
      (err: Error) => /asks for what mlf run cannot do/.test(err.message) && why.test(err.message),
    )
  })
}

test('the defaults, and a complete walk-forward section, raise no problem', () => {
  assert.deepEqual(runConfigProblems(smallConfig()), [])
  assert.deepEqual(
    runConfigProblems(smallConfig({ splits: { method: 'walk_forward' }, evaluation: { walk_forward: WF } })),
    [],
  )
})

test('config sections the code does not have are refused at load, naming them', () => {
  for (const [over, why] of [
    [
      { policy: { kind: 'bandit' } },
      /policy\.kind: unknown policy "bandit"; available: threshold, kelly, quantile, vol_target, rl/,
    ],
    [
      { policy: { kind: 'rl', algorithm: 'ppo', inputs: ['p'], observe_position: true } },
      /policy\.observe_position: observe_position: true is not supported by mlf run yet: .*could not reproduce/,
    ],
    [{ policy: { kind: 'rl', algorithm: 'ppo', inputs: ['p'], sizes: [0, 1] } }, /policy: Unrecognized key.*sizes/],
    [
      { policy: { kind: 'rl', algorithm: 'ppo', inputs: ['E_r'] } },
      /policy rl reads E_r, which this run does not produce/,
    ],
    [
      {
        policy: { kind: 'rl', algorithm: 'ppo', inputs: ['p'] },
        backtest: { execution: { kind: 'maker_first' } },
      },
      /policy rl learns in an environment that fills as a taker; backtest\.execution maker_first is not supported/,
    ],
    [
      { inference: { calibrate: ['no_such'] } },
      /inference\.calibrate\.0: unknown post-processor "no_such"; available: temperature, platt, isotonic, beta, dirichlet$/m,
    ],
    [
      { inference: { uncertainty: { method: 'cqr' } } },
      /inference\.uncertainty\.0\.method: cqr acts on the q05\/q50\/q95 head, which no base model outputs/,
    ],
    [{ evaluation: { cpcv: {} } }, /evaluation\.cpcv: Unrecognized key/],
    [{ evaluation: { walk_forward: { train: '90 days', test: '7d' } } }, /evaluation\.walk_forward\.train/],
    [{ ensemble: { method: 'voting' } }, /unknown combiner "voting"/],
  ] as const) {
    assert.throws(() => resolveConfig(over), why)
  }
})

test('walk-forward window lengths must be whole bars of data.interval', () => {
  const config = resolveConfig({
    data: { interval: '5m' },
    splits: { method: 'walk_forward' },
    evaluation: { walk_forward: { ...WF, test: '7m' } },
  })
  assert.ok(
    runConfigProblems(config).some((p) => /evaluation\.walk_forward\.test: not a whole number of 5m bars/.test(p)),
  )
})
