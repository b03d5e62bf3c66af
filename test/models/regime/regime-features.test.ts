import assert from 'node:assert/strict'
import { test } from 'node:test'
import { barAt, sliceBars, type Bars } from '../../../src/data/bars.js'
import { auditLeakage, formatFinding, type AuditTarget } from '../../../src/features/audit.js'
import { createFeatureEngine, planFeatures } from '../../../src/features/engine.js'
import { computeFeatures, detectVolumeMode } from '../../../src/features/frame.js'
import { regimeAuditTarget } from '../../../src/models/regime/audit.js'
import { smoothedProbabilitiesLeaky } from '../../../src/models/regime/hmm-smoother.js'
import { observeFrame, RegimeObserver } from '../../../src/models/regime/observations.js'
import {
  fitRegime,
  fittedRegimeFromJson,
  fittedRegimeToJson,
  MAX_DURATION,
  regimeColumns,
  RegimeStream,
  type FittedRegime,
} from '../../../src/models/regime/regime-features.js'
import { regimeColumnNames, regimeModelSchema, type RegimeModelSpec } from '../../../src/models/regime/spec.js'
import { FIL_FILE, loadBars } from '../../features/data.js'
import { regimeBars, sameBits, SMALL_FEATURES } from './synthetic.js'

const spec = (raw: Record<string, unknown>): RegimeModelSpec => regimeModelSchema.parse(raw)
const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i)

const SMALL = SMALL_FEATURES

function fitOn(bars: Bars, s: RegimeModelSpec, train: number, seed = 3) {
  const frame = computeFeatures(bars, SMALL)
  const obs = observeFrame(frame, bars, s.features)
  const fitted = fitRegime(s, obs, bars.length, range(0, train), seed)
  return { frame, obs, fitted }
}

test('regime spec: defaults per model, the model params validated and filled in, what it cannot do refused', () => {
  assert.deepEqual(spec({}), {
    model: 'hmm',
    states: 2,
    features: ['log_return', 'log_range'],
    params: { covariance: 'diag', restarts: 5, max_iter: 100, tol: 1e-6, min_variance: 1e-6 },
  })
  const ms = spec({ model: 'markov_switching', states: 3, params: { ar: 'switching' } })
  assert.deepEqual(ms.features, ['log_return'])
  assert.equal(ms.params.ar, 'switching')
  assert.equal(ms.params.max_iter, 1000)
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ states: 1 }, /states/],
    [{ states: 9 }, /states/],
    [{ states: 'bic' }, /states/],
    [{ model: 'markov_switching', features: ['log_return', 'rsi_1m'] }, /one return series: give one feature/],
    [{ features: ['rsi_1m', 'rsi_1m'] }, /a feature is listed twice/],
    [{ params: { covariance: 'spherical' } }, /params\.covariance|covariance/],
    [{ params: { seed: 3 } }, /seed/],
    [{ model: 'hmm', params: { ar: 'switching' } }, /ar/],
    [{ model: 'markov_switching', params: { covariance: 'full' } }, /covariance/],
    [{ model: 'kalman' }, /model/],
    [{ states: 2, extra: 1 }, /extra/],
  ]
  for (const [raw, message] of refused) {
    const r = regimeModelSchema.safeParse(raw)
    assert.equal(r.success, false, JSON.stringify(raw))
    const text = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')
    assert.match(text, message, JSON.stringify(raw))
  }
  assert.deepEqual(regimeColumnNames('regime', 3), [
    'regime_p0',
    'regime_p1',
    'regime_p2',
    'regime_duration',
    'regime_state',
  ])
})

