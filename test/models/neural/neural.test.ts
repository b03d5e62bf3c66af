/** Neural models: planted signal, causality, determinism per seed and thread count, resume, abort, early stopping. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tidy, torch, torchUnavailableReason } from '../../../src/engines/torch/index.js'
import type { Dataset, FitContext, Task } from '../../../src/models/contract.js'
import type { WindowTensorView } from '../../../src/features/views/types.js'
import { createModel, registry } from '../../../src/models/registry.js'
import { tcnNetwork, tcnParams } from '../../../src/models/neural/tcn.js'
import { lstm, gru } from '../../../src/models/neural/layers.js'
import { disposeModule } from '../../../src/models/neural/nn.js'
import { gauss, tempDir } from '../../helpers.js'

const reason = torchUnavailableReason()
const NEURAL = ['lstm', 'gru', 'tcn', 'dlinear', 'mlp']

/** Windows over a random base; y = 1 when feature 0 at the window's third-to-last step is positive (a lagged cue). */
function windows(
  n: number,
  steps: number,
  f: number,
  seed: number,
  task: Task = { kind: 'binary' },
): Dataset & { x: WindowTensorView } {
  const g = gauss(seed)
  const base = Float32Array.from({ length: (n + steps) * f }, g)
  const end = Int32Array.from({ length: n }, (_, i) => i + steps)
  const y = Float64Array.from(end, (e) => {
    const cue = base[(e - 2) * f]
    return task.kind === 'binary' ? (cue > 0 ? 1 : 0) : cue
  })
  return {
    x: { kind: 'window_tensor', n, steps, f, base, end, names: Array.from({ length: f }, (_, j) => `f${j}`) },
    y,
  }
}

const ctx = (seed: number, threads = 1, extra: Partial<FitContext> = {}): FitContext => ({ seed, threads, ...extra })

function accuracy(p: Float64Array, y: Float64Array): number {
  let ok = 0
  for (let i = 0; i < y.length; i++) ok += (p[i] > 0.5 ? 1 : 0) === y[i] ? 1 : 0
  return ok / y.length
}

