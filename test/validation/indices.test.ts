import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import {
  assertTrainIndices,
  gatherRows,
  isTrainIndices,
  mintTrainIndices,
  subsetTrainIndices,
  type TrainIndices,
} from '../../src/validation/indices.js'
import { repoRoot } from '../labels/helpers.js'

test('only minted arrays pass as TrainIndices; a cast is caught at run time', () => {
  const minted = mintTrainIndices(Int32Array.from([1, 4, 9]))
  assert.ok(isTrainIndices(minted))
  const forged = Int32Array.from([1, 4, 9]) as TrainIndices
  assert.ok(!isTrainIndices(forged))
  assert.throws(
    () => assertTrainIndices(forged, 'scaler.fit'),
    /scaler\.fit: expected TrainIndices produced by a split/,
  )
  assert.throws(() => assertTrainIndices([1, 2], 'model.fit'), /plain array/)
  assert.throws(() => mintTrainIndices(Int32Array.from([3, 3])), /not strictly increasing at position 1/)
  assert.throws(() => mintTrainIndices(Int32Array.from([-1])), /negative row/)
})

test('a subset of training rows stays TrainIndices; gatherRows picks values', () => {
  const t = mintTrainIndices(Int32Array.from([0, 2, 5, 7]))
  const even = subsetTrainIndices(t, (r) => r % 2 === 0)
  assert.ok(isTrainIndices(even))
  assert.deepEqual([...even], [0, 2])
  assert.deepEqual([...gatherRows(Float64Array.from([10, 11, 12, 13, 14, 15, 16, 17]), t)], [10, 12, 15, 17])
  assert.throws(() => gatherRows(new Float64Array(3), t), /row 5 out of range/)
})

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

test('mintTrainIndices is imported by no module outside src/validation/', () => {
  const src = path.join(repoRoot, 'src')
  const offenders = sources(src)
    .filter((f) => !f.startsWith(path.join(src, 'validation') + path.sep))
    .filter((f) => /\bmintTrainIndices\b/.test(readFileSync(f, 'utf8')))
  assert.deepEqual(offenders, [])
})
