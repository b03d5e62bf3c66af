import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { loadBooster, withDMatrix, xgboostAvailability } from '../../../src/engines/xgboost/index.js'
import { xgboostModelEntry } from '../../../src/models/imported/xgboost.js'
import { tempDir } from '../../helpers.js'
import { LGB_FIXTURES, ONNX_FIXTURES, readLibsvm, SKLEARN_FIXTURES, XGB_FIXTURES } from '../contract-data.js'

const availability = xgboostAvailability()
const skip = !availability.ok
  ? availability.hint
  : existsSync(XGB_FIXTURES)
    ? false
    : `${XGB_FIXTURES} is absent; skipped`

function numbersOf(path: string): number[][] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
}

/** Exact float32 parity: the fixture prints each float32 with enough digits to round-trip. */
function assertFloat32Equal(got: Float32Array, expected: number[], what: string): void {
  assert.equal(got.length, expected.length, `${what}: length`)
  for (let i = 0; i < got.length; i++) {
    assert.equal(got[i], Math.fround(expected[i]), `${what}[${i}]: ${got[i]} vs XGBoost ${expected[i]}`)
  }
}

const CASES = [
  { model: 'leaves_agaricus_gbtree', data: 'agaricus_test.libsvm', width: 127 },
  { model: 'leaves_dermatology_softmax', data: 'dermatology_test.libsvm', width: 33 },
] as const

