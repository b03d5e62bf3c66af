/**
 * The neural zoo beyond the baselines: every model learns a planted lead-lag signal and beats a shuffled-label
 * control; quantile heads never cross and, wrapped in the conformal wrapper, cover [q05, q95] about 90% of the time
 * on held-out data; predictions and causal token outputs ignore the future; multi-resolution input; N-BEATS
 * decomposition.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { tidy, torch, torchUnavailableReason } from '../../../src/engines/torch/index.js'
import type { Dataset, Outputs, Task } from '../../../src/models/contract.js'
import type { MultiResView, WindowTensorView } from '../../../src/features/views/types.js'
import { createModel, registry } from '../../../src/models/registry.js'
import { conformalized, loadConformalized } from '../../../src/inference/conformal/model.js'
import { monotoneQuantiles } from '../../../src/models/neural/layers.js'
import { patchtstNetwork, patchtstParams } from '../../../src/models/neural/patchtst.js'
import { nbeatsNetwork, nbeatsParams } from '../../../src/models/neural/nbeats.js'
import { tftNetwork, tftParams } from '../../../src/models/neural/tft.js'
import { disposeModule } from '../../../src/models/neural/nn.js'
import { gauss, tempDir } from '../../helpers.js'

const reason = torchUnavailableReason()

const STEPS = 16
const F = 3

/**
 * Lead-lag series: feature 0 leads the target by 3 steps and feature 1 by 6 (target at window end e is
 * x0[e-3] + 0.6 * x1[e-6] + noise); feature 2 carries no signal. Binary labels are its sign (noise sd 0.3);
 * quantile targets its value with noise of sd 0.1 + 0.8 |x2[e]| (heteroscedastic, so interval widths must vary).
 */
function leadLag(n: number, seed: number, task: Task): Dataset & { x: WindowTensorView } {
  const g = gauss(seed)
  const base = Float32Array.from({ length: (n + STEPS) * F }, g)
  const end = Int32Array.from({ length: n }, (_, i) => i + STEPS)
  const y = Float64Array.from(end, (e) => {
    const signal = base[(e - 3) * F] + 0.6 * base[(e - 6) * F + 1]
    if (task.kind === 'binary') return signal + 0.3 * g() > 0 ? 1 : 0
    return signal + (0.1 + 0.8 * Math.abs(base[e * F + 2])) * g()
  })
  const names = Array.from({ length: F }, (_, j) => `f${j}`)
  return { x: { kind: 'window_tensor', n, steps: STEPS, f: F, base, end, names }, y }
}

/** Labels permuted (deterministically): same marginal distribution, no relation to the inputs. */
function shuffled(d: Dataset, seed: number): Dataset {
  const y = Float64Array.from(d.y)
  let s = seed >>> 0
  for (let i = y.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const j = Math.floor((s / 4294967296) * (i + 1))
    const t = y[i]
    y[i] = y[j]
    y[j] = t
  }
  return { ...d, y }
}

function accuracy(p: Float64Array, y: Float64Array): number {
  let ok = 0
  for (let i = 0; i < y.length; i++) ok += (p[i] > 0.5 ? 1 : 0) === y[i] ? 1 : 0
  return ok / y.length
}

function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length
  const ma = a.reduce((s, v) => s + v, 0) / n
  const mb = b.reduce((s, v) => s + v, 0) / n
  let ab = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb)
    aa += (a[i] - ma) ** 2
    bb += (b[i] - mb) ** 2
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0
}

/** Light settings per model: enough to learn the planted signal in a few seconds. */
const LIGHT: Record<string, Record<string, unknown>> = {
  patchtst: { patchLen: 4, stride: 2, dModel: 16, heads: 2, layers: 1, ff: 32, headDim: 4 },
  nhits: { poolKernels: [4, 2, 1], downsample: [4, 2, 1], horizon: 4, units: 32 },
  nbeats: { horizon: 4, units: 32 },
  tsmixer: { blocks: 2, ff: 16 },
  quantile_rnn: { hidden: 32, epochs: 20, lr: 1e-2 },
  deepar: { hidden: 32, layers: 1, epochs: 20, lr: 1e-2 },
  inception_time: { filters: 8, kernels: [9, 5, 3], bottleneck: 8, depth: 3 },
  resnet1d: { channels: [16, 16], kernels: [5, 3, 3] },
  itransformer: { dModel: 16, heads: 2, layers: 1, ff: 32 },
  tft: { hidden: 16, heads: 2, epochs: 15, lr: 1e-2 },
}
const TRAIN = { epochs: 10, batchSize: 64, lr: 5e-3, patience: 0 }
const ZOO = Object.keys(LIGHT)

