import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  createDMatrix,
  loadBooster,
  parseEvalLine,
  trainBooster,
  withDMatrix,
  xgb,
  xgboostAvailability,
} from '../../../src/engines/xgboost/index.js'
import { normal, rng } from '../../models/contract-data.js'

const availability = xgboostAvailability()

/** Binary data: features 0 and 1 carry the signal, the rest is noise; about 5% of values missing. */
function data(n: number, f: number, seed: number): { x: Float64Array; y: Float64Array } {
  const g = normal(rng(seed))
  const u = rng(seed + 1000)
  const x = new Float64Array(n * f)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) x[i * f + j] = g()
    y[i] = x[i * f] - 0.7 * x[i * f + 1] + 0.5 * g() > 0 ? 1 : 0
    for (let j = 0; j < f; j++) if (u() < 0.05) x[i * f + j] = NaN
  }
  return { x, y }
}

const BASE = {
  objective: 'binary:logistic',
  tree_method: 'hist',
  max_depth: 4,
  eta: 0.3,
  nthread: 1,
  seed: 3,
  verbosity: 0,
}

describe('xgboost engine (koffi binding to libxgboost)', { skip: availability.ok ? false : availability.hint }, () => {
  const tr = data(2000, 6, 1)
  const va = data(500, 6, 2)

  it('binds the library and reports its version', () => {
    assert.match(xgb().version, /^\d+\.\d+\.\d+$/)
  })

  it('builds a DMatrix from typed arrays and rejects a wrong shape or a non-finite label', () => {
    const dm = createDMatrix({ data: tr.x, rows: 2000, cols: 6, label: tr.y })
    assert.equal(dm.rows, 2000)
    dm.free()
    dm.free() // idempotent
    assert.throws(() => createDMatrix({ data: tr.x, rows: 1999, cols: 6 }), /expected rows\*cols/)
    const bad = Float64Array.from(tr.y)
    bad[7] = NaN
    assert.throws(() => createDMatrix({ data: tr.x, rows: 2000, cols: 6, label: bad }), /label\[7\] is not finite/)
  })

  it('early stopping keeps the best round; predictions equal the full run cut at that round', () => {
    withDMatrix({ data: tr.x, rows: 2000, cols: 6, label: tr.y }, (dtrain) =>
      withDMatrix({ data: va.x, rows: 500, cols: 6, label: va.y }, (dval) => {
        const params = { ...BASE, eta: 0.5, max_depth: 6 }
        const es = trainBooster({ params, rounds: 300, train: dtrain, val: dval, earlyStoppingRounds: 10 })
        const full = trainBooster({ params, rounds: 300, train: dtrain, val: dval })
        try {
          assert.equal(es.metric, 'logloss')
          assert.ok(es.rounds < 300, `early stopping should fire on this easy problem (kept ${es.rounds})`)
          assert.equal(es.booster.boostedRounds(), es.rounds)
          assert.equal(es.bestIteration, es.rounds - 1)
          const best = Math.min(...full.history)
          assert.equal(es.bestScore, best)
          assert.equal(full.history.indexOf(best), es.bestIteration)
          const a = es.booster.predict(dval)
          const b = full.booster.predict(dval, { iterationEnd: es.rounds })
          assert.deepEqual(a.values, b.values)
          assert.deepEqual(a.shape, [500, 1])
        } finally {
          es.booster.free()
          full.booster.free()
        }
      }),
    )
  })

  it('margin, probability, SHAP contributions and gain importance agree with each other', () => {
    withDMatrix({ data: tr.x, rows: 2000, cols: 6, label: tr.y }, (dm) => {
      const { booster } = trainBooster({ params: BASE, rounds: 30, train: dm })
      try {
        const p = booster.predict(dm).values
        const m = booster.predict(dm, { kind: 'margin' }).values
        const c = booster.predict(dm, { kind: 'contribs' })
        assert.deepEqual(c.shape, [2000, 1, 7])
        for (let i = 0; i < 2000; i++) {
          assert.ok(Math.abs(p[i] - 1 / (1 + Math.exp(-m[i]))) < 1e-6, `sigmoid(margin) != prob at ${i}`)
          let s = 0
          for (let j = 0; j < 7; j++) s += c.values[i * 7 + j]
          assert.ok(Math.abs(s - m[i]) < 1e-4, `SHAP row ${i} sums to ${s}, margin ${m[i]}`)
        }
        const gain = booster.featureScore('gain', 6)
        const noise = Math.max(gain[2], gain[3], gain[4], gain[5])
        assert.ok(gain[0] > noise && gain[1] > noise, `signal features must lead gain importance: ${gain.join(', ')}`)
        const weight = booster.featureScore('weight', 6)
        assert.ok(weight.every((w) => Number.isInteger(w) && w >= 0))
      } finally {
        booster.free()
      }
    })
  })

  it('saves and loads UBJ and JSON with identical predictions', () => {
    withDMatrix({ data: tr.x, rows: 2000, cols: 6, label: tr.y }, (dm) => {
      const { booster } = trainBooster({ params: BASE, rounds: 20, train: dm })
      try {
        const ref = booster.predict(dm).values
        const ubj = booster.save('ubj')
        const json = booster.save('json')
        assert.equal(ubj[0], 0x7b) // '{' opens both encodings
        const parsed = JSON.parse(Buffer.from(json).toString('utf8')) as { learner: { gradient_booster: unknown } }
        assert.ok(parsed.learner.gradient_booster)
        for (const bytes of [ubj, json]) {
          const b = loadBooster(bytes)
          try {
            assert.deepEqual(b.predict(dm).values, ref)
            assert.equal(b.boostedRounds(), 20)
            assert.equal(b.numFeatures(), 6)
          } finally {
            b.free()
          }
        }
        const cfg = booster.config() as { learner: { objective: { name: string } } }
        assert.equal(cfg.learner.objective.name, 'binary:logistic')
      } finally {
        booster.free()
      }
    })
  })

  it('same seed gives identical models, another seed a different one (row subsampling)', () => {
    withDMatrix({ data: tr.x, rows: 2000, cols: 6, label: tr.y }, (dm) => {
      const run = (seed: number) => {
        const { booster } = trainBooster({ params: { ...BASE, subsample: 0.5, seed }, rounds: 10, train: dm })
        try {
          return booster.predict(dm).values
        } finally {
          booster.free()
        }
      }
      assert.deepEqual(run(5), run(5))
      assert.notDeepEqual(run(5), run(6))
    })
  })

  it('turns XGBoost errors into exceptions carrying XGBGetLastError', () => {
    withDMatrix({ data: tr.x, rows: 2000, cols: 6, label: tr.y }, (dm) => {
      assert.throws(
        () => trainBooster({ params: { ...BASE, objective: 'no:such_objective' }, rounds: 2, train: dm }),
        /XGBoost XGBoosterUpdateOneIter\(0\) failed: .*no:such_objective/s,
      )
    })
    assert.throws(() => loadBooster(new Uint8Array([1, 2, 3, 4]), 'bad.ubj'), /XGBoost could not load bad\.ubj: /)
  })

  it('an XGBoost error reaches the user as one line: no timestamp, source file or native stack trace', () => {
    withDMatrix({ data: tr.x, rows: 2000, cols: 6, label: tr.y }, (dm) => {
      assert.throws(
        () => trainBooster({ params: { ...BASE, objective: 'no:such_objective' }, rounds: 2, train: dm }),
        (e: Error) =>
          /^XGBoost XGBoosterUpdateOneIter\(0\) failed: Unknown objective function: `no:such_objective`; /.test(
            e.message,
          ) &&
          /Objective candidates: .*binary:logistic/.test(e.message) &&
          !/\n|Stack trace|\[bt\]|\.cc:\d+/.test(e.message),
      )
    })
  })

  it('parses evaluation lines', () => {
    assert.deepEqual(parseEvalLine('[3]\ttrain-logloss:0.5\tval-auc:0.91'), { metric: 'auc', value: 0.91 })
    assert.deepEqual(parseEvalLine('[0]\tval-rmse:1.5e-3'), { metric: 'rmse', value: 0.0015 })
    assert.throws(() => parseEvalLine('garbage'), /cannot parse/)
  })
})