describe('imported XGBoost models (JSON and UBJ from XGBoost 1.7.4)', { skip }, () => {
  for (const c of CASES) {
    for (const ext of ['json', 'ubj'] as const) {
      it(`${c.model}.${ext}: margins and outputs equal XGBoost's bit for bit (float32)`, () => {
        const ds = readLibsvm(join(XGB_FIXTURES, c.data), c.width)
        const booster = loadBooster(readFileSync(join(XGB_FIXTURES, `${c.model}.${ext}`)))
        try {
          withDMatrix({ data: ds.x.data, rows: ds.x.n, cols: c.width }, (dm) => {
            assertFloat32Equal(
              booster.predict(dm, { kind: 'margin' }).values,
              numbersOf(join(XGB_FIXTURES, `${c.model}.pred_margin.txt`)).flat(),
              'margin',
            )
            assertFloat32Equal(
              booster.predict(dm).values,
              numbersOf(join(XGB_FIXTURES, `${c.model}.pred_output.txt`)).flat(),
              'output',
            )
          })
        } finally {
          booster.free()
        }
      })
    }
  }

  it('xgboost_model serves the binary model as p_up equal to XGBoost output', () => {
    const ds = readLibsvm(join(XGB_FIXTURES, 'agaricus_test.libsvm'), 127)
    const model = xgboostModelEntry.create(
      { path: join(XGB_FIXTURES, 'leaves_agaricus_gbtree.json') },
      { kind: 'binary' },
    )
    const out = model.predict(ds.x)
    const expected = numbersOf(join(XGB_FIXTURES, 'leaves_agaricus_gbtree.pred_output.txt')).flat()
    assert.deepEqual(Array.from(out.p_up!), expected.map(Math.fround))
  })

  it('xgboost_model turns multi:softmax margins into class probabilities whose argmax is XGBoost class', () => {
    const ds = readLibsvm(join(XGB_FIXTURES, 'dermatology_test.libsvm'), 33)
    const model = xgboostModelEntry.create(
      { path: join(XGB_FIXTURES, 'leaves_dermatology_softmax.ubj') },
      { kind: 'multiclass', classes: 6 },
    )
    const out = model.predict(ds.x)
    const margins = numbersOf(join(XGB_FIXTURES, 'leaves_dermatology_softmax.pred_margin.txt'))
    const classes = numbersOf(join(XGB_FIXTURES, 'leaves_dermatology_softmax.pred_output.txt')).flat()
    for (let i = 0; i < ds.x.n; i++) {
      const row = Array.from(out.p!.subarray(i * 6, i * 6 + 6))
      assert.equal(row.indexOf(Math.max(...row)), classes[i], `row ${i}`)
      const m = margins[i].map(Math.fround)
      const z = m.reduce((s, v) => s + Math.exp(v - Math.max(...m)), 0)
      assert.ok(Math.abs(row[0] - Math.exp(m[0] - Math.max(...m)) / z) < 1e-12)
    }
  })

  it("another library's model names the entry that loads it; a truncated JSON names the file", () => {
    const create = (path: string) => () => xgboostModelEntry.create({ path }, { kind: 'binary' })
    const lgb = join(LGB_FIXTURES, 'lg_breast_cancer.txt')
    assert.throws(create(lgb), { message: `${lgb}: is a LightGBM text model; load it with lightgbm_model` })
    const onnx = join(ONNX_FIXTURES, 'linear3.onnx')
    assert.throws(create(onnx), { message: `${onnx}: is an ONNX model; load it with onnx_model` })
    const sk = join(SKLEARN_FIXTURES, 'export_logistic_binary.json')
    assert.throws(create(sk), { message: `${sk}: is a scikit-learn JSON export; load it with sklearn_model` })
    const json = readFileSync(join(XGB_FIXTURES, 'leaves_agaricus_gbtree.json'))
    const cut = join(tempDir(), 'cut.json')
    writeFileSync(cut, json.subarray(0, json.length >> 1))
    assert.throws(create(cut), (e: Error) => e.message.startsWith(`${cut}: not valid JSON (truncated or corrupt?)`))
    // XGBoost writes non-finite numbers as bare NaN / Infinity: such a file is valid and still loads.
    const nonFinite = join(tempDir(), 'nan.json')
    writeFileSync(nonFinite, json.toString('utf8').replace(/"base_weights":\[[^,\]]+/, '"base_weights":[NaN'))
    xgboostModelEntry.create({ path: nonFinite }, { kind: 'binary' })
  })

  it('an error from XGBoost itself reaches the user as one line, without the native stack trace', () => {
    const ubj = readFileSync(join(XGB_FIXTURES, 'leaves_agaricus_gbtree.ubj'))
    const cut = join(tempDir(), 'cut.ubj')
    writeFileSync(cut, ubj.subarray(0, 1000))
    assert.throws(
      () => xgboostModelEntry.create({ path: cut }, { kind: 'binary' }),
      (e: Error) =>
        e.message.includes(cut) && !e.message.includes('\n') && !/Stack trace|\[bt\]|\.cc:\d+/.test(e.message),
    )
  })

  it('a load that does not fit names the file and the field', async () => {
    const path = join(XGB_FIXTURES, 'leaves_dermatology_softmax.json')
    assert.throws(
      () => xgboostModelEntry.create({ path }, { kind: 'binary' }),
      (e: Error) =>
        e.message.includes(path) && e.message.includes('learner.objective.name') && e.message.includes('multi:softmax'),
    )
    assert.throws(() => xgboostModelEntry.create({ path }, { kind: 'multiclass', classes: 3 }), /num_class 6/)
    assert.throws(
      () => xgboostModelEntry.create({ path: '/nonexistent/m.ubj' }, { kind: 'binary' }),
      /\/nonexistent\/m\.ubj: cannot read model file/,
    )
    const garbage = join(tempDir(), 'garbage.json')
    writeFileSync(garbage, '{"not": "a model"}')
    assert.throws(
      () => xgboostModelEntry.create({ path: garbage }, { kind: 'binary' }),
      (e: Error) => e.message.includes(garbage),
    )

    const model = xgboostModelEntry.create(
      { path: join(XGB_FIXTURES, 'leaves_agaricus_gbtree.ubj') },
      { kind: 'binary' },
    )
    const dir = tempDir()
    await model.save(dir)
    const meta = JSON.parse(readFileSync(join(dir, 'imported.meta.json'), 'utf8')) as Record<string, unknown>
    writeFileSync(join(dir, 'imported.meta.json'), JSON.stringify({ ...meta, model: 'lightgbm_model' }))
    await assert.rejects(xgboostModelEntry.load(dir), /imported\.meta\.json: field "model" is "lightgbm_model"/)
    for (const file of ['../x.ubj', '..', '']) {
      writeFileSync(join(dir, 'imported.meta.json'), JSON.stringify({ ...meta, file }))
      await assert.rejects(xgboostModelEntry.load(dir), /field "file" must be a file name/, file)
    }
    writeFileSync(join(dir, 'imported.meta.json'), JSON.stringify({ ...meta, task: { kind: 'multiclass' } }))
    await assert.rejects(xgboostModelEntry.load(dir), /imported\.meta\.json: field "task/)
    writeFileSync(join(dir, 'imported.meta.json'), JSON.stringify({ ...meta, extra: true }))
    await assert.rejects(xgboostModelEntry.load(dir), /imported\.meta\.json: field "\(root\)"/)
  })
})