test('regime features: batch is the stream replayed (bit for bit), probabilities sum to 1, state and duration follow', () => {
  const bars = regimeBars(4000, 5)
  for (const s of [
    spec({ model: 'hmm', states: 3, features: ['log_return', 'log_range', 'rsi_1m'], params: { restarts: 2 } }),
    spec({ model: 'hmm', states: 2, params: { covariance: 'full', restarts: 2 } }),
    spec({ model: 'markov_switching', states: 2, params: { restarts: 2, max_iter: 200 } }),
    spec({ model: 'markov_switching', states: 2, params: { ar: 'switching', restarts: 2, max_iter: 200 } }),
  ]) {
    const { frame, obs, fitted } = fitOn(bars, s, 2500)
    const cols = regimeColumns(fitted, obs, bars.length)
    const K = s.states
    assert.equal(cols.length, K + 2)
    // Live: a feature engine and an observer fed one bar at a time, the stream updated from the engine's row.
    const engine = createFeatureEngine(planFeatures(SMALL, detectVolumeMode(bars)))
    const observer = new RegimeObserver(s.features, engine.names)
    const stream = new RegimeStream(fitted)
    const x = new Float64Array(s.features.length)
    const out = new Float64Array(K + 2)
    const live = cols.map(() => new Float64Array(bars.length))
    for (let t = 0; t < bars.length; t++) {
      const bar = barAt(bars, t)
      engine.push(bar)
      observer.observe(bar.high, bar.low, bar.close, engine.row, x)
      stream.update(x, 0, out)
      for (let c = 0; c < K + 2; c++) live[c][t] = out[c]
    }
    for (let c = 0; c < K + 2; c++) assert.ok(sameBits(cols[c], live[c]), `${s.model} column ${c}: batch == live`)
    assert.equal(frame.length, bars.length)
    for (let t = 0; t < bars.length; t++) {
      let sum = 0
      let best = 0
      for (let k = 0; k < K; k++) {
        const p = cols[k][t]
        assert.ok(p >= 0 && p <= 1, `row ${t} p${k} = ${p}`)
        sum += p
        if (p > cols[best][t]) best = k
      }
      assert.ok(Math.abs(sum - 1) < 1e-12, `row ${t} sums to ${sum}`)
      assert.equal(cols[K + 1][t], best)
      assert.ok(cols[K][t] >= 1 && cols[K][t] <= MAX_DURATION, `duration ${cols[K][t]}`)
    }
  }
})

test('regime features: the calm and volatile states of planted bars are told apart by the filter', () => {
  // regimeBars' hidden state 1 has four times the variance: the fitted (volatility-ordered) state 1 should follow it.
  const bars = regimeBars(6000, 9)
  const { obs, fitted } = fitOn(bars, spec({ states: 2, params: { restarts: 3 } }), 4000)
  const cols = regimeColumns(fitted, obs, bars.length)
  const volatile = cols[1]
  let calmMean = 0
  let wildMean = 0
  let nc = 0
  let nw = 0
  for (let t = 1; t < bars.length; t++) {
    const r = Math.abs(obs[t * 2])
    if (volatile[t] > 0.5) {
      wildMean += r
      nw++
    } else {
      calmMean += r
      nc++
    }
  }
  assert.ok(nc > 500 && nw > 500, `both states are visited (${nc}, ${nw})`)
  assert.ok(wildMean / nw > 1.5 * (calmMean / nc), `|return| ${wildMean / nw} in state 1 vs ${calmMean / nc}`)
})

test('regime features: the saved state is plain JSON and round-trips bitwise; bad states are refused, naming the field', () => {
  const bars = regimeBars(3000, 2)
  for (const s of [
    spec({ states: 3, params: { restarts: 1 } }),
    spec({ model: 'markov_switching', params: { restarts: 1 } }),
  ]) {
    const { obs, fitted } = fitOn(bars, s, 2000)
    const json = JSON.parse(JSON.stringify(fittedRegimeToJson(fitted)))
    const back = fittedRegimeFromJson(json, 'regimes/regime.json')
    assert.ok(sameBits(back.center, fitted.center) && sameBits(back.scale, fitted.scale))
    const a = regimeColumns(fitted, obs, bars.length)
    const b = regimeColumns(back, obs, bars.length)
    a.forEach((c, k) => assert.ok(sameBits(c, b[k]), `column ${k}`))
    assert.throws(() => fittedRegimeFromJson({ ...json, scale: json.scale.map(() => 0) }, 'f.json'), /f\.json: .*scale/)
    assert.throws(() => fittedRegimeFromJson({ ...json, center: [1, 2, 3] }, 'f.json'), /center and scale/)
    assert.throws(() => fittedRegimeFromJson({ ...json, states: json.states + 1 }, 'f.json'), /states|regimes/)
  }
})

test('regime features: bad input is refused, naming the feature', () => {
  const bars = regimeBars(600, 4)
  const frame = computeFeatures(bars, SMALL)
  assert.throws(
    () => observeFrame(frame, bars, ['rsi_1h']),
    /feature "rsi_1h" is not a feature of this run; did you mean "rsi_1m"/,
  )
  const obs = observeFrame(frame, bars, ['log_return', 'rsi_1m'])
  // RSI is warm only after its first 15 rows: 20 training rows leave too few.
  assert.throws(
    () => fitRegime(spec({ features: ['log_return', 'rsi_1m'] }), obs, 600, range(0, 20), 1),
    /training rows have every observation .* finite; 2 states need at least 20/,
  )
  const flat = new Float64Array(600).fill(0.5)
  assert.throws(
    () => fitRegime(spec({ model: 'markov_switching' }), flat, 600, range(0, 600), 1),
    /feature "log_return" is constant over the training window/,
  )
})

