import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { torch, torchUnavailableReason } from '../../../src/engines/torch/index.js'
import { combinerRegistry, parseCombinerConfig } from '../../../src/ensemble/registry.js'
import { gateNetworkWeights, type SoftmaxGateState } from '../../../src/ensemble/gates/softmax-gate.js'
import { seededRandom } from '../../../src/core/random.js'
import {
  assertBeatsMembersAndVoting,
  assertGateWeightsCausal,
  assertNoWorseThanVoting,
  assertSavedGateAgrees,
  planted,
  trainOnPlanted,
} from './planted.js'

const reason = torchUnavailableReason()
// Both regimes have mean 0 (they differ in volatility only): k-means starts need their default 5 restarts.
const CONFIG = {
  method: 'gating',
  gate: 'softmax_gate',
  regime: { model: 'hmm', states: 2, features: ['log_return'] },
  oof: { n_folds: 3 },
  guard: 'report',
}

describe('softmax_gate', () => {
  it('params: a small network; features to map are required; unknown keys refused', () => {
    const p = parseCombinerConfig({ method: 'gating', gate: 'softmax_gate', context_features: ['rsi_1m'] })
      .params as Record<string, unknown>
    assert.deepEqual([p.hidden, p.epochs, p.lr, p.patience, p.val_fraction], [[16], 200, 0.01, 20, 0.2])
    const refused: [Record<string, unknown>, RegExp][] = [
      [
        {},
        /ensemble\.context_features: softmax_gate maps features to member weights: give a regime or context_features/,
      ],
      [
        { context_features: ['a'], hidden: [8, 8, 8] },
        /ensemble\.hidden: a gate network is small: at most 2 hidden layers/,
      ],
      [{ context_features: ['a'], val_fraction: 0.9 }, /ensemble\.val_fraction/],
      [{ context_features: ['a'], dropout: 0.1 }, /Unrecognized key: "dropout"/],
    ]
    for (const [raw, message] of refused)
      assert.throws(
        () => parseCombinerConfig({ method: 'gating', gate: 'softmax_gate', ...raw }),
        message,
        JSON.stringify(raw),
      )
  })

  if (reason) {
    it('libtorch addon', (t) => t.skip(reason))
    it('is registered but unavailable with the install hint', () => {
      const a = combinerRegistry.get('softmax_gate')!.available({})
      assert.equal(a.ok, false)
    })
    return
  }

  it('on planted regimes it beats both members and uniform voting on the test window', async () => {
    await assertBeatsMembersAndVoting(CONFIG)
  })

  it('without regimes it does no worse than voting by more than noise', async () => {
    await assertNoWorseThanVoting(CONFIG)
  })

  it('the TypeScript forward pass of the read-out weights is the libtorch network, to float32 rounding', () => {
    const rand = seededRandom(4)
    const e = 3
    const M = 2
    const sizes = [e, 5, M]
    const layers = sizes.slice(1).map((w, l) => ({
      weight: Array.from({ length: w }, () => Array.from({ length: sizes[l] }, () => Math.fround(rand() - 0.5))),
      bias: Array.from({ length: w }, () => Math.fround(rand() - 0.5)),
    }))
    const state: SoftmaxGateState = {
      center: [0, 0, 0],
      scale: [1, 1, 1],
      layers,
      epochs: 0,
      best_epoch: 0,
      best_loss: null,
    }
    const x = Float64Array.from({ length: 40 * e }, () => 2 * rand() - 1)
    const ours = gateNetworkWeights(state, x, 40)
    const t = torch()
    const w0 = t.tensor(Float32Array.from(layers[0].weight.flat()), [5, e])
    const b0 = t.tensor(Float32Array.from(layers[0].bias), [5])
    const w1 = t.tensor(Float32Array.from(layers[1].weight.flat()), [M, 5])
    const b1 = t.tensor(Float32Array.from(layers[1].bias), [M])
    const z = t.linear(t.linear(t.tensor(Float32Array.from(x), [40, e]), w0, b0).tanh(), w1, b1)
    const theirs = z.sub(z.logsumexp(1, true)).exp().toArray() as Float32Array
    for (let i = 0; i < ours.length; i++)
      assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-5, `${i}: ${ours[i]} vs ${theirs[i]}`)
    for (const a of [w0, b0, w1, b1, z]) a.dispose()
  })

  it('the same seed trains the same network bit for bit; saved and loaded, it gives the same weights', async () => {
    const data = planted(5, true)
    const a = await trainOnPlanted(data, CONFIG)
    const b = await trainOnPlanted(data, CONFIG)
    assert.deepEqual(Array.from(a.weights), Array.from(b.weights))
    await assertSavedGateAgrees(a, data)
  })

  it('the generic leakage audit leaves every gate weight at or before T unchanged', async () => {
    await assertGateWeightsCausal({
      method: 'gating',
      gate: 'softmax_gate',
      context_features: ['rv_1m'],
      regime: { model: 'hmm', states: 2, params: { restarts: 1 } },
      oof: { n_folds: 3 },
      epochs: 30,
    })
  })
})
