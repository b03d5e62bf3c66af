import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Task } from '../../../src/models/contract.js'
import { parseSklearnJson, sklearnImported, sklearnModelEntry } from '../../../src/models/imported/sklearn.js'
import { tempFile } from '../../helpers.js'
import { matrix, maxAbsDiff, sklearnFixtures } from '../tabular/helpers.js'

interface Export {
  model_type: string
  n_features: number
  n_classes: number
  test_inputs: number[][]
  test_proba: number[][]
  [field: string]: unknown
}

const files = [
  'export_logistic_multiclass.json',
  'export_logistic_binary.json',
  'export_svm_linear_multiclass.json',
  'export_gaussian_nb_multiclass.json',
]

function read(file: string): { path: string; bytes: Buffer; json: Export } {
  const path = join(sklearnFixtures, file)
  const bytes = readFileSync(path)
  return { path, bytes, json: JSON.parse(bytes.toString('utf8')) as Export }
}

for (const file of files) {
  test(`scikit-learn export predicts as scikit-learn did: ${file}`, async () => {
    const { path, bytes, json } = read(file)
    const task: Task = json.n_classes === 2 ? { kind: 'binary' } : { kind: 'multiclass', classes: json.n_classes }
    const model = sklearnImported(bytes, path, task)
    const n = json.test_inputs.length
    const x = matrix(json.test_inputs.flat(), n, json.n_features)
    const out = model.predict(x)
    const expected = json.test_proba.flat()
    assert.ok(maxAbsDiff(out.p!, expected) < 1e-6, `max diff ${maxAbsDiff(out.p!, expected)}`)
    if (task.kind === 'binary')
      assert.ok(
        maxAbsDiff(
          out.p_up!,
          json.test_proba.map((r) => r[1]),
        ) < 1e-6,
      )
    // The name prefixes.
    if (json.model_type === 'linear_model') assert.match(model.model.name, /^LinearModel_/)
    if (json.model_type === 'svm_linear') assert.match(model.model.name, /^SvmLinear_/)
    const dir = await mkdtemp(join(tmpdir(), 'mlf-sk-'))
    try {
      await model.save(dir)
      assert.deepEqual((await sklearnModelEntry.load(dir)).predict(x).p, out.p)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
}

test("sklearn_model given another library's model names the entry that loads it", () => {
  const create = (path: string) => () => sklearnModelEntry.create({ path }, { kind: 'binary' })
  const lgb = tempFile('m.txt', 'tree\nversion=v4\nnum_class=1\n')
  assert.throws(create(lgb), { message: `${lgb}: is a LightGBM text model; load it with lightgbm_model` })
  const xgb = tempFile('m.json', '{"learner": {}, "version": [1, 7, 4]}')
  assert.throws(create(xgb), { message: `${xgb}: is an XGBoost JSON model; load it with xgboost_model` })
  const onnx = tempFile('m.onnx', Buffer.from([0x08, 0x07, 0x12, 0x07, 0x70, 0x79, 0x74, 0x6f, 0x72, 0x63, 0x68]))
  assert.throws(create(onnx), { message: `${onnx}: is an ONNX model; load it with onnx_model` })
  const cut = tempFile('cut.json', '{"model_type": "gaussian_nb", "theta": [[1, 2')
  assert.throws(create(cut), (e: Error) => e.message.startsWith(`${cut}: not valid JSON (truncated or corrupt?)`))
})

test('scikit-learn import errors name the file and the field', () => {
  const { json } = read('export_logistic_multiclass.json')
  const src = 'models/bad.json'
  const variant = (patch: Record<string, unknown>): string => JSON.stringify({ ...json, ...patch })
  const short = (json.coefficients as number[][]).map((r, k) => (k === 1 ? r.slice(1) : r))
  assert.throws(
    () => parseSklearnJson(variant({ coefficients: short }), src),
    /models\/bad\.json: field "coefficients\[1\]" has 54 values, expected n_features = 55/,
  )
  assert.throws(
    () => parseSklearnJson(variant({ n_classes: 4 }), src),
    /models\/bad\.json: field "classes" has 3 values, expected n_classes = 4/,
  )
  assert.throws(
    () => parseSklearnJson(variant({ intercepts: [0, 1] }), src),
    /field "intercepts" has 2 values, expected n_classes = 3/,
  )
  assert.throws(
    () => parseSklearnJson(variant({ model_type: 'random_forest' }), src),
    /models\/bad\.json: field "model_type" is "random_forest"/,
  )
  assert.throws(() => parseSklearnJson('{"model_type": "gaussian_nb"', src), /models\/bad\.json: not valid JSON/)
  const nb = read('export_gaussian_nb_multiclass.json').json
  const noVar = { ...nb, var: undefined }
  assert.throws(
    () => parseSklearnJson(JSON.stringify(noVar), src),
    /field "var" must be an array of n_classes = 3 rows/,
  )
  const { path, bytes } = read('export_logistic_binary.json')
  assert.throws(
    () => sklearnImported(bytes, path, { kind: 'multiclass', classes: 3 }),
    /field "n_classes" is 2, which does not fit task multiclass with 3 classes/,
  )
  const model = sklearnImported(bytes, path, { kind: 'binary' })
  const row = new Array<number>(55).fill(0)
  row[7] = NaN
  assert.throws(() => model.predict(matrix(row, 1, 55)), /row 0 column 7 is NaN/)
})
