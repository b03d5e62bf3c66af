/**
 * The conformal wrapper around quantile models: a real quantile model (quantile_rnn) gets a band that covers about
 * the target share of held-out data, keeps lo <= mid <= hi, and saves and loads to bitwise the same predictions; the
 * wrapper refuses what it cannot calibrate (no validation set, a model without a quantile band, a bad saved file).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { torchUnavailableReason } from '../../src/engines/torch/index.js'
import type { FeatureMatrixView, WindowTensorView } from '../../src/features/views/types.js'
import type { Dataset, Model, Outputs, Task } from '../../src/models/contract.js'
import { leafModels, modelParts } from '../../src/models/composite.js'
import { createModel } from '../../src/models/registry.js'
import { CONFORMAL_FILE, conformalized, loadConformalized } from '../../src/inference/conformal/model.js'
import { gauss, tempDir } from '../helpers.js'

const QUANTILE: Task = { kind: 'quantile', quantiles: [0.05, 0.5, 0.95] }
const CTX = { seed: 3, threads: 1 }

function coverage(out: Outputs, y: Float64Array): number {
  let inside = 0
  for (let i = 0; i < y.length; i++) inside += out.q05![i] <= y[i] && y[i] <= out.q95![i] ? 1 : 0
  return inside / y.length
}

function assertOrdered(out: Outputs, who: string): void {
  for (let i = 0; i < out.n; i++) {
    assert.ok(out.q05![i] <= out.q50![i] && out.q50![i] <= out.q95![i], `${who}: band crosses at row ${i}`)
  }
}

/** A fixed quantile model on a feature matrix: q50 = x0, band q50 +- halfWidth. Fitting does nothing. */
function fixedBand(halfWidth: number): Model {
  const band = (x: FeatureMatrixView, d: number) => Float64Array.from({ length: x.n }, (_, i) => x.data[i * x.f] + d)
  return {
    spec: {
      name: 'fixed_band',
      family: 'linear',
      inputView: 'feature_matrix',
      outputs: ['q05', 'q50', 'q95'],
      tasks: ['quantile'],
      causal: true,
      zeroShot: true,
    },
    task: QUANTILE,
    fit: async () => {},
    predict: (x) => {
      const m = x as FeatureMatrixView
      return { n: m.n, q05: band(m, -halfWidth), q50: band(m, 0), q95: band(m, halfWidth) }
    },
    save: async () => ({ files: [] }),
  }
}

/** y = x0 + N(0, 1): a band of +-1.645 around x0 covers 90%. */
function noisyLine(n: number, seed: number): Dataset & { x: FeatureMatrixView } {
  const g = gauss(seed)
  const data = Float64Array.from({ length: n }, g)
  return {
    x: { kind: 'feature_matrix', n, f: 1, data, names: ['x0'] },
    y: data.map((v) => v + g()),
  }
}

test('the margin widens a too narrow band and narrows a too wide one to the target coverage, never crossing', async () => {
  const val = noisyLine(1000, 1)
  const fresh = noisyLine(20000, 2)
  for (const [halfWidth, target] of [
    [0.5, 0.9],
    [3, 0.9],
    [0.5, 0.8],
  ]) {
    const inner = fixedBand(halfWidth)
    const raw = coverage(inner.predict(fresh.x), fresh.y)
    const model = conformalized(inner, { coverage: target })
    await model.fit(noisyLine(10, 0), val, CTX)
    assert.equal(model.calibration?.n, 1000)
    assert.equal(model.calibration?.coverage, target)
    const out = model.predict(fresh.x)
    const c = coverage(out, fresh.y)
    const who = `half-width ${halfWidth}, coverage ${target}: raw ${raw.toFixed(3)} -> ${c.toFixed(3)}`
    assert.ok(Math.abs(c - target) <= 0.03, who)
    assert.ok(halfWidth < 1 ? model.calibration!.margin > 0 : model.calibration!.margin < 0, who)
    assertOrdered(out, who)
    assert.deepEqual(out.q50, inner.predict(fresh.x).q50, `${who}: the median is the inner model's`)
  }
})

