import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  columnMedians,
  columnSummary,
  fitPreprocessor,
  imputedData,
  median,
} from '../../../src/models/tabular/linear/preprocess.js'
import { gaussian, matrix, rng } from './helpers.js'

/** Reference: sort the non-NaN values of each column. */
function sortedMedian(data: Float64Array, n: number, f: number, j: number): number {
  const v: number[] = []
  for (let i = 0; i < n; i++) if (!Number.isNaN(data[i * f + j])) v.push(data[i * f + j])
  if (v.length === 0) return 0
  v.sort((a, b) => a - b)
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

test('column medians are exact on large columns of every awkward shape', () => {
  const n = 50_001
  const f = 8
  const u = rng(3)
  const g = gaussian(rng(4))
  const data = new Float64Array(n * f)
  for (let i = 0; i < n; i++) {
    data[i * f] = g() // continuous
    data[i * f + 1] = Math.floor(u() * 5) // heavy ties
    data[i * f + 2] = 7 // constant
    data[i * f + 3] = i // sorted
    data[i * f + 4] = u() < 0.3 ? NaN : g() * 100 + 5 // missing values
    data[i * f + 5] = NaN // all missing
    data[i * f + 6] = i % 4096 < 2048 ? -1 - u() : 1 + u() // periodic with the sampling stride
    data[i * f + 7] = u() < 0.999 ? NaN : g() // almost all missing
  }
  const got = columnMedians(matrix(data, n, f))
  for (let j = 0; j < f; j++) assert.equal(got[j], sortedMedian(data, n, f, j), `column ${j}`)
  // Even count.
  const even = data.subarray(0, (n - 1) * f)
  const gotEven = columnMedians(matrix(even, n - 1, f))
  for (let j = 0; j < f; j++) assert.equal(gotEven[j], sortedMedian(even, n - 1, f, j), `even, column ${j}`)
})

test('quickselect median handles small and tied inputs', () => {
  assert.equal(median(Float64Array.of(3)), 3)
  assert.equal(median(Float64Array.of(4, 1)), 2.5)
  assert.equal(median(Float64Array.of(2, 2, 2, 1, 9)), 2)
  assert.equal(median(Float64Array.of(5, 1, 4, 2)), 3)
})

test('the median pass counts missing values and finds infinite ones, large and small', () => {
  for (const n of [30_000, 500]) {
    const f = 4
    const g = gaussian(rng(9))
    const data = Float64Array.from({ length: n * f }, () => g())
    for (let i = 0; i < n; i += 7) data[i * f + 1] = NaN
    const nanCount = Math.ceil(n / 7)
    const clean = columnSummary(matrix(data, n, f))
    assert.equal(clean.missing, nanCount, `n=${n}`)
    assert.equal(clean.infinite, false)
    const m = matrix(data, n, f)
    const fitted = fitPreprocessor(m, false, 'probe')
    assert.equal(fitted.missing, nanCount)
    const x = imputedData(fitted, m)
    assert.notEqual(x, m.data, 'NaN present: an imputed copy')
    assert.equal(x[f + 1], data[f + 1], 'row 1 was not NaN: kept')
    assert.equal(x[1], fitted.preprocess.medians[1], 'row 0 column 1 imputed')
    const noNan = Float64Array.from(data, (v) => (v === v ? v : 0))
    const cleanView = matrix(noNan, n, f)
    const fittedClean = fitPreprocessor(cleanView, false, 'probe')
    assert.equal(fittedClean.missing, 0)
    assert.equal(imputedData(fittedClean, cleanView), cleanView.data, 'no NaN: the input itself, no copy')
    for (const bad of [Infinity, -Infinity]) {
      const withInf = Float64Array.from(data)
      withInf[(n - 3) * f + 2] = bad
      assert.equal(columnSummary(matrix(withInf, n, f)).infinite, true)
      assert.throws(
        () => fitPreprocessor(matrix(withInf, n, f), true, 'probe'),
        new RegExp(`probe: feature "f2" at row ${n - 3} is ${bad}`),
      )
    }
  }
})
