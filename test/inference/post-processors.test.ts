import assert from 'node:assert/strict'
import test from 'node:test'
import {
  applyPostProcessors,
  fitPostProcessor,
  loadPostProcessor,
  postProcessorRegistry,
  type PostProcessorEntry,
} from '../../src/inference/post-processors.js'
import type { Outputs } from '../../src/models/contract.js'
import { uniform } from '../helpers.js'

/** Outputs and targets the entry acts on: over-confident 3-class probabilities, or a too-narrow quantile band. */
function sample(actsOn: string, n: number, seed: number): { out: Outputs; y: Float64Array } {
  const r = uniform(seed)
  const y = new Float64Array(n)
  if (actsOn === 'class_probabilities') {
    const p = new Float64Array(n * 3)
    for (let i = 0; i < n; i++) {
      const guess = Math.floor(r() * 3)
      y[i] = r() < 0.5 ? guess : Math.floor(r() * 3)
      for (let c = 0; c < 3; c++) p[i * 3 + c] = c === guess ? 0.9 : 0.05
    }
    return { out: { n, p, classes: 3 }, y }
  }
  if (actsOn === 'regression') {
    // A point forecast off by uniform noise of width 4: the split interval should hold about 90% of new targets.
    const E_r = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      E_r[i] = r() * 10
      y[i] = E_r[i] + (r() - 0.5) * 4
    }
    return { out: { n, E_r }, y }
  }
  const q05 = new Float64Array(n)
  const q50 = new Float64Array(n)
  const q95 = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const mid = r() * 10
    y[i] = mid + (r() - 0.5) * 4
    q50[i] = mid
    q05[i] = mid - 0.5
    q95[i] = mid + 0.5
  }
  return { out: { n, q05, q50, q95 }, y }
}

const MINUTE = 60_000
const RESAMPLES = 5

/**
 * What a resampling or online entry reads besides the head's outputs, as mlf run hands it: each resample's
 * prediction (at calibration rows NaN where it saw the row: folds hold out every fifth row, bags a seeded ~37%),
 * and rows a minute apart whose labels close five minutes later. Validation rows come before test rows.
 */
function withInputs(
  entry: PostProcessorEntry,
  s: { out: Outputs; y: Float64Array },
  calibration: boolean,
  seed: number,
) {
  const { n, E_r } = s.out
  if (!E_r) return s
  const r = uniform(seed)
  const resampled = entry.resampling
    ? {
        models: RESAMPLES,
        predictions: Float64Array.from({ length: n * RESAMPLES }, (_, j) => {
          const [i, k] = [Math.floor(j / RESAMPLES), j % RESAMPLES]
          const seen = entry.resampling === 'bags' ? r() > 0.37 : i % RESAMPLES !== k
          return calibration && seen ? NaN : E_r[i]
        }),
      }
    : undefined
  const start = calibration ? 0 : n * MINUTE
  const time = Float64Array.from({ length: n }, (_, i) => start + i * MINUTE)
  const timeline = entry.online ? { time, closesAt: time.map((t) => t + 5 * MINUTE), y: s.y } : undefined
  return { ...s, out: { ...s.out, ...(resampled ? { resampled } : {}), ...(timeline ? { timeline } : {}) } }
}

for (const [name, entry] of postProcessorRegistry) {
  test(`post-processor ${name}: fitted on calibration rows, its saved state round-trips and applies deterministically`, () => {
    const val = withInputs(entry, sample(entry.actsOn, 2000, 1), true, 5)
    const fitted = fitPostProcessor(name, {}, val.out, val.y, { onlineFrom: 2000 * MINUTE })
    assert.equal(fitted.name, name)
    const reloaded = loadPostProcessor(JSON.parse(JSON.stringify(fitted)), 'test')
    assert.deepEqual(reloaded, fitted)
    const test = withInputs(entry, sample(entry.actsOn, 2000, 2), false, 6)
    const a = applyPostProcessors([fitted], test.out)
    const b = applyPostProcessors([reloaded], test.out)
    assert.deepEqual(a, b)
    for (const v of Object.values(a)) if (v instanceof Float64Array) assert.ok(v.every(Number.isFinite))
    if (entry.actsOn === 'class_probabilities' && entry.role === 'uncertainty') {
      // Prediction sets leave the probabilities alone; sizes are the uncertainty; they cover about the target.
      assert.deepEqual(a.p, test.out.p)
      let covered = 0
      for (let i = 0; i < a.n; i++) {
        const row = a.sets!.subarray(i * 3, i * 3 + 3)
        assert.equal(a.uncertainty![i], row[0] + row[1] + row[2])
        if (row[test.y[i]] === 1) covered++
      }
      assert.ok(covered / a.n > 0.87, `${name} covers ${covered / a.n}`)
    } else if (entry.actsOn === 'class_probabilities') {
      for (let i = 0; i < a.n; i++) assert.ok(Math.abs(a.p![i * 3] + a.p![i * 3 + 1] + a.p![i * 3 + 2] - 1) < 1e-12)
      // Over-confident inputs: the fitted post-processor lowers the top probability.
      assert.ok(a.p![0 * 3] + a.p![1] + a.p![2] > 0 && Math.max(a.p![0], a.p![1], a.p![2]) < 0.9)
    } else if (entry.actsOn === 'regression') {
      let covered = 0
      for (let i = 0; i < a.n; i++) {
        assert.ok(a.q_lo![i] <= a.E_r![i] && a.E_r![i] <= a.q_hi![i])
        assert.equal(a.uncertainty![i], a.q_hi![i] - a.q_lo![i])
        if (test.y[i] >= a.q_lo![i] && test.y[i] <= a.q_hi![i]) covered++
      }
      assert.ok(covered / a.n > 0.87 && covered / a.n < 0.93, String(covered / a.n))
    } else {
      let covered = 0
      for (let i = 0; i < a.n; i++) {
        assert.ok(a.q05![i] <= a.q50![i] && a.q50![i] <= a.q95![i])
        if (test.y[i] >= a.q05![i] && test.y[i] <= a.q95![i]) covered++
      }
      // The band was too narrow (covering 25%); conformalized it covers about the default 90% out of sample.
      assert.ok(covered / a.n > 0.87 && covered / a.n < 0.93, String(covered / a.n))
    }
  })

  test(`post-processor ${name}: a state that is not its own is refused, naming the field`, () => {
    assert.throws(
      () => loadPostProcessor({ name, state: { bogus: 1 } }, 'bundle x'),
      /bundle x: .* state is invalid at/,
    )
    const other = sample(entry.actsOn === 'class_probabilities' ? 'quantiles' : 'class_probabilities', 10, 3)
    assert.throws(() => fitPostProcessor(name, {}, other.out, other.y), new RegExp(`${name}: the model gives no`))
  })
}

test('an unknown post-processor is refused by name', () => {
  assert.throws(() => loadPostProcessor({ name: 'no_such', state: {} }, 'bundle x'), /unknown post-processor "no_such"/)
  assert.throws(
    () => fitPostProcessor('no_such', {}, { n: 0 }, new Float64Array()),
    /available: temperature, platt, isotonic, beta, dirichlet, split, cv_plus, jackknife_plus, jackknife_plus_ab, aci, enbpi, cqr, lac, aps, raps/,
  )
})
