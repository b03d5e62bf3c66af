import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  accuracy,
  auc,
  brier,
  calibrationStats,
  logLoss,
  reliability,
} from '../../src/inference/calibration/metrics.js'
import { applyTemperature, fitTemperature } from '../../src/inference/calibration/temperature.js'

function mulberry(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Labels drawn from true 3-class probabilities, and a model that reports them sharpened (logits x 3). */
function overconfident(n: number, seed: number) {
  const r = mulberry(seed)
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
