import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  deflatedSharpe,
  expectedMaxSharpe,
  probabilisticSharpe,
  returnMoments,
} from '../../src/validation/deflated-sharpe.js'
import { normalCdf, normalQuantile } from '../../src/validation/normal.js'
import { pboCscv } from '../../src/validation/pbo.js'
import { rng } from '../labels/helpers.js'

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`)

test('normal CDF and quantile match reference values', () => {
  close(normalCdf(1.2599), 0.8961472806260209, 1e-14, 'cdf(1.2599)')
  close(normalCdf(-8.5) / 9.47953482220325e-18, 1, 1e-10, 'cdf(-8.5) relative')
  close(normalCdf(0), 0.5, 1e-16, 'cdf(0)')
  close(normalQuantile(0.975), 1.959963984540054, 1e-13, 'ppf(0.975)')
  close(normalQuantile(1e-10), -6.361340902404056, 1e-11, 'ppf(1e-10)')
  for (const p of [1e-6, 0.01, 0.3, 0.5, 0.77, 0.999])
    close(normalCdf(normalQuantile(p)), p, 1e-14 + p * 1e-13, `round trip ${p}`)
})

test('deflated Sharpe ratio: the worked example of Bailey & López de Prado (2014)', () => {
  // 100 trials, variance of annualized trial Sharpe 1/2, best annualized Sharpe 2.5, 1250 daily returns,
  // skew -3, kurtosis 10. The paper reports a benchmark SR0 of 0.1132 (per day) and DSR 0.9004.
  const perDay = Math.sqrt(250)
  const r = deflatedSharpe({
    sharpe: 2.5 / perDay,
    n: 1250,
    skew: -3,
    kurtosis: 10,
    trials: 100,
    trialVariance: 0.5 / 250,
  })
  close(r.benchmark, 0.11317200186513214, 1e-12, 'SR0')
  close(r.dsr, 0.9003968344493903, 1e-10, 'DSR')
  assert.equal(Math.round(r.dsr * 1e4) / 1e4, 0.9004)
  // More trials raise the bar and lower the DSR.
  const more = deflatedSharpe({
    sharpe: 2.5 / perDay,
    n: 1250,
    skew: -3,
    kurtosis: 10,
    trials: 1000,
    trialVariance: 0.5 / 250,
  })
  assert.ok(more.dsr < r.dsr && more.benchmark > r.benchmark)
})

test('PSR known value, expected max Sharpe limits, moments of a sample', () => {
  close(probabilisticSharpe(0.1, 0, 100, 0.5, 5), 0.8450673703191034, 1e-12, 'PSR')
  assert.equal(expectedMaxSharpe(10, 0), 0)
  assert.throws(() => expectedMaxSharpe(1, 1), /at least 2 trials/)
  const m = returnMoments([1, 2, 3, 4, 10])
  // mean 4, deviations -3 -2 -1 0 6: sum of squares 50, cubes 180, fourth powers 1394.
  close(m.sharpe, 4 / Math.sqrt(50 / 4), 1e-15, 'sharpe')
  close(m.skew, (-27 - 8 - 1 + 0 + 216) / 5 / 10 ** 1.5, 1e-15, 'skew')
  close(m.kurtosis, (81 + 16 + 1 + 0 + 1296) / 5 / 100, 1e-15, 'kurtosis')
  assert.throws(() => returnMoments([1, 1, 1]), /zero variance/)
})

test('PBO by CSCV: a hand-computed 4-period, 3-configuration example', () => {
  // One period per block, metric = mean. The 6 IS/OOS combinations (IS blocks; IS means; IS-best; OOS rank):
  // {0,1}: 2,2,2 -> config 0 (first of ties); OOS 1.5,1.5,3 -> rank 1.5 -> logit ln(1.5/2.5)
  // {0,2}: 2.5,1,2.5 -> 0; OOS 1,2.5,2.5 -> rank 1 -> ln(1/3)    {0,3}: -> 2; OOS 1.5,2,2.5 -> rank 3 -> ln 3
  // {1,2}: -> 2; OOS 2,1.5,2.5 -> rank 3 -> ln 3                  {1,3}: -> 1; OOS 2.5,1,2.5 -> rank 1 -> ln(1/3)
  // {2,3}: -> 2; OOS 2,2,2 -> rank 2 -> logit 0 (counts as overfit: not above the median)
  const perf = [
    [3, 1, 2],
    [1, 3, 2],
    [2, 1, 3],
    [1, 2, 3],
  ].map((r) => Float64Array.from(r))
  const r = pboCscv(perf, 4, 'mean')
  const want = [Math.log(0.6), Math.log(1 / 3), Math.log(3), Math.log(3), Math.log(1 / 3), 0]
  want.forEach((w, i) => close(r.logits[i], w, 1e-15, `logit ${i}`))
  assert.deepEqual([...r.best], [0, 0, 2, 2, 1, 2])
  assert.equal(r.pbo, 4 / 6)
})

test('PBO limits: a configuration that dominates everywhere gives 0; IS-best always worst OOS gives 1', () => {
  const g = rng(5)
  const dominant = Array.from({ length: 160 }, () => Float64Array.from([g() - 0.5, g() - 0.5, g() + 5]))
  assert.equal(pboCscv(dominant, 8).pbo, 0)
  // Two configurations that alternate: each wins exactly where the other loses.
  const flip = Array.from({ length: 2 }, (_, b) => b).flatMap((b) =>
    Array.from({ length: 10 }, (_, t) => Float64Array.from(b === 0 ? [1 + t * 0.01, 0] : [0, 1 + t * 0.01])),
  )
  assert.equal(pboCscv(flip, 2).pbo, 1)
  assert.throws(() => pboCscv(dominant, 3), /even integer/)
})

test('PBO of pure noise strategies is near one half', () => {
  const g = rng(11)
  const noise = Array.from({ length: 400 }, () => Float64Array.from({ length: 20 }, () => g() - 0.5))
  const r = pboCscv(noise, 10)
  assert.equal(r.logits.length, 252)
  assert.ok(r.pbo > 0.3 && r.pbo < 0.7, `pbo ${r.pbo}`)
})