const quantileTask: Task = { kind: 'quantile', quantiles: [0.05, 0.5, 0.95] }
const PROBABILISTIC = new Set(['quantile_rnn', 'deepar'])
const taskFor = (name: string): Task => (PROBABILISTIC.has(name) ? quantileTask : { kind: 'binary' })

/** Skill on test data: accuracy for binary, correlation of q50 with the target for quantile models. */
function skill(out: Outputs, task: Task, y: Float64Array): number {
  return task.kind === 'binary' ? accuracy(out.p_up!, y) : correlation(out.q50!, y)
}

describe('neural zoo', () => {
  if (reason) {
    it('libtorch addon', (t) => t.skip(reason))
    return
  }

  for (const name of ZOO) {
    it(`${name} learns a planted lead-lag signal and beats a shuffled-label control`, async () => {
      const task = taskFor(name)
      const train = leadLag(2000, 1, task)
      const test = leadLag(400, 2, task)
      const fit = async (d: Dataset): Promise<number> => {
        const m = createModel(name, { ...TRAIN, ...LIGHT[name] }, task)
        await m.fit(d, undefined, { seed: 3, threads: 1 })
        return skill(m.predict(test.x), task, test.y)
      }
      const real = await fit(train)
      const control = await fit(shuffled(train, 9))
      const floor = task.kind === 'binary' ? 0.75 : 0.6
      assert.ok(real > floor, `${name}: skill ${real.toFixed(3)} with real labels (need > ${floor})`)
      assert.ok(real - control > 0.15, `${name}: real ${real.toFixed(3)} vs shuffled ${control.toFixed(3)}`)
    })
  }

  it('a prediction ignores every base row after its window (sample-level causality)', async () => {
    const train = leadLag(200, 4, { kind: 'binary' })
    for (const name of ZOO) {
      const task = taskFor(name)
      const m = createModel(name, { ...LIGHT[name], epochs: 1, batchSize: 64 }, task)
      await m.fit(task.kind === 'binary' ? train : leadLag(200, 4, task), undefined, { seed: 5, threads: 1 })
      const x = leadLag(40, 6, task).x
      const col = (o: Outputs): Float64Array => (task.kind === 'binary' ? o.p_up! : o.q50!)
      const p0 = col(m.predict(x))
      const i = 20
      const after = Float32Array.from(x.base)
      for (let r = (x.end[i] + 1) * x.f; r < after.length; r++) after[r] += 5
      const p1 = col(m.predict({ ...x, base: after }))
      for (let k = 0; k <= i; k++) assert.equal(p1[k], p0[k], `${name}: window ${k} changed by rows after its end`)
      const inside = Float32Array.from(x.base)
      inside[x.end[i] * x.f] += 5
      assert.notEqual(col(m.predict({ ...x, base: inside }))[i], p0[i], `${name}: the window's last row must matter`)
    }
  })

  it('patchtst is causal per patch: tokens up to the patch ending at t ignore steps after t', () => {
    const t = torch()
    t.manualSeed(4)
    const L = 32
    const net = patchtstNetwork(
      patchtstParams.parse({ patchLen: 8, stride: 4, dModel: 16, heads: 2, layers: 2, ff: 16 }),
      { kind: 'window_tensor', steps: L, f: 2 },
      1,
    )
    net.training = false
    // Patches end at steps 7, 11, ..., 31; perturb every step after 19 (the end of patch 3).
    const x = t.keep(t.randn([2, L, 2]))
    const y = tidy(() => t.keep(t.cat([x.narrow(1, 0, 20), x.narrow(1, 20, L - 20).add(2)], 1)))
    tidy(() => {
      const a = net.tokens(x)
      const b = net.tokens(y)
      assert.equal(a.shape[1], 7, 'patch count for L=32, patch 8, stride 4')
      assert.deepEqual(b.narrow(1, 0, 4).toArray(), a.narrow(1, 0, 4).toArray(), 'tokens of patches ending <= 19')
      assert.notDeepEqual(b.narrow(1, 4, 1).toArray(), a.narrow(1, 4, 1).toArray(), 'the next patch must change')
    })
    disposeModule(net)
    x.dispose()
    y.dispose()
  })

  it('quantile heads never cross, whatever the raw outputs', () => {
    const t = torch()
    t.manualSeed(1)
    tidy(() => {
      const q = monotoneQuantiles(t.randn([500, 3]).mul(10), 1).toArray() as Float32Array
      for (let i = 0; i < 500; i++) {
        assert.ok(q[3 * i] <= q[3 * i + 1] && q[3 * i + 1] <= q[3 * i + 2], `row ${i} crosses`)
      }
    })
  })

  const coverageCases: [string, Record<string, unknown>][] = [
    ['quantile_rnn', {}],
    ['deepar', { likelihood: 'gaussian' }],
    ['deepar', { likelihood: 'student_t' }],
    ['patchtst', {}],
  ]
  for (const [name, extra] of coverageCases) {
    it(`${name} ${JSON.stringify(extra)}: [q05, q95] covers about 90% of held-out targets`, async () => {
      const train = leadLag(3000, 11, quantileTask)
      const val = leadLag(600, 12, quantileTask)
      const test = leadLag(1500, 13, quantileTask)
      // The band is conformalized on the validation set by the conformal wrapper (CQR).
      const m = conformalized(
        createModel(
          name,
          { ...LIGHT[name], ...extra, epochs: 25, batchSize: 128, lr: 5e-3, patience: 4 },
          quantileTask,
        ),
        { coverage: 0.9 },
      )
      await m.fit(train, val, { seed: 2, threads: 1 })
      const out = m.predict(test.x)
      let inside = 0
      for (let i = 0; i < test.x.n; i++) inside += out.q05![i] <= test.y[i] && test.y[i] <= out.q95![i] ? 1 : 0
      const coverage = inside / test.x.n
      assert.ok(Math.abs(coverage - 0.9) <= 0.05, `${name}: coverage ${coverage.toFixed(3)} not within 0.90 +- 0.05`)
      assert.equal(m.calibration?.n, 600, `${name}: CQR calibrated on the 600 validation rows`)
      // The margin travels with the saved wrapper, the inner model in its folder.
      const dir = tempDir('mlf-zoo-cqr-')
      await m.save(dir)
      assert.deepEqual((await loadConformalized(dir)).predict(test.x).q95, out.q95, `${name}: q95 after reload`)
      if (!PROBABILISTIC.has(name)) return
      // Wider intervals where the planted noise is larger (|x2| at the window end).
      const noise = Float64Array.from(test.x.end, (e) => Math.abs(test.x.base[e * F + 2]))
      const width = Float64Array.from(out.q95!, (v, i) => v - out.q05![i])
      const wc = correlation(width, noise)
      assert.ok(
        wc > 0.3,
        `${name}: interval width does not follow the noise scale (corr ${wc.toFixed(3)}, coverage ${coverage.toFixed(3)})`,
      )
    })
  }

  it('patchtst and tsmixer take a multi_res view (signal at the coarse resolution), save and reload it', async () => {
    const make = (n: number, seed: number): Dataset & { x: MultiResView } => {
      const fine = leadLag(n, seed, { kind: 'binary' }).x
      const coarseData = leadLag(n, seed + 50, { kind: 'binary' })
      const coarse = { ...coarseData.x, steps: 8, end: coarseData.x.end }
      return {
        x: {
          kind: 'multi_res',
          n,
          parts: [
            { ...fine, timeframe: '1m' },
            { ...coarse, timeframe: '5m' },
          ],
        },
        y: coarseData.y, // the label depends on the 5m part only
      }
    }
    const train = make(1000, 21)
    const test = make(400, 22)
    for (const name of ['patchtst', 'tsmixer']) {
      const m = createModel(name, { ...LIGHT[name], ...TRAIN }, { kind: 'binary' })
      await m.fit(train, undefined, { seed: 1, threads: 1 })
      const p = m.predict(test.x).p_up!
      const acc = accuracy(p, test.y)
      assert.ok(acc > 0.75, `${name}: accuracy ${acc.toFixed(3)} on multi_res`)
      const dir = tempDir('mlf-zoo-mr-')
      await m.save(dir)
      const loaded = await registry.get(name)!.load(dir)
      assert.deepEqual(loaded.predict(test.x).p_up, p, `${name}: multi_res predictions after save/load`)
      const onePart: MultiResView = { ...test.x, parts: [test.x.parts[0]] }
      assert.throws(() => m.predict(onePart), /was fitted on multi_res \(1m: steps=16, f=3; 5m: steps=8, f=3\)/)
    }
    assert.throws(
      () => createModel('nbeats', {}, { kind: 'binary' }).predict(test.x),
      /not fitted|takes a window_tensor or feature_matrix view/,
    )
    await assert.rejects(
      createModel('nbeats', { epochs: 1 }, { kind: 'binary' }).fit(train, undefined, { seed: 1, threads: 1 }),
      /takes a window_tensor or feature_matrix view, got multi_res/,
    )
  })

  it('nbeats exposes its decomposition: one forecast per stack, the trend one a low-degree polynomial', () => {
    const t = torch()
    t.manualSeed(3)
    const p = nbeatsParams.parse({ horizon: 12, units: 16, trendDegree: 2, harmonics: 2 })
    const net = nbeatsNetwork(p, { kind: 'window_tensor', steps: 16, f: 2 }, 1)
    net.training = false
    const x = t.keep(t.randn([3, 16, 2]))
    tidy(() => {
      const parts = net.decompose(x)
      assert.deepEqual(Object.keys(parts), ['trend', 'seasonality', 'generic'])
      assert.deepEqual(parts.trend.shape, [3, 2, 12])
      // A degree-2 polynomial has zero third differences.
      const tr = parts.trend.to('float64').toArray() as Float64Array
      for (let s = 0; s < 6; s++) {
        const r = tr.subarray(s * 12, s * 12 + 12)
        for (let i = 0; i + 3 < 12; i++) {
          const d3 = r[i + 3] - 3 * r[i + 2] + 3 * r[i + 1] - r[i]
          assert.ok(Math.abs(d3) < 1e-4 * (1 + Math.abs(r[i])), `trend third difference ${d3}`)
        }
      }
      assert.notDeepEqual(parts.seasonality.toArray(), parts.trend.toArray())
    })
    disposeModule(net)
    x.dispose()
  })

  it('tft exposes its variable-selection and attention weights (rows sum to 1, causal attention)', () => {
    const t = torch()
    t.manualSeed(6)
    const p = tftParams.parse({ hidden: 8, heads: 2, staticFeatures: [2] })
    const net = tftNetwork(p, { kind: 'window_tensor', steps: 10, f: 4 }, 1)
    net.training = false
    const x = t.keep(t.randn([5, 10, 4]))
    tidy(() => {
      const e = net.explain(x)
      assert.deepEqual(e.observed.shape, [5, 10, 3], 'one weight per observed feature and step')
      assert.deepEqual(e.static!.shape, [5, 1])
      assert.deepEqual(e.attention.shape, [5, 10, 10])
      const obs = e.observed.sum(-1).to('float64').toArray() as Float64Array
      for (const v of obs) assert.ok(Math.abs(v - 1) < 1e-5, `selection weights sum to ${v}`)
      const att = e.attention.to('float64').toArray() as Float64Array
      for (let b = 0; b < 5; b++)
        for (let i = 0; i < 10; i++)
          for (let j = i + 1; j < 10; j++) assert.ok(att[(b * 10 + i) * 10 + j] < 1e-6, 'attends to a later step')
    })
    assert.throws(
      () => tftNetwork(tftParams.parse({ staticFeatures: [4] }), { kind: 'window_tensor', steps: 10, f: 4 }, 1),
      /index 4 is beyond the 4 features/,
    )
    disposeModule(net)
    x.dispose()
  })
})
