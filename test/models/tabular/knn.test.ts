import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createKnn, knnParams, loadKnn } from '../../../src/models/tabular/knn.js'
import { accuracy, ctx, matrix, plantedClasses } from './helpers.js'

const train = plantedClasses(1200, 4, 3, 21)
const held = plantedClasses(200, 4, 3, 22)
const trainX = train.x.kind === 'feature_matrix' ? train.x : undefined!

/** Brute-force reference: z-score with train mean / population sd, k nearest by squared distance, index ties. */
function referenceProbabilities(k: number): Float64Array {
  const { n, f, data } = trainX
  const mean = new Array<number>(f).fill(0)
  const sd = new Array<number>(f).fill(0)
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += data[i * f + j] / n
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) sd[j] += (data[i * f + j] - mean[j]) ** 2 / n
  const z = (row: ArrayLike<number>, j: number): number => (row[j] - mean[j]) / Math.sqrt(sd[j])
  const q = held.x.kind === 'feature_matrix' ? held.x.data : new Float64Array()
  const out = new Float64Array(held.y.length * 3)
  for (let i = 0; i < held.y.length; i++) {
    const qi = q.subarray(i * f, i * f + f)
    const d = Array.from({ length: n }, (_, r) => {
      const row = data.subarray(r * f, r * f + f)
      let s = 0
      for (let j = 0; j < f; j++) s += (z(qi, j) - z(row, j)) ** 2
      return { r, s }
    })
    d.sort((a, b) => a.s - b.s || a.r - b.r)
    for (let c = 0; c < k; c++) out[i * 3 + train.y[d[c].r]] += 1 / k
  }
  return out
}

test('knn exact search equals a brute-force reference in the z-scored space', async () => {
  const model = createKnn(knnParams.parse({ k: 15 }), { kind: 'multiclass', classes: 3 })
  await model.fit(train, undefined, ctx)
  const p = model.predict(held.x).p!
  const ref = referenceProbabilities(15)
  for (let i = 0; i < p.length; i++) assert.ok(Math.abs(p[i] - ref[i]) < 1e-12, `p[${i}] ${p[i]} vs ${ref[i]}`)
  assert.ok(accuracy(p, held.y, 3) > 0.6)
})

test('knn HNSW: deterministic per seed, close to exact, saved graph answers identically', async () => {
  const params = knnParams.parse({ k: 15, exact_max_rows: 0, hnsw_ef_search: 200 })
  const a = createKnn(params, { kind: 'multiclass', classes: 3 })
  const b = createKnn(params, { kind: 'multiclass', classes: 3 })
  await a.fit(train, undefined, ctx)
  await b.fit(train, undefined, ctx)
  const pa = a.predict(held.x).p!
  assert.deepEqual(b.predict(held.x).p, pa)
  // With a generous ef the approximate neighbours are (nearly) the exact ones.
  const exact = createKnn(knnParams.parse({ k: 15 }), { kind: 'multiclass', classes: 3 })
  await exact.fit(train, undefined, ctx)
  const ne = exact.neighbours(held.x)
  const na = a.neighbours(held.x)
  let found = 0
  for (let i = 0; i < held.y.length; i++) {
    const set = new Set(ne.index.subarray(i * 15, i * 15 + 15))
    for (const r of na.index.subarray(i * 15, i * 15 + 15)) if (set.has(r)) found++
  }
  assert.ok(found / (held.y.length * 15) > 0.98, `recall ${found / (held.y.length * 15)}`)
  const dir = await mkdtemp(join(tmpdir(), 'mlf-knn-'))
  const dir2 = await mkdtemp(join(tmpdir(), 'mlf-knn-'))
  try {
    const refs = await a.save(dir)
    assert.ok(refs.files.includes('knn.hnsw'))
    assert.deepEqual((await loadKnn(dir)).predict(held.x).p, pa)
    // Same seed, same data: byte-identical graph file.
    await b.save(dir2)
    assert.deepEqual(await readFile(join(dir, 'knn.hnsw')), await readFile(join(dir2, 'knn.hnsw')))
  } finally {
    await rm(dir, { recursive: true, force: true })
    await rm(dir2, { recursive: true, force: true })
  }
})

test('knn: distance weights, regression, NaN imputation, exact-mode save/load', async () => {
  const x = matrix([0, 0, 1, 0, 3, 0, 10, 0], 4, 2)
  const y = Float64Array.of(0, 1, 1, 0)
  const model = createKnn(knnParams.parse({ k: 2, weights: 'distance' }), { kind: 'binary' })
  await model.fit({ x, y }, undefined, ctx)
  // Query at raw (0.25, 0): z-space distances scale equally, so weights are 1/0.25 and 1/0.75 for rows 0 and 1.
  const out = model.predict(matrix([0.25, 0], 1, 2))
  assert.ok(Math.abs(out.p_up![0] - 1 / 0.75 / (1 / 0.25 + 1 / 0.75)) < 1e-12)
  // An exact match takes all the weight.
  assert.equal(model.predict(matrix([1, 0], 1, 2)).p_up![0], 1)
  const reg = createKnn(knnParams.parse({ k: 2 }), { kind: 'regression' })
  await reg.fit({ x, y: Float64Array.of(1, 2, 4, 8) }, undefined, ctx)
  assert.deepEqual(reg.predict(matrix([2, 0], 1, 2)).E_r, Float64Array.of(3))
  // NaN in the first feature takes the training median (2), whose neighbours are rows 1 and 2.
  assert.deepEqual(reg.predict(matrix([NaN, 0], 1, 2)).E_r, Float64Array.of(3))
  const dir = await mkdtemp(join(tmpdir(), 'mlf-knn-'))
  try {
    await reg.save(dir)
    const loaded = await loadKnn(dir)
    assert.deepEqual(
      loaded.predict(matrix([2.6, 0, NaN, 0], 2, 2)).E_r,
      reg.predict(matrix([2.6, 0, NaN, 0], 2, 2)).E_r,
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  assert.throws(() => knnParams.parse({ k: 0 }))
})
