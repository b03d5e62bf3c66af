import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadBooster, xgboostAvailability } from '../../../src/engines/xgboost/index.js'
import type { XgbModel } from '../../../src/engines/xgboost/model.js'
import type { Dataset } from '../../../src/models/contract.js'
import type { FeatureMatrixView } from '../../../src/features/views/types.js'
import { createModel, registry } from '../../../src/models/registry.js'
import { sharedMatrix } from '../../../src/features/views/shared.js'
import { tempDir } from '../../helpers.js'
import { syntheticSplit } from '../contract-data.js'

const availability = xgboostAvailability()
const CTX = { seed: 3, threads: 1 }

/** Trees in a saved XGBoost JSON model, with their leaf counts. */
function treesOf(dir: string): { count: number; leaves: number[]; numParallel: string } {
  const bytes = readFileSync(join(dir, 'model.ubj'))
  const booster = loadBooster(bytes)
  try {
    const json = JSON.parse(Buffer.from(booster.save('json')).toString('utf8')) as {
      learner: {
        gradient_booster: {
          model: { trees: { left_children: number[] }[]; gbtree_model_param: { num_parallel_tree: string } }
        }
      }
    }
    const m = json.learner.gradient_booster.model
    return {
      count: m.trees.length,
      leaves: m.trees.map((t) => t.left_children.filter((c) => c === -1).length),
      numParallel: m.gbtree_model_param.num_parallel_tree,
    }
  } finally {
    booster.free()
  }
}

