import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  accuracy,
  auc,
  brier,
  calibrationStats,
  classCalibration,
  classwiseCalibration,
  logLoss,
  reliability,
  topLabelCalibration,
} from '../../src/inference/calibration/metrics.js'
import { applyTemperature, fitTemperature } from '../../src/inference/calibration/temperature.js'
import { uniform } from '../helpers.js'

/** Labels drawn from true 3-class probabilities, and a model that reports them sharpened (logits x 3). */
function overconfident(n: number, seed: number) {
  const r = uniform(seed)
  const truth = new Float64Array(n * 3)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const z = [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1]
    const e = z.map(Math.exp)
    const s = e[0] + e[1] + e[2]
    for (let c = 0; c < 3; c++) truth[i * 3 + c] = e[c] / s
    const u = r()
    y[i] = u < truth[i * 3] ? 0 : u < truth[i * 3] + truth[i * 3 + 1] ? 1 : 2
  }
  return { truth, y, reported: applyTemperature(truth, 3, 1 / 3) }
}

test('temperature scaling recovers the sharpening of an overconfident model and lowers log-loss and ECE', () => {
  const val = overconfident(20_000, 1)
  const scaler = fitTemperature(val.reported, val.y, 3)
  assert.ok(Math.abs(scaler.temperature - 3) < 0.25, `temperature ${scaler.temperature}`)
  const test = overconfident(20_000, 2)
  const before = calibrationStats(test.reported, test.y, 3)
  const after = calibrationStats(applyTemperature(test.reported, 3, scaler.temperature), test.y, 3)
  assert.ok(after.logLoss < before.logLoss - 0.05, `${before.logLoss} -> ${after.logLoss}`)
  assert.ok(after.ece < before.ece / 2, `${before.ece} -> ${after.ece}`)
  // Ranking within each row is unchanged: accuracy is identical.
  assert.equal(
    accuracy(applyTemperature(test.reported, 3, scaler.temperature), test.y, 3),
    accuracy(test.reported, test.y, 3),
  )
  assert.throws(() => fitTemperature(new Float64Array(0), new Float64Array(0), 3), /validation split is empty/)
})

test('metrics have known answers and stay defined when a split holds a single class', () => {
  const p = Float64Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4])
  const y = Float64Array.from([0, 1, 1])
  assert.ok(Math.abs(logLoss(p, y, 2) - -(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3) < 1e-15)
  assert.ok(Math.abs(brier(p, y, 2) - (2 * 0.01 + 2 * 0.04 + 2 * 0.36) / 3) < 1e-15)
  const r = reliability(p, y, 2, 10)
  // Top-class confidences 0.9 (right), 0.8 (right), 0.6 (wrong): ECE = (|1-0.9| + |1-0.8| + |0-0.6|) / 3.
  assert.ok(Math.abs(r.ece - (0.1 + 0.2 + 0.6) / 3) < 1e-12)
  assert.equal(r.bins.filter((b) => b.count > 0).length, 3)
  const single = Float64Array.from([0, 0])
  const ps = Float64Array.from([0.7, 0.3, 0.4, 0.6])
  assert.ok(Number.isFinite(logLoss(ps, single, 2)) && Number.isFinite(reliability(ps, single, 2).ece))
  assert.equal(auc(Float64Array.from([0.1, 0.9]), Uint8Array.from([0, 0])), 0.5)
})

test('AUC: perfect, reversed and tied rankings', () => {
  const pos = Uint8Array.from([0, 0, 1, 1])
  assert.equal(auc(Float64Array.from([0.1, 0.2, 0.8, 0.9]), pos), 1)
  assert.equal(auc(Float64Array.from([0.9, 0.8, 0.2, 0.1]), pos), 0)
  assert.equal(auc(Float64Array.from([0.5, 0.5, 0.5, 0.5]), pos), 0.5)
  assert.equal(auc(Float64Array.from([0.1, 0.6, 0.6, 0.9]), pos), 0.875)
})

