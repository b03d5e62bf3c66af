import assert from 'node:assert/strict'
import { test } from 'node:test'
import { seededRandom } from '../../src/core/random.js'
import { deflatedSharpeOfSweep, pboOfWindow } from '../../src/sweep/overfitting.js'
import type { TrialOutcome } from '../../src/sweep/trial.js'
import { deflatedSharpe, returnMoments } from '../../src/validation/deflated-sharpe.js'

function outcome(
  r: number[],
  ts = r.map((_, i) => i * 60_000),
  status: TrialOutcome['status'] = 'complete',
): TrialOutcome {
  return { status, value: 0, metrics: {}, curves: {}, returns: { ts, r }, seconds: 0 }
}

const noise = (seed: number, n: number, drift = 0) => {
  const random = seededRandom(seed)
  return Array.from({ length: n }, () => drift + (random() - 0.5) * 0.01)
}

test('deflated Sharpe: the test stream against the best of as many trials as a window chose among', () => {
  const windows = [
    [outcome(noise(1, 200)), outcome(noise(2, 200)), outcome(noise(3, 200))],
    [outcome(noise(4, 200)), outcome(noise(5, 200))],
  ]
  const test = noise(9, 500, 0.001)
  const d = deflatedSharpeOfSweep(windows, test)
  assert.ok('dsr' in d)
  assert.equal(d.trials, 3)
  const srs = windows.map((w) => w.map((o) => returnMoments(o.returns.r).sharpe))
  const means = srs.map((w) => w.reduce((s, x) => s + x, 0) / w.length)
  const pooled = srs.reduce((s, w, k) => s + w.reduce((a, x) => a + (x - means[k]) ** 2, 0), 0) / (2 + 1)
  assert.ok(Math.abs(d.trialVariance - pooled) < 1e-15)
  const m = returnMoments(test)
  assert.equal(d.dsr, deflatedSharpe({ ...m, trials: 3, trialVariance: pooled }).dsr)
  assert.ok(d.dsr > 0 && d.dsr <= 1)
  assert.match(
    (deflatedSharpeOfSweep([[outcome(noise(1, 50))]], test) as { reason: string }).reason,
    /at least 2 completed trials/,
  )
})

test('PBO of a window: trials aligned by bar time; pure noise overfits about half the time, a dominant trial never', () => {
  const random = seededRandom(3)
  const n = 400
  const noiseTrials = Array.from({ length: 8 }, (_, j) => outcome(noise(20 + j, n)))
  const r = pboOfWindow(noiseTrials)
  assert.ok('pbo' in r && r.pbo > 0.2 && r.pbo < 0.8, JSON.stringify(r))
  const dominant = [outcome(Array.from({ length: n }, () => 0.002 + (random() - 0.5) * 0.001)), ...noiseTrials.slice(1)]
  const d = pboOfWindow(dominant)
  assert.ok('pbo' in d && d.pbo === 0)
  // A trial missing bars counts them as flat, aligned by time (not by position).
  const shifted = pboOfWindow([outcome([0.01, 0.02], [120_000, 180_000]), ...noiseTrials.slice(0, 2)])
  assert.ok('pbo' in shifted && shifted.periods === n)
  assert.match(
    (pboOfWindow([noiseTrials[0], outcome([], [], 'failed')]) as { reason: string }).reason,
    /2 completed trials \(1\)/,
  )
})
