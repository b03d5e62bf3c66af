/**
 * Policies in mlf run: a list backtested side by side on the same predictions (summary, terminal, report,
 * predictions, bundle), maker_first execution, and policies whose inputs the run does not produce refused at load.
 */
import assert from 'node:assert/strict'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { backtestConfigSchema, runBacktest } from '../../src/backtest/engine.js'
import { backtestMetrics } from '../../src/backtest/metrics.js'
import { printSummary } from '../../src/cli/run.js'
import { resolveConfig } from '../../src/config/load.js'
import { ingestFile } from '../../src/data/ingest.js'
import { torchAvailability } from '../../src/engines/torch/index.js'
import { loadBundle } from '../../src/pipeline/bundle.js'
import { runPipeline } from '../../src/pipeline/run.js'
import { editManifest } from '../bundle/reseal.js'
import { tempDir } from '../helpers.js'
import { assertBundleReproducesRun, poisonedFrom, sampleSlice, smallConfig } from './fixture.js'

const XGB = { n_estimators: 30, max_depth: 3, learning_rate: 0.2, early_stopping_rounds: 10 }

test('policy: [threshold, kelly, quantile, vol_target] on the same predictions, maker_first fills: side by side everywhere, reproduced by the bundle', async () => {
  const data = await sampleSlice(30_000)
  const execution = {
    kind: 'maker_first',
    offset: 1,
    timeout: 3,
    partial_fills: { volume_share: 0.2, capital: 50_000 },
  }
  const config = smallConfig({
    base_models: [{ name: 'xgboost', config: XGB, outputs: ['p', 'E_r'] }],
    inference: { calibrate: ['temperature'], uncertainty: [{ method: 'split', coverage: 0.8 }] },
    policy: [
      { kind: 'threshold', long: 0.5, short: 0.5 },
      { kind: 'kelly', fraction: 0.25 },
      { kind: 'quantile', straddle: 'trade', fraction: 0.05 },
      { kind: 'vol_target', target: 0.5, lookback: 600 },
    ],
    backtest: { fees: 4, slippage: 1, execution },
  })
  const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
  const s = run.summary
  assert.deepEqual(
    s.policies?.map((p) => p.policy),
    ['threshold', 'kelly', 'quantile', 'vol_target'],
  )
  assert.deepEqual(s.policies![0].backtest, s.backtest)
  assert.ok(s.backtest.maker_share > 0 && s.backtest.maker_share <= 1, `maker share ${s.backtest.maker_share}`)

  // The predictions hold each policy's positions; backtesting them again gives each policy's metrics.
  const lines = readFileSync(join(run.runDir, 'predictions', 'test.csv'), 'utf8')
    .trim()
    .split('\n')
  const header = lines[0].split(',')
  assert.deepEqual(header.slice(-3), ['signal_kelly', 'signal_quantile', 'signal_vol_target'])
  const { bars } = await ingestFile(data)
  const index = new Map(Array.from(bars.ts, (t, i) => [t, i]))
  const rows = Int32Array.from(lines.slice(1), (l) => index.get(Date.parse(l.split(',')[0]))!)
  const cfg = backtestConfigSchema.parse({ fees: 4, slippage: 1, execution })
  for (const [j, column] of ['signal', 'signal_kelly', 'signal_quantile', 'signal_vol_target'].entries()) {
    const c = header.indexOf(column)
    const positions = Float64Array.from(lines.slice(1), (l) => Number(l.split(',')[c]))
    assert.ok(positions.every((x) => x >= -1 && x <= 1))
    assert.ok(
      positions.some((x) => x !== 0),
      `${column} takes positions`,
    )
    if (j === 0) assert.ok(positions.every((x) => x === -1 || x === 0 || x === 1))
    else
      assert.ok(
        positions.some((x) => x !== 0 && Math.abs(x) !== 1),
        `${column} sizes fractionally`,
      )
    const again = backtestMetrics(runBacktest(bars, positions, rows, 30, cfg))
    assert.deepEqual(again, s.policies![j].backtest, column)
  }

  let text = ''
  printSummary(s, (t) => (text += t))
  assert.match(text, /policies on the same predictions \(the first is the run's primary\)/)
  for (const kind of ['threshold', 'kelly', 'quantile', 'vol_target'])
    assert.match(text, new RegExp(`\\n  ${kind} +-?\\d`))
  assert.match(text, /filled as maker \d+\.\d\d% of traded notional/)
  const report = readFileSync(join(run.runDir, 'report.html'), 'utf8')
  assert.match(report, /Policies on the same predictions/)

  const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
  assert.deepEqual(
    bundle.manifest.chain.filter((l) => l.role === 'policy').map((l) => l.name),
    ['threshold', 'kelly', 'quantile', 'vol_target'],
  )
  assert.ok((await assertBundleReproducesRun(run, data)) > 1000)
})

test('a policy whose inputs the run does not produce is refused at load, saying what would produce them', () => {
  const err = (over: Record<string, unknown>) => {
    try {
      resolveConfig(over)
    } catch (e) {
      return (e as Error).message
    }
    return 'accepted'
  }
  assert.match(
    err({ policy: { kind: 'quantile' } }),
    /policy: policy quantile reads E_r, q_lo\/q_hi, which this run does not produce; it needs a base model with outputs \[E_r\]; and the conformal interval around E_r/,
  )
  assert.match(
    err({ base_models: [{ name: 'xgboost', outputs: ['p', 'E_r'] }], policy: ['threshold', 'quantile'] }),
    /policy\.1: policy quantile reads q_lo\/q_hi, which this run does not produce; it needs the conformal interval around E_r: a base model with outputs \[E_r\] and a method on it in inference\.uncertainty \(split, cv_plus/,
  )
  assert.match(
    err({ policy: { kind: 'kelly', method: 'binary', source: 'p_up', short: false } }),
    /policy kelly reads p_up, which this run does not produce; it needs a base model with outputs \[p_up\]/,
  )
  assert.equal(
    err({
      base_models: [
        { name: 'xgboost', outputs: ['p', 'E_r'] },
        { name: 'logistic', outputs: ['p_up'] },
      ],
      inference: { uncertainty: [{ method: 'split' }] },
      policy: ['threshold', { kind: 'kelly', method: 'binary', source: 'p_up', short: false }, 'quantile'],
    }),
    'accepted',
  )
})

/** PPO on a small budget (few steps, a small network): the suite is shared. */
const RL = {
  kind: 'rl',
  algorithm: 'ppo',
  inputs: ['p', 'E_r', 'return_1'],
  steps: 2048,
  envs: 8,
  rollout: 32,
  episode: 64,
  hidden: 8,
  lr: 3e-3,
}

test(
  'policy: [threshold, rl]: trained on validation rows, deterministic, its network in the bundle reproduces the test positions, and a poisoned test window leaves it unchanged',
  { skip: torchAvailability().ok ? false : 'libtorch addon not built' },
  async () => {
    const data = await sampleSlice(8000)
    const config = smallConfig({
      base_models: [{ name: 'xgboost', config: XGB, outputs: ['p', 'E_r'] }],
      policy: ['threshold', RL],
    })
    const run = await runPipeline({ config, dataFile: data, outDir: tempDir() })
    const twice = await runPipeline({ config, dataFile: data, outDir: tempDir() })
    assert.equal(twice.bundleChecksum, run.bundleChecksum)

    // The seeds' test P&L beside the threshold baseline, in the summary, the terminal and the report.
    const s = run.summary
    assert.deepEqual(
      s.policies?.map((p) => p.policy),
      ['threshold', 'rl'],
    )
    assert.equal(s.policies![0].fit, undefined)
    const fit = s.policies![1].fit!
    assert.equal(fit.seeds.length, 3)
    assert.equal(fit.test_pnl.n, 3)
    assert.ok(fit.test_pnl.lo < fit.test_pnl.mean && fit.test_pnl.mean < fit.test_pnl.hi)
    assert.ok(fit.seeds.every((x) => Number.isFinite(x.test_pnl) && Number.isFinite(x.select_pnl)))
    let text = ''
    printSummary(s, (t) => (text += t))
    assert.match(text, /rl: 3 seeds' test P&L -?\d+\.\d\d% \(95% interval -?\d+\.\d\d% to -?\d+\.\d\d%\)/)
    const report = readFileSync(join(run.runDir, 'report.html'), 'utf8')
    assert.ok(
      report.includes('<th>seeds’ test P&#38;L</th><th>95% interval</th>'),
      'the report has the seeds’ interval',
    )

    // The rl column backtested again, held to target, gives the summary's metrics.
    const lines = readFileSync(join(run.runDir, 'predictions', 'test.csv'), 'utf8')
      .trim()
      .split('\n')
    const c = lines[0].split(',').indexOf('signal_rl')
    const { bars } = await ingestFile(data)
    const index = new Map(Array.from(bars.ts, (t, i) => [t, i]))
    const rows = Int32Array.from(lines.slice(1), (l) => index.get(Date.parse(l.split(',')[0]))!)
    const positions = Float64Array.from(lines.slice(1), (l) => Number(l.split(',')[c]))
    const cfg = backtestConfigSchema.parse({})
    assert.deepEqual(backtestMetrics(runBacktest(bars, positions, rows, 30, cfg, 'target')), s.policies![1].backtest)

    // The trained network is the rl link's state; the bundle scores through it (plain TypeScript) as the run did.
    const bundle = await loadBundle(run.bundleDir, run.bundleChecksum)
    const link = (b: typeof bundle) => b.manifest.chain.find((l) => l.role === 'policy' && l.name === 'rl')!
    const state = (link(bundle) as { state?: { network: { layers: unknown[] } } }).state!
    assert.equal(state.network.layers.length, 3)
    assert.deepEqual(bundle.policyStates[1], state)
    assert.equal(bundle.policyStates[0], undefined)
    assert.ok((await assertBundleReproducesRun(run, data)) > 500)

    // Every bar of the test window mirrored: test labels and positions move, the network trained before it does not.
    const firstTest = lines[1].split(',')[0]
    const poisoned = await runPipeline({ config, dataFile: poisonedFrom(data, firstTest), outDir: tempDir() })
    const counts = (r: typeof run, split: string) => r.summary.labels.counts.find((x) => x.split === split)!.counts
    assert.deepEqual(counts(poisoned, 'val'), counts(run, 'val'))
    assert.notDeepEqual(counts(poisoned, 'test'), counts(run, 'test'))
    assert.notDeepEqual(
      poisoned.summary.policies![1].fit!.seeds.map((x) => x.test_pnl),
      fit.seeds.map((x) => x.test_pnl),
    )
    assert.deepEqual(
      poisoned.summary.policies![1].fit!.seeds.map((x) => x.select_pnl),
      fit.seeds.map((x) => x.select_pnl),
    )
    assert.deepEqual(link(await loadBundle(poisoned.bundleDir, poisoned.bundleChecksum)), link(bundle))

    // A state edited by someone who reseals the manifest is still checked: missing, malformed, or on a policy that
    // does not learn.
    const edited = (edit: (links: { name: string; state?: Record<string, unknown> }[]) => void) => {
      const dir = join(tempDir(), 'bundle')
      cpSync(run.bundleDir, dir, { recursive: true })
      editManifest(dir, (m) => edit(m.chain.filter((l) => l.role === 'policy')))
      return loadBundle(dir)
    }
    await assert.rejects(
      edited((links) => delete links[1].state),
      /the manifest's policy link rl has no fitted state \(a learning policy needs its own\)/,
    )
    await assert.rejects(
      edited((links) => {
        const network = links[1].state!.network as { layers: unknown[] }
        network.layers = network.layers.slice(1)
      }),
      /policy link rl: policy rl's state is invalid at network/,
    )
    await assert.rejects(
      edited((links) => (links[0].state = links[1].state)),
      /policy link threshold: policy threshold learns nothing, yet has a fitted state/,
    )
  },
)
