import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createOnnxSession, onnxAvailability } from '../../../src/engines/onnx/session.js'
import { onnxModelEntry } from '../../../src/models/imported/onnx.js'
import { tempDir, tempFile } from '../../helpers.js'
import { ONNX_FIXTURES, rng } from '../contract-data.js'

// The weights baked into test/fixtures/onnx/*.onnx by make_onnx.py.
const W = [
  [0.5, -1.0, 0.25, 0.0],
  [-0.5, 0.75, 0.0, 1.0],
  [0.1, 0.2, -0.3, -0.4],
]
const B = [0.1, -0.2, 0.05]
const w = [1.5, -2.0, 0.5, 0.25]
const c = -0.1

const availability = onnxAvailability()

function inputs(n: number): Float64Array {
  const u = rng(9)
  // Values representable in float32, so float64 reference math sees the same inputs as the graph.
  return Float64Array.from({ length: n * 4 }, () => Math.fround(4 * u() - 2))
}

describe('ONNX models through onnxruntime-node', { skip: availability.ok ? false : availability.hint }, () => {
  const n = 50
  const data = inputs(n)
  const x = { kind: 'feature_matrix' as const, n, f: 4, data, names: ['a', 'b', 'c', 'd'] }

  it('the engine reports the graph signature and runs it', () => {
    const s = createOnnxSession(readFileSync(join(ONNX_FIXTURES, 'linear3.onnx')), 'linear3.onnx')
    try {
      assert.deepEqual(s.inputs, [{ name: 'x', type: 'float32', shape: ['n', 4] }])
      assert.deepEqual(s.outputs, [{ name: 'p', type: 'float32', shape: ['n', 3] }])
      const out = s.run({ x: { data: Float32Array.from(data), dims: [n, 4] } })
      assert.deepEqual(out.p.dims, [n, 3])
    } finally {
      s.dispose()
    }
  })

  it('multiclass graph: p equals softmax(W x + b) within float32 rounding', () => {
    const model = onnxModelEntry.create(
      { path: join(ONNX_FIXTURES, 'linear3.onnx') },
      { kind: 'multiclass', classes: 3 },
    )
    const out = model.predict(x)
    assert.equal(out.classes, 3)
    for (let i = 0; i < n; i++) {
      const z = W.map((row, k) => row.reduce((s, v, j) => s + v * data[i * 4 + j], B[k]))
      const m = Math.max(...z)
      const e = z.map((v) => Math.exp(v - m))
      const sum = e.reduce((a, b) => a + b, 0)
      for (let k = 0; k < 3; k++) {
        assert.ok(
          Math.abs(out.p![i * 3 + k] - e[k] / sum) < 1e-6,
          `row ${i} class ${k}: ${out.p![i * 3 + k]} vs ${e[k] / sum}`,
        )
      }
    }
  })

  it('binary graph: p_up equals sigmoid(w x + c); save -> load keeps predictions', async () => {
    const model = onnxModelEntry.create({ path: join(ONNX_FIXTURES, 'logit1.onnx') }, { kind: 'binary' })
    const out = model.predict(x)
    for (let i = 0; i < n; i++) {
      const z = w.reduce((s, v, j) => s + v * data[i * 4 + j], c)
      assert.ok(Math.abs(out.p_up![i] - 1 / (1 + Math.exp(-z))) < 1e-6, `row ${i}`)
    }
    const dir = tempDir()
    const refs = await model.save(dir)
    assert.deepEqual([...refs.files].sort(), ['imported.meta.json', 'model.onnx', 'onnx.wiring.json'])
    assert.deepEqual((await onnxModelEntry.load(dir)).predict(x).p_up, out.p_up)
  })

  it("another library's model names the entry that loads it; a truncated ONNX names the file", () => {
    const create = (path: string) => () => onnxModelEntry.create({ path }, { kind: 'binary' })
    const lgb = tempFile('m.txt', 'tree\nversion=v4\nnum_class=1\n')
    assert.throws(create(lgb), { message: `${lgb}: is a LightGBM text model; load it with lightgbm_model` })
    const xgb = tempFile('m.json', '{"learner": {}, "version": [1, 7, 4]}')
    assert.throws(create(xgb), { message: `${xgb}: is an XGBoost JSON model; load it with xgboost_model` })
    const json = tempFile('m.onnx', '{"learner": {"gradient_booster"')
    assert.throws(create(json), (e: Error) => e.message.startsWith(`${json}: not valid JSON (truncated or corrupt?)`))
    const text = tempFile('notes.onnx', 'not a protobuf')
    assert.throws(create(text), { message: `${text}: is a text file, not an ONNX model` })
    const bytes = readFileSync(join(ONNX_FIXTURES, 'linear3.onnx'))
    const cut = tempFile('cut.onnx', bytes.subarray(0, bytes.length >> 1))
    assert.throws(create(cut), (e: Error) => e.message.startsWith(`${cut}: onnxruntime cannot load the model`))
  })

  it('errors name the file and the field', () => {
    const path = join(ONNX_FIXTURES, 'linear3.onnx')
    assert.throws(
      () => onnxModelEntry.create({ path, output: 'nope' }, { kind: 'multiclass', classes: 3 }),
      (e: Error) => e.message.includes(path) && e.message.includes('field "output" "nope"'),
    )
    const m = onnxModelEntry.create({ path }, { kind: 'regression' })
    assert.throws(() => m.predict(x), /has 3 columns, which does not fit task regression/)
    const bad = join(tempDir(), 'bad.onnx')
    writeFileSync(bad, Buffer.from([0xff, 0x00, 0x13, 0x37]))
    assert.throws(
      () => onnxModelEntry.create({ path: bad }, { kind: 'binary' }),
      /bad\.onnx: onnxruntime cannot load the model/,
    )
    assert.throws(() => m.predict({ ...x, f: 3, data: new Float64Array(n * 3) }), /expects 4 features, got 3/)
  })
})