test('the wrapper declares its inner model as its one part, and refuses what it cannot calibrate', async () => {
  const inner = fixedBand(1)
  const model = conformalized(inner)
  assert.deepEqual(modelParts(model), [{ name: 'fixed_band', model: inner, role: 'inner' }])
  assert.deepEqual(leafModels(model), [{ model: inner }])
  assert.deepEqual(model.spec.outputs, inner.spec.outputs)
  assert.equal(model.spec.inputView, 'feature_matrix')

  const train = noisyLine(100, 4)
  await assert.rejects(model.fit(train, undefined, CTX), /conformal: fitting needs a validation set/)
  assert.throws(() => model.predict(train.x), /is not calibrated \(fit it first\)/)
  await assert.rejects(model.save(tempDir()), /is not calibrated/)
  // Eight rows cannot give a 90% conformal quantile (it needs ceil(0.9 (n + 1)) <= n).
  await assert.rejects(
    model.fit(train, noisyLine(8, 5), CTX),
    /8 calibration rows are too few for coverage 0.9 \(need at least 9\)/,
  )
  assert.throws(() => conformalized(createModel('logistic', {}, { kind: 'binary' })), /wraps a quantile model/)
  assert.throws(() => conformalized(inner, { coverage: 1 }), /conformal: invalid parameters: coverage/)
  const noBand: Model = { ...inner, predict: (x) => ({ n: x.n, q50: new Float64Array(x.n) }) }
  await assert.rejects(conformalized(noBand).fit(train, noisyLine(50, 6), CTX), /gave no q05, q50 and q95/)
})

const STEPS = 12
const F = 3

/** Windows whose target's last value leads by 2 steps, with noise growing with |x2| (heteroscedastic). */
function windows(n: number, seed: number): Dataset & { x: WindowTensorView } {
  const g = gauss(seed)
  const base = Float32Array.from({ length: (n + STEPS) * F }, g)
  const end = Int32Array.from({ length: n }, (_, i) => i + STEPS)
  const y = Float64Array.from(end, (e) => base[(e - 2) * F] + (0.2 + 0.6 * Math.abs(base[e * F + 2])) * g())
  const names = Array.from({ length: F }, (_, j) => `f${j}`)
  return { x: { kind: 'window_tensor', n, steps: STEPS, f: F, base, end, names }, y }
}

test('quantile_rnn, conformalized: ~90% held-out coverage, ordered band, bitwise save/load', async (t) => {
  const reason = torchUnavailableReason()
  if (reason) return t.skip(reason)
  const train = windows(1500, 11)
  const val = windows(500, 12)
  const held = windows(3000, 13)
  const params = { hidden: 12, epochs: 6, batchSize: 128, lr: 1e-2, patience: 3 }
  const model = conformalized(createModel('quantile_rnn', params, QUANTILE), { coverage: 0.9 })
  await model.fit(train, val, CTX)
  assert.equal(model.calibration?.n, 500)
  const out = model.predict(held.x)
  const c = coverage(out, held.y)
  assert.ok(Math.abs(c - 0.9) <= 0.04, `held-out coverage ${c.toFixed(3)} is not within 0.90 +- 0.04`)
  assertOrdered(out, 'quantile_rnn conformalized')

  const dir = tempDir('mlf-conformal-')
  const refs = await model.save(dir)
  assert.ok(refs.files.includes(CONFORMAL_FILE) && refs.files.some((f) => f.startsWith('inner/')), refs.files.join())
  for (const f of refs.files) assert.ok(existsSync(join(dir, f)), `save listed ${f} but it is absent`)
  const loaded = await loadConformalized(dir)
  assert.deepEqual(loaded.calibration, model.calibration)
  const again = loaded.predict(held.x)
  for (const k of ['q05', 'q50', 'q95'] as const) assert.deepEqual(again[k], out[k], `${k} after save/load`)
  assert.equal(modelParts(loaded)[0].name, 'quantile_rnn')

  // A saved margin that is not a finite number, or an inner model the registry does not know, is refused by file.
  const file = join(dir, CONFORMAL_FILE)
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  writeFileSync(file, JSON.stringify({ ...saved, margin: 'wide' }))
  await assert.rejects(loadConformalized(dir), new RegExp(`${file}: invalid model file:\\n  margin:`))
  writeFileSync(file, JSON.stringify({ ...saved, inner: 'no_such_model' }))
  await assert.rejects(loadConformalized(dir), /inner model "no_such_model" is not in the registry/)
})