describe('XGBoost-backed models', { skip: availability.ok ? false : availability.hint }, () => {
  const split = syntheticSplit('feature_matrix', { kind: 'binary' })
  const testX = split.test.x as FeatureMatrixView

  it('xgboost: early stopping on val keeps fewer rounds than asked; SHAP rows sum to the margin', async () => {
    const model = createModel(
      'xgboost',
      { n_estimators: 400, learning_rate: 0.5, early_stopping_rounds: 5 },
      { kind: 'binary' },
    ) as XgbModel
    await model.fit(split.train, split.val, CTX)
    assert.ok(model.rounds < 400, `kept ${model.rounds} rounds`)
    const shap = model.contributions(testX)
    assert.deepEqual(shap.shape, [testX.n, 1, testX.f + 1])
    const p = model.predict(testX).p_up!
    for (let i = 0; i < testX.n; i++) {
      let m = 0
      for (let j = 0; j <= testX.f; j++) m += shap.values[i * (testX.f + 1) + j]
      assert.ok(Math.abs(1 / (1 + Math.exp(-m)) - p[i]) < 1e-5, `row ${i}`)
    }
    // The planted signal lives in features 0 and 1.
    const gain = model.importance('gain')
    const noise = Math.max(...Array.from(gain.subarray(2)))
    assert.ok(gain[0] > noise && gain[1] > noise, `gain ${Array.from(gain).join(', ')}`)
  })

  it('xgboost without a validation set trains every round', async () => {
    const model = createModel('xgboost', { n_estimators: 17 }, { kind: 'regression' }) as XgbModel
    const reg = syntheticSplit('feature_matrix', { kind: 'regression' })
    await model.fit(reg.train, undefined, CTX)
    assert.equal(model.rounds, 17)
  })

  it('xgboost_leafwise grows loss-guided trees within max_leaves', async () => {
    const model = createModel(
      'xgboost_leafwise',
      { n_estimators: 20, max_leaves: 5, early_stopping_rounds: 100 },
      { kind: 'binary' },
    ) as XgbModel
    await model.fit(split.train, split.val, CTX)
    const dir = tempDir()
    await model.save(dir)
    const trees = treesOf(dir)
    assert.equal(trees.count, 20)
    assert.ok(
      trees.leaves.every((l) => l <= 5),
      `leaves per tree ${trees.leaves.join(',')}`,
    )
    assert.ok(
      trees.leaves.some((l) => l === 5),
      'max_leaves is reached on this data',
    )
  })

  it('random_forest is one round of n_estimators parallel trees; 3-class forest has a forest per class', async () => {
    const model = createModel(
      'random_forest',
      { n_estimators: 12, max_depth: 4 },
      { kind: 'multiclass', classes: 3 },
    ) as XgbModel
    const mc = syntheticSplit('feature_matrix', { kind: 'multiclass', classes: 3 })
    await model.fit(mc.train, mc.val, CTX)
    assert.equal(model.rounds, 1)
    const dir = tempDir()
    await model.save(dir)
    const trees = treesOf(dir)
    assert.equal(trees.numParallel, '12')
    assert.equal(trees.count, 36)
    // Different seeds draw different bootstrap rows.
    const other = createModel(
      'random_forest',
      { n_estimators: 12, max_depth: 4 },
      { kind: 'multiclass', classes: 3 },
    ) as XgbModel
    await other.fit(mc.train, mc.val, { seed: 4, threads: 1 })
    assert.notDeepEqual(other.predict(mc.test.x).p, model.predict(mc.test.x).p)
  })

  it('rejects bad labels, wrong widths and other views; unfitted models say so', async () => {
    const model = createModel('xgboost', { n_estimators: 3 }, { kind: 'multiclass', classes: 3 })
    assert.throws(() => model.predict(split.test.x), /not fitted/)
    const bad: Dataset = { x: split.train.x, y: Float64Array.from(split.train.y, (v, i) => (i === 4 ? 3 : v)) }
    await assert.rejects(model.fit(bad, undefined, CTX), /class label y\[4\] = 3, expected an integer in 0\.\.2/)
    const bin = createModel('xgboost', { n_estimators: 3 }, { kind: 'binary' })
    await bin.fit(split.train, undefined, CTX)
    const x = testX
    assert.throws(
      () => bin.predict({ ...x, f: x.f - 1, data: x.data.subarray(0, x.n * (x.f - 1)) }),
      /fitted on 6 features, got 5/,
    )
    const win = syntheticSplit('window_tensor', { kind: 'binary' })
    assert.throws(() => bin.predict(win.test.x), /takes a feature_matrix view, got window_tensor/)
  })

  it('a saved model that was tampered with fails to load naming the file and the field', async () => {
    const model = createModel('xgboost', { n_estimators: 3 }, { kind: 'binary' })
    await model.fit(split.train, undefined, CTX)
    const dir = tempDir()
    await model.save(dir)
    const metaPath = join(dir, 'model.meta.json')
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>
    writeFileSync(metaPath, JSON.stringify({ ...meta, model: 'random_forest' }))
    await assert.rejects(
      registry.get('xgboost')!.load(dir),
      (e: Error) => e.message.includes(metaPath) && e.message.includes('field "model"'),
    )
    for (const [field, edit] of [
      ['nFeatures', { nFeatures: 0 }],
      ['threads', { threads: -2 }],
      ['task', { task: { kind: 'multiclass', classes: 1 } }],
      ['featureNames', { featureNames: ['a'] }],
      ['extra', { extra: 1 }],
    ] as const) {
      writeFileSync(metaPath, JSON.stringify({ ...meta, ...edit }))
      await assert.rejects(registry.get('xgboost')!.load(dir), (e: Error) =>
        e.message.startsWith(`${metaPath}: field "${field === 'extra' ? '(root)' : field}`),
      )
    }
    writeFileSync(metaPath, JSON.stringify(meta))
    writeFileSync(join(dir, 'model.ubj'), 'garbage')
    await assert.rejects(registry.get('xgboost')!.load(dir), /model\.ubj/)
  })

  it('a fold of a shared matrix fits and scores exactly as its gathered rows, models in turn sharing one slice', async () => {
    // 3 classes, 6 features (0 and 1 carry the signal), 5% missing; dataset rows are even numbers.
    const n = 900
    const f = 6
    let s = 7
    const u = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296
    const data = Float64Array.from({ length: n * f }, () => (u() < 0.05 ? NaN : u() * 2 - 1))
    const yAll = Float64Array.from({ length: n }, (_, i) => {
      const v = (data[i * f] || 0) + 0.5 * (data[i * f + 1] || 0) + 0.4 * (u() - 0.5)
      return v > 0.3 ? 2 : v < -0.3 ? 0 : 1
    })
    const names = Array.from({ length: f }, (_, j) => `f${j}`)
    const rows = Int32Array.from({ length: n }, (_, i) => 2 * i)
    const gathered = (keep: (i: number) => boolean) => {
      const at = Array.from({ length: n }, (_, i) => i).filter(keep)
      const x = new Float64Array(at.length * f)
      at.forEach((p, k) => x.set(data.subarray(p * f, (p + 1) * f), k * f))
      const view: FeatureMatrixView = { kind: 'feature_matrix', n: at.length, f, data: x, names }
      return { view, rows: Int32Array.from(at, (p) => rows[p]), y: Float64Array.from(at, (p) => yAll[p]) }
    }
    const train = gathered((i) => i % 5 !== 0)
    const test = gathered((i) => i % 5 === 0)
    const task = { kind: 'multiclass', classes: 3 } as const
    const params = {
      xgboost: { n_estimators: 20, max_depth: 3 },
      xgboost_leafwise: { n_estimators: 20, max_leaves: 7 },
    }
    const saved = async (m: XgbModel) => {
      const dir = tempDir()
      await m.save(dir)
      return readFileSync(join(dir, 'model.ubj'))
    }
    const shared = sharedMatrix({ kind: 'feature_matrix', n, f, data, names }, rows)
    const sub = shared.subset(train.rows)!
    const subTest = shared.subset(test.rows)!
    const weight = Float64Array.from(train.y, (_, i) => 1 + (i % 3))
    for (const [name, p] of Object.entries(params)) {
      for (const w of [undefined, weight]) {
        const what = `${name}${w ? ' weighted' : ''}`
        const plain = createModel(name, p, task) as XgbModel
        await plain.fit({ x: train.view, y: train.y, ...(w ? { weight: w } : {}) }, undefined, CTX)
        const fromShared = createModel(name, p, task) as XgbModel
        await fromShared.fit({ x: sub, y: train.y, ...(w ? { weight: w } : {}) }, undefined, CTX)
        assert.deepEqual(await saved(fromShared), await saved(plain), `${what}: the same trees`)
        assert.deepEqual(fromShared.predict(subTest).p, plain.predict(test.view).p, `${what}: the same scores`)
      }
    }
    // The whole base (a refit) trains on the base's copy itself.
    const all = shared.subset(rows)!
    const refit = createModel('xgboost', params.xgboost, task) as XgbModel
    await refit.fit({ x: all, y: yAll }, undefined, CTX)
    const plainAll = createModel('xgboost', params.xgboost, task) as XgbModel
    await plainAll.fit({ x: { kind: 'feature_matrix', n, f, data, names }, y: yAll }, undefined, CTX)
    assert.deepEqual(await saved(refit), await saved(plainAll))
    // Once the shared matrix is disposed its views are scored from their data, with the same result.
    const before = refit.predict(subTest).p
    shared.dispose()
    assert.deepEqual(refit.predict(subTest).p, before)
  })
})