describe('neural models', () => {
  if (reason) {
    it('libtorch addon', (t) => t.skip(reason))
    it('are registered but unavailable with the install hint', () => {
      for (const name of NEURAL) assert.equal(registry.get(name)?.available().ok, false)
      assert.throws(() => createModel('lstm', {}, { kind: 'binary' }), /libtorch-dev/)
    })
    return
  }

  it('are registered with their specs', () => {
    for (const name of NEURAL) {
      const e = registry.get(name)
      assert.ok(e, `${name} registered`)
      assert.equal(e.available().ok, true)
      assert.equal(e.spec.inputView, name === 'mlp' ? 'feature_matrix' : 'window_tensor')
    }
  })

  for (const name of ['lstm', 'gru', 'tcn', 'dlinear']) {
    it(`${name} learns a lagged cue inside the window`, async () => {
      const train = windows(1500, 12, 3, 1)
      const test = windows(500, 12, 3, 2)
      const m = createModel(name, { epochs: 15, batchSize: 64, lr: 1e-2, patience: 0 }, { kind: 'binary' })
      await m.fit(train, undefined, ctx(3))
      const acc = accuracy(m.predict(test.x).p_up!, test.y)
      assert.ok(acc > 0.85, `${name}: accuracy ${acc.toFixed(3)} on a learnable cue`)
    })
  }

  it('a window prediction ignores every base row after its window (sample-level causality)', async () => {
    const train = windows(300, 10, 3, 4)
    for (const name of ['lstm', 'gru', 'tcn', 'dlinear']) {
      const m = createModel(name, { epochs: 2, batchSize: 64 }, { kind: 'binary' })
      await m.fit(train, undefined, ctx(5))
      const x = windows(50, 10, 3, 6).x
      const p0 = m.predict(x).p_up!
      const i = 20
      const after = Float32Array.from(x.base)
      for (let r = (x.end[i] + 1) * x.f; r < after.length; r++) after[r] += 5
      const p1 = m.predict({ ...x, base: after }).p_up!
      for (let k = 0; k <= i; k++)
        assert.equal(p1[k], p0[k], `${name}: window ${k} changed when rows after ${x.end[i]} changed`)
      const inside = Float32Array.from(x.base)
      inside[x.end[i] * x.f] += 5
      assert.notEqual(
        m.predict({ ...x, base: inside }).p_up![i],
        p0[i],
        `${name}: the window's own last row must matter`,
      )
    }
  })

  it('tcn, lstm and gru layers are causal per step: outputs up to t ignore inputs after t', () => {
    const t = torch()
    t.manualSeed(9)
    const L = 16
    const tNow = 9
    const x = t.keep(t.randn([2, L, 3]))
    const xPerturbed = tidy(() =>
      t.keep(t.cat([x.narrow(1, 0, tNow + 1), x.narrow(1, tNow + 1, L - tNow - 1).add(3)], 1)),
    )
    const compare = (name: string, seq: (v: typeof x) => typeof x, stepDim: number): void =>
      tidy(() => {
        const a = seq(x)
          .narrow(stepDim, 0, tNow + 1)
          .toArray()
        const b = seq(xPerturbed)
          .narrow(stepDim, 0, tNow + 1)
          .toArray()
        assert.deepEqual(b, a, `${name}: steps <= ${tNow} changed`)
        const later = seq(xPerturbed)
          .narrow(stepDim, tNow + 1, 1)
          .toArray()
        assert.notDeepEqual(
          later,
          seq(x)
            .narrow(stepDim, tNow + 1, 1)
            .toArray(),
          `${name}: later steps must change`,
        )
      })
    const tcn = tcnNetwork(tcnParams.parse({ dilations: [1, 2, 4, 8] }), { kind: 'window_tensor', steps: L, f: 3 }, 1)
    tcn.training = false
    compare('tcn', (v) => tcn.sequence(v), 2)
    const l = lstm({ inputSize: 3, hidden: 5, layers: 2, dropout: 0 })
    l.training = false
    compare('lstm', (v) => l.forward(v), 1)
    const g = gru({ inputSize: 3, hidden: 5, layers: 1, dropout: 0 })
    compare('gru', (v) => g.forward(v), 1)
    disposeModule(tcn)
    disposeModule(l)
    disposeModule(g)
    x.dispose()
    xPerturbed.dispose()
  })

  for (const threads of [1, 2]) {
    it(`same seed and ${threads} thread(s): identical weights; another seed differs`, async () => {
      const train = windows(400, 10, 3, 7)
      const val = windows(100, 10, 3, 8)
      const weights = async (name: string, seed: number): Promise<Buffer> => {
        const m = createModel(name, { epochs: 3, batchSize: 64, dropout: 0.1 }, { kind: 'binary' })
        await m.fit(train, val, ctx(seed, threads))
        const dir = tempDir('mlf-neural-det-')
        await m.save(dir)
        return readFileSync(join(dir, 'weights.bin'))
      }
      for (const name of ['lstm', 'tcn']) {
        const a = await weights(name, 11)
        assert.ok(a.equals(await weights(name, 11)), `${name}: weights differ for the same seed`)
        assert.ok(!a.equals(await weights(name, 12)), `${name}: weights equal for different seeds`)
      }
    })
  }

  it('a saved model with impossible values is refused on load, naming the file and the field', async () => {
    const m = createModel('tcn', { epochs: 1, batchSize: 64 }, { kind: 'binary' })
    await m.fit(windows(200, 10, 3, 5), windows(60, 10, 3, 6), ctx(3))
    const dir = tempDir('mlf-neural-bad-')
    await m.save(dir)
    const entry = registry.get('tcn')!
    await entry.load(dir)
    const metaPath = join(dir, 'model.json')
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'))
    for (const [field, edit] of [
      ['std.0', { std: [0, ...meta.std.slice(1)] }],
      ['target.std', { target: { mean: 0, std: -1 } }],
      ['mean.1', { mean: [0, null, ...meta.mean.slice(2)] }],
      ['layout.steps', { layout: { ...meta.layout, steps: 0 } }],
    ] as const) {
      writeFileSync(metaPath, JSON.stringify({ ...meta, ...edit }))
      await assert.rejects(
        entry.load(dir),
        new RegExp(`model\\.json: invalid model file:\\n  ${field.replace('.', '\\.')}`),
      )
    }
    writeFileSync(metaPath, JSON.stringify(meta))
    // A weight that is NaN (the bin file and its index re-hashed, as a careless edit would).
    const binPath = join(dir, 'weights.bin')
    const bin = readFileSync(binPath)
    new Float32Array(bin.buffer, bin.byteOffset, 1)[0] = Number.NaN
    writeFileSync(binPath, bin)
    const indexPath = join(dir, 'weights.json')
    const index = JSON.parse(readFileSync(indexPath, 'utf8'))
    index.sha256 = createHash('sha256').update(bin).digest('hex')
    writeFileSync(indexPath, JSON.stringify(index))
    await assert.rejects(entry.load(dir), /weights\.json: tensor ".*" holds a non-finite value \(NaN\) at 0/)
  })

  it('a model saved when CQR lived inside neural models: refused with its margin, loaded as before without', async () => {
    const task: Task = { kind: 'quantile', quantiles: [0.05, 0.5, 0.95] }
    const m = createModel('quantile_rnn', { hidden: 8, epochs: 1, batchSize: 64 }, task)
    const test = windows(50, 10, 3, 7, task)
    await m.fit(windows(200, 10, 3, 5, task), windows(60, 10, 3, 6, task), ctx(3))
    const dir = tempDir('mlf-neural-cqr-')
    await m.save(dir)
    const entry = registry.get('quantile_rnn')!
    const metaPath = join(dir, 'model.json')
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'))
    assert.equal('conformal' in meta.params, false, 'conformal is no longer a neural parameter')
    // Without a margin (conformal: none, or no validation set) the old model predicted the raw band: it still does.
    writeFileSync(metaPath, JSON.stringify({ ...meta, params: { ...meta.params, conformal: 'none' } }))
    assert.deepEqual((await entry.load(dir)).predict(test.x), m.predict(test.x))
    // With one, it predicted a conformalized band this model no longer gives: refused, naming the wrapper.
    const old = {
      ...meta,
      params: { ...meta.params, conformal: 'cqr' },
      conformal: { margin: 0.3, n: 60, coverage: 0.9 },
    }
    writeFileSync(metaPath, JSON.stringify(old))
    await assert.rejects(
      entry.load(dir),
      /model\.json: invalid model file:\n {2}conformal: this model was saved with a conformal \(CQR\) margin inside it;.*re-run, wrapping the quantile model in the conformal wrapper/,
    )
    assert.throws(() => createModel('quantile_rnn', { conformal: 'cqr' }, task), /conformal/)
  })

  it('resumes from its checkpoint after an abort and ends exactly where an uninterrupted run ends', async () => {
    const train = windows(300, 8, 3, 9)
    const val = windows(100, 8, 3, 10)
    const params = (dir: string) => ({ epochs: 4, batchSize: 32, dropout: 0.2, patience: 0, checkpointDir: dir })
    const full = createModel('gru', params(tempDir('mlf-ckpt-a-')), { kind: 'binary' })
    await full.fit(train, val, ctx(21))

    const dir = tempDir('mlf-ckpt-b-')
    const ac = new AbortController()
    const first = createModel('gru', params(dir), { kind: 'binary' })
    const progress = { update: (done: number) => (done === 2 ? ac.abort() : undefined) }
    await assert.rejects(first.fit(train, val, ctx(21, 1, { signal: ac.signal, progress })), { name: 'AbortError' })
    const resumed = createModel('gru', params(dir), { kind: 'binary' })
    await resumed.fit(train, val, ctx(21))
    assert.equal((resumed as unknown as { lastFit: { resumedFrom: number } }).lastFit.resumedFrom, 2)
    assert.deepEqual(resumed.predict(val.x).p_up, full.predict(val.x).p_up)
  })

  it("training reuses its steps' large tensor blocks and returns them after the fit", async () => {
    const t = torch()
    // TCN activations of a 64-window batch are (64, 32, 40) floats = 320 KiB: blocks the allocator caches.
    const train = windows(256, 40, 3, 31)
    const m = createModel('tcn', { channels: 32, epochs: 2, batchSize: 64, patience: 0 }, { kind: 'binary' })
    const during: number[] = []
    await m.fit(train, undefined, ctx(4, 1, { progress: { update: () => void during.push(t.cachedBytes()) } }))
    assert.equal(during.length, 2)
    assert.ok(Math.min(...during) > 320 * 1024, `blocks held for reuse between steps: ${during.join(', ')} bytes`)
    assert.equal(t.cachedBytes(), 0, 'the cache is returned when the fit ends')
  })

  it('early stopping restores the best validation epoch', async () => {
    const train = windows(300, 8, 3, 12)
    const noise = windows(200, 8, 3, 13)
    const shuffled = { ...noise, y: noise.y.map((_, i) => (i * 7919) % 2) }
    const m = createModel('lstm', { epochs: 40, batchSize: 32, lr: 3e-2, patience: 2 }, { kind: 'binary' })
    await m.fit(train, shuffled, ctx(1))
    const fit = (
      m as unknown as {
        lastFit: { history: { valLoss: number }[]; bestEpoch: number; stoppedEarly: boolean; bestValLoss: number }
      }
    ).lastFit
    assert.ok(fit.stoppedEarly, 'stopped before 40 epochs on a validation set with no signal')
    assert.equal(fit.history.length, fit.bestEpoch + 2)
    assert.equal(fit.bestValLoss, Math.min(...fit.history.map((h) => h.valLoss)))
  })

  it('regression and multiclass heads; mlp on a feature matrix; bad inputs are rejected clearly', async () => {
    const reg = windows(400, 8, 2, 14, { kind: 'regression' })
    const r = createModel('tcn', { epochs: 8, lr: 1e-2, batchSize: 64 }, { kind: 'regression' })
    await r.fit(reg, undefined, ctx(2))
    const er = r.predict(reg.x).E_r!
    let c = 0
    for (let i = 0; i < er.length; i++) c += er[i] * reg.y[i]
    assert.ok(c > 0, 'E_r correlates with the target')
    const fm = {
      kind: 'feature_matrix' as const,
      n: 4,
      f: 2,
      data: new Float64Array([1, 2, 3, NaN, 5, 6, 7, 8]),
      names: ['a', 'b'],
    }
    const mc = createModel('mlp', { epochs: 2 }, { kind: 'multiclass', classes: 3 })
    await mc.fit({ x: fm, y: new Float64Array([0, 1, 2, 1]) }, undefined, ctx(1))
    const p = mc.predict(fm).p!
    assert.equal(p.length, 12)
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(p[3 * i] + p[3 * i + 1] + p[3 * i + 2] - 1) < 1e-6)
    await assert.rejects(mc.fit({ x: fm, y: new Float64Array([0, 1, 3, 1]) }, undefined, ctx(1)), /class at row 2 is 3/)
    assert.throws(() => r.predict(windows(5, 9, 2, 1).x), /fitted on window_tensor \(steps=8, f=2\)/)
    assert.throws(() => createModel('lstm', { hidden: 0 }, { kind: 'binary' }), /models\.lstm\.hidden/)
  })
})