test('binary ECE on the frequency of positives, MCE and empty bins: a hand-computed case', () => {
  // P(up) 0.1, 0.2 (bin [0, 0.5)) and 0.8, 0.9 (bin [0.5, 1]); outcomes 0, 1 and 1, 1.
  const pUp = [0.1, 0.2, 0.8, 0.9]
  const p = Float64Array.from(pUp.flatMap((q) => [1 - q, q]))
  const y = Float64Array.from([0, 1, 1, 1])
  const r = classCalibration(p, y, 2, 1, 2)
  // |0.5 - 0.15| = 0.35 and |1 - 0.85| = 0.15, each bin half the rows.
  assert.ok(Math.abs(r.ece - 0.25) < 1e-12, String(r.ece))
  assert.ok(Math.abs(r.mce - 0.35) < 1e-12, String(r.mce))
  assert.equal(r.emptyBins, 0)
  assert.deepEqual(
    r.bins.map((b) => b.count),
    [2, 2],
  )
  // With ten bins the same rows fill four: six are empty, and say so.
  const ten = classCalibration(p, y, 2, 1, 10)
  assert.equal(ten.emptyBins, 6)
  assert.equal(ten.rows, 4)
  // Class 0 mirrors class 1 for two classes.
  assert.ok(Math.abs(classCalibration(p, y, 2, 0, 2).ece - r.ece) < 1e-12)
})

test('classwise and top-label calibration: near 0 for calibrated probabilities, large for over-confident ones', () => {
  const u = uniform(9)
  const n = 50_000
  const calibrated = new Float64Array(n * 3)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = u()
    const b = u() * (1 - a)
    const row = [a, b, 1 - a - b]
    calibrated.set(row, i * 3)
    const v = u()
    y[i] = v < row[0] ? 0 : v < row[0] + row[1] ? 1 : 2
  }
  const good = classwiseCalibration(calibrated, y, 3)
  assert.ok(good.ece < 0.01 && good.mce < 0.05, JSON.stringify({ ece: good.ece, mce: good.mce }))
  assert.ok(topLabelCalibration(calibrated, y, 3).ece < 0.01)
  const over = applyTemperature(calibrated, 3, 1 / 3)
  const bad = classwiseCalibration(over, y, 3)
  assert.ok(bad.ece > 0.05 && bad.mce > bad.ece, JSON.stringify({ ece: bad.ece, mce: bad.mce }))
  assert.ok(topLabelCalibration(over, y, 3).ece > 0.05)
  // The top-label ECE is what reliability reports.
  assert.equal(topLabelCalibration(over, y, 3).ece, reliability(over, y, 3).ece)
})

test('calibration metrics are numbers on single-class, tiny and empty sets, and refuse non-probabilities by row', () => {
  const p = Float64Array.from([0.7, 0.2, 0.1])
  for (const y of [Float64Array.of(0), Float64Array.of(2)]) {
    const c = classwiseCalibration(p, y, 3)
    assert.ok(Number.isFinite(c.ece) && Number.isFinite(c.mce))
    assert.ok(c.perClass.every((r) => r.emptyBins === 9 && r.rows === 1))
    const t = topLabelCalibration(p, y, 3)
    assert.ok(Number.isFinite(t.ece) && Number.isFinite(t.mce))
  }
  const none = classwiseCalibration(new Float64Array(0), new Float64Array(0), 3)
  assert.deepEqual([none.ece, none.mce], [0, 0])
  assert.ok(none.perClass.every((r) => r.emptyBins === 10 && r.rows === 0))
  // Rounding just past 1 is a probability; NaN or 1.1 is a bug upstream, named by row.
  assert.equal(classCalibration(Float64Array.of(1 + 1e-15, 0), Float64Array.of(0), 2, 0).bins[9].count, 1)
  assert.throws(() => classCalibration(Float64Array.of(0.5, 0.5, NaN, 1), Float64Array.of(0, 1), 2, 0), /row 1/)
  assert.throws(() => topLabelCalibration(Float64Array.of(1.1, -0.1), Float64Array.of(0), 2), /row 0 .*outside/)
  assert.throws(() => classCalibration(p, Float64Array.of(0), 3, 3), /no class 3/)
  assert.throws(() => classCalibration(p, Float64Array.of(0), 3, 0, 0), /bins must be/)
})
