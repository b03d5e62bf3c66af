/**
 * seq_len: a window model reads the last seq_len steps of the window view. Trained and scored on windows of 24 steps
 * with seq_len 8, it is the same model, bit for bit, as one trained and scored on windows of 8 steps ending at the
 * same bars; the config refuses a seq_len longer than views.window_steps or on a member without a window view.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { torchUnavailableReason } from '../../../src/engines/torch/index.js'
import type { WindowTensorView } from '../../../src/features/views/types.js'
import { resolveConfig } from '../../../src/config/load.js'
import { createModel } from '../../../src/models/registry.js'
import { gauss } from '../../helpers.js'

const reason = torchUnavailableReason()

function windows(n: number, steps: number, f: number): { x: WindowTensorView; y: Float64Array } {
  const g = gauss(4)
  const pad = 30
  const base = Float32Array.from({ length: (n + pad) * f }, g)
  const end = Int32Array.from({ length: n }, (_, i) => i + pad - 1)
  const y = Float64Array.from(end, (e) => (base[(e - 2) * f] > 0 ? 1 : 0))
  return { x: { kind: 'window_tensor', n, steps, f, base, end, names: ['a', 'b', 'c'] }, y }
}

describe('seq_len', () => {
  if (reason) {
    it('libtorch addon', (t) => t.skip(reason))
    return
  }
  for (const name of ['lstm', 'tcn']) {
    it(`${name} with seq_len 8 on 24-step windows is the model on 8-step windows, bit for bit`, async () => {
      const long = windows(300, 24, 3)
      const short = { x: { ...long.x, steps: 8 }, y: long.y }
      const params = { epochs: 2, batchSize: 32, patience: 0 }
      const a = createModel(name, { ...params, seq_len: 8 }, { kind: 'binary' })
      const b = createModel(name, params, { kind: 'binary' })
      await a.fit(long, undefined, { seed: 3, threads: 1 })
      await b.fit(short, undefined, { seed: 3, threads: 1 })
      const pa = a.predict(long.x).p_up!
      assert.deepEqual(pa, b.predict(short.x).p_up!)
      // A window shorter than seq_len is refused, naming both lengths.
      assert.throws(() => a.predict({ ...long.x, steps: 6 }), /seq_len 8 is longer than the window's 6 steps/)
    })
  }

  it('the config refuses seq_len beyond views.window_steps and on members without a window view', () => {
    const base = (config: Record<string, unknown>, name = 'lstm', views = { window_steps: 60 }) =>
      resolveConfig({ views, base_models: [{ name: 'xgboost' }, { name, config, outputs: ['E_r'] }] })
    assert.equal(base({ seq_len: 30 }).base_models[1].config.seq_len, 30)
    assert.throws(
      () => base({ seq_len: 90 }),
      /base_models\.1\.config\.seq_len: seq_len 90 is longer than views\.window_steps \(60\)/,
    )
    assert.throws(
      () =>
        resolveConfig({
          base_models: [
            { name: 'xgboost' },
            { name: 'patchtst', view: 'multi_res', config: { seq_len: 8 }, outputs: ['E_r'] },
          ],
        }),
      /seq_len applies to window_tensor members; patchtst takes multi_res/,
    )
  })
})
