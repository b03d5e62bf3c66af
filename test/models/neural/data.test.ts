import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { tidy, torchUnavailableReason } from '../../../src/engines/torch/index.js'
import type { FeatureMatrixView, MultiResView, WindowTensorView } from '../../../src/features/views/types.js'
import {
  epochPermutation,
  fitStandardizer,
  gatherInputs,
  prepareForEpochs,
  sampleWidth,
  layoutOf,
  type NeuralView,
  type Standardizer,
} from '../../../src/models/neural/data.js'
import { gaussian, rng } from '../tabular/helpers.js'

const reason = torchUnavailableReason()

/** Windows over a base with uncovered rows before and after them, some values NaN, features on different scales. */
function windows(seed: number, rows: number, steps: number, f: number, ends: number[]): WindowTensorView {
  const u = rng(seed)
  const g = gaussian(u)
  const base = Float32Array.from({ length: rows * f }, (_, k) =>
    u() < 0.05 ? NaN : 100 * (k % f) + g() * (1 + (k % f)),
  )
  return { kind: 'window_tensor', n: ends.length, steps, f, base, end: Int32Array.from(ends), names: [] }
}

/** Every sample of `v` in a shuffled order, gathered in batches of 7, as one array. */
function gatherAll(v: NeuralView, s: Standardizer | null): Float32Array {
  const per = sampleWidth(layoutOf(v))
  const idx = epochPermutation(v.n, 99, 1)
  const all = new Float32Array(v.n * per)
  const buf = new Float32Array(7 * per)
  for (let from = 0; from < v.n; from += 7) {
    const to = Math.min(v.n, from + 7)
    tidy(() => gatherInputs(v, s, idx, from, to, buf))
    all.set(buf.subarray(0, (to - from) * per), from * per)
  }
  return all
}

/** Bitwise equality of two float32 arrays (NaN-safe, -0 distinct from 0). */
function sameBits(a: Float32Array, b: Float32Array): void {
  assert.equal(a.length, b.length)
  assert.deepEqual(new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length))
}

describe('neural inputs prepared for epochs', () => {
  if (reason) {
    it('libtorch addon', (t) => t.skip(reason))
    return
  }

  it('a window view: batches hold the same float32 values, the base keeps only the rows the windows cover', () => {
    const v = windows(
      1,
      200,
      12,
      5,
      Array.from({ length: 90 }, (_, i) => 40 + ((i * 37) % 120)),
    )
    const s = fitStandardizer(v)
    const prepared = prepareForEpochs(v, s)
    assert.equal(prepared.s, null)
    const p = prepared.view as WindowTensorView
    const first = Math.min(...v.end) - v.steps + 1
    assert.equal(p.base.length, (Math.max(...v.end) + 1 - first) * v.f)
    assert.ok(
      p.base.every((x) => Number.isFinite(x)),
      'missing values become 0',
    )
    const direct = gatherAll(v, s)
    assert.ok(direct.some((x) => x === 0) && direct.some((x) => Math.abs(x) > 1))
    sameBits(gatherAll(p, null), direct)
  })

  it('a multi_res view: each part prepared with its own features of the standardizer', () => {
    const ends = Array.from({ length: 40 }, (_, i) => 30 + i)
    const parts = [
      { ...windows(2, 80, 10, 3, ends), timeframe: '1m' },
      {
        ...windows(
          3,
          90,
          4,
          6,
          ends.map((e) => e + 5),
        ),
        timeframe: '5m',
      },
    ]
    const v: MultiResView = { kind: 'multi_res', n: ends.length, parts }
    const s = fitStandardizer(v)
    const prepared = prepareForEpochs(v, s)
    assert.equal(prepared.s, null)
    sameBits(gatherAll(prepared.view, null), gatherAll(v, s))
  })

  it('a feature matrix stays as it is; an empty window view prepares to an empty base', () => {
    const fm: FeatureMatrixView = {
      kind: 'feature_matrix',
      n: 2,
      f: 2,
      data: new Float64Array([1, 2, 3, 4]),
      names: [],
    }
    const s = fitStandardizer(fm)
    assert.deepEqual(prepareForEpochs(fm, s), { view: fm, s })
    const empty = { ...windows(4, 20, 5, 2, []), n: 0 }
    const p = prepareForEpochs(empty, fitStandardizer(empty)).view as WindowTensorView
    assert.deepEqual([p.base.length, p.end.length], [0, 0])
  })
})