const TRAIN = 900

/** The positive control: the HMM fitted on the first TRAIN rows, then smoothed over the whole series (the classic bug). */
function smoothedTarget(s: RegimeModelSpec) {
  return (bars: Bars): AuditTarget[] => {
    const { obs, fitted } = fitOn(bars, s, TRAIN)
    const n = bars.length
    const K = s.states
    const d = s.features.length
    // Rows 1.. (row 0 has no return), standardised as the filter does.
    const z = Float64Array.from(obs.subarray(d), (v, i) => (v - fitted.center[i % d]) / fitted.scale[i % d])
    const smooth = smoothedProbabilitiesLeaky(fitted.hmm!, z, n - 1)
    const names = regimeColumnNames('regime', K)
    return [
      {
        name: 'regime features (smoothed)',
        n: n - 1,
        width: K,
        rowOf: (i) => i + 1,
        read: (i, o) => o.set(smooth.subarray(i * K, (i + 1) * K)),
        label: (k) => names[k],
      },
    ]
  }
}

test('regime features: the generic leakage audit leaves every column at or before T unchanged (hmm and markov switching)', () => {
  const bars = regimeBars(4000, 17)
  for (const s of [
    spec({ states: 3, features: ['log_return', 'log_range', 'rsi_1m'], params: { restarts: 2 } }),
    spec({ model: 'markov_switching', params: { restarts: 2, max_iter: 200 } }),
  ]) {
    const target = (b: Bars) => [regimeAuditTarget(s, computeFeatures(b, SMALL), b, TRAIN, 3)]
    const result = auditLeakage(bars, target, { cuts: 3, seed: 5 })
    assert.equal(result.findings.length, 0, result.findings.map(formatFinding).join('\n'))
    assert.ok(
      result.cuts.every((c) => c >= TRAIN),
      'every cut lies after the training window',
    )
  }
})

test('regime features: the same audit catches a deliberately smoothed HMM (the positive control)', () => {
  const bars = regimeBars(4000, 17)
  const result = auditLeakage(bars, smoothedTarget(spec({ states: 2, params: { restarts: 2 } })), {
    cuts: 3,
    seed: 5,
  })
  assert.equal(result.ok, false)
  assert.equal(result.findings.length, 6, 'caught at every cut, perturbed and truncated')
  for (const f of result.findings) assert.ok(f.row <= f.cut && /^regime_p\d$/.test(f.feature), formatFinding(f))
})

test('regime features: batch and incremental filtering agree bit for bit on the test window of the real sample', async (t) => {
  const all = await loadBars(FIL_FILE)
  if (!all) return void t.skip(`${FIL_FILE} is absent`)
  const bars = sliceBars(all, 0, 30_000)
  const n = bars.length
  const frame = computeFeatures(bars, SMALL)
  const usable = Int32Array.from(frame.usable.keys()).filter((r) => frame.usable[r] === 1)
  // A chronological 70 / 15 / 15 split of the usable rows: fit on the first 70%, compare on the last 15%.
  const train = usable.subarray(0, Math.floor(usable.length * 0.7))
  const testFrom = usable[Math.floor(usable.length * 0.85)]
  for (const s of [
    spec({ model: 'hmm', states: 3, features: ['log_return', 'log_range', 'rv_5m'], params: { restarts: 2 } }),
    spec({ model: 'markov_switching', states: 2, params: { restarts: 2 } }),
  ]) {
    const obs = observeFrame(frame, bars, s.features)
    const fitted: FittedRegime = fitRegime(s, obs, n, train, 11)
    const batch = regimeColumns(fitted, obs, n)
    const engine = createFeatureEngine(planFeatures(SMALL, detectVolumeMode(bars)))
    const observer = new RegimeObserver(s.features, engine.names)
    const stream = new RegimeStream(fitted)
    const x = new Float64Array(s.features.length)
    const out = new Float64Array(stream.width)
    let compared = 0
    for (let r = 0; r < n; r++) {
      const bar = barAt(bars, r)
      engine.push(bar)
      observer.observe(bar.high, bar.low, bar.close, engine.row, x)
      stream.update(x, 0, out)
      if (r < testFrom) continue
      for (let c = 0; c < stream.width; c++)
        if (!Object.is(out[c], batch[c][r]))
          assert.fail(`${s.model} row ${r} column ${c}: live ${out[c]} != batch ${batch[c][r]}`)
      compared++
    }
    assert.ok(compared > 4000, `${compared} test rows compared`)
    // The regimes do move on real data: no state holds every test row.
    const state = batch[s.states + 1].subarray(testFrom)
    assert.ok(new Set(state).size > 1, `${s.model}: more than one state over the test window`)
  }
})
