/**
 * Zero-shot foundation adapters (chronos_bolt, timesfm) run on small ONNX graphs with the real export signatures
 * (test/fixtures/foundation, made by make_foundation_onnx.py): the model's own scaling, horizon selection and
 * quantile decoding are checked against the graph's known formula; scale invariance; causality; clear errors for a
 * wrong graph, a missing file, a horizon beyond the model's and a tampered bundle.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FoundationView } from '../../../src/features/views/types.js'
import { createModel, registry } from '../../../src/models/registry.js'
import { cdfAt, normalQuantile, quantileAt } from '../../../src/models/foundation/common.js'
import { onnxAvailability } from '../../../src/engines/onnx/session.js'
import { repoRoot, tempDir } from '../../helpers.js'

const FIX = join(repoRoot, 'test/fixtures/foundation')
const CHRONOS = join(FIX, 'chronos_bolt_tiny.onnx')
const TIMESFM = join(FIX, 'timesfm_tiny.onnx')
const quantileTask = { kind: 'quantile', quantiles: [0.05, 0.5, 0.95] } as const

/** A positive OHLC random walk with momentum; n samples of `context` closes. */
function view(n: number, context: number, seed: number, level = 100): FoundationView {
  let s = seed >>> 0
  const u = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s + 0.5) / 4294967296
  }
  const T = n + context
  const base = new Float64Array(T * 4)
  let close = level
  let prev = 0
  for (let t = 0; t < T; t++) {
    const r = 0.5 * prev + 0.002 * (u() - 0.5)
    prev = r
    const open = close
    close = open * Math.exp(r)
    base.set([open, Math.max(open, close), Math.min(open, close), close], t * 4)
  }
  return { kind: 'foundation', n, context, base, end: Int32Array.from({ length: n }, (_, i) => i + context - 1) }
}

/**
 * The fixture graphs' median at step h on a scaled context z (see make_foundation_onnx.py): the last value plus
 * the last step damped by 0.5 per step ahead.
 */
function fixtureMedian(z: number[], h: number): number {
  const L = z.length
  return z[L - 1] + (z[L - 1] - z[L - 2]) * (1 - 0.5 ** h)
}

function closes(v: FoundationView, i: number): number[] {
  const out: number[] = []
  for (let r = v.end[i] - v.context + 1; r <= v.end[i]; r++) out.push(v.base[r * 4 + 3])
  return out
}

describe('foundation adapters', () => {
  const ok = onnxAvailability()
  if (!ok.ok) {
    it('onnxruntime-node', (t) => t.skip(ok.hint))
    return
  }

  it('quantile helpers: exact at known levels, normal tails beyond them, cdf inverts the quantiles', () => {
    const levels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    const values = levels.map((l) => 2 + 3 * normalQuantile(l)) // a N(2, 3^2) forecast
    assert.equal(quantileAt(levels, values, 0.3), values[2])
    assert.ok(Math.abs(quantileAt(levels, values, 0.05) - (2 + 3 * normalQuantile(0.05))) < 1e-6)
    assert.ok(Math.abs(quantileAt(levels, values, 0.95) - (2 + 3 * -normalQuantile(0.05))) < 1e-6)
    assert.ok(Math.abs(normalQuantile(0.95) - 1.6448536) < 1e-5)
    for (const l of [0.02, 0.1, 0.25, 0.5, 0.75, 0.97]) {
      assert.ok(Math.abs(cdfAt(levels, values, quantileAt(levels, values, l)) - l) < 1e-6, `cdf(q(${l}))`)
    }
  })

  const cases = [
    { name: 'chronos_bolt', path: CHRONOS, scaleOf: chronosScale },
    { name: 'timesfm', path: TIMESFM, scaleOf: timesfmScale },
  ]
  for (const c of cases) {
    it(`${c.name}: its own context scaling, the chosen horizon and the decoding match the graph's formula`, () => {
      const v = view(40, 64, 3)
      for (const horizon of [1, 5]) {
        const m = createModel(c.name, { path: c.path, horizon, batchSize: 16 }, quantileTask)
        const out = m.predict(v)
        for (const i of [0, 17, 39]) {
          const p = closes(v, i)
          const { loc, scale } = c.scaleOf(p)
          const z = p.map((x) => Math.fround((x - loc) / scale))
          const median = fixtureMedian(z, horizon) * scale + loc
          const expected = median / p[p.length - 1] - 1
          assert.ok(
            Math.abs(out.q50![i] - expected) < 1e-5 * (1 + Math.abs(expected)) + 1e-7,
            `${c.name} h=${horizon} sample ${i}: q50 ${out.q50![i]} vs ${expected}`,
          )
          assert.ok(out.q05![i] < out.q50![i] && out.q50![i] < out.q95![i], 'quantiles ordered')
          assert.ok(out.p_up![i] > 0 && out.p_up![i] < 1)
          // The median above the last close means p_up above one half, and conversely.
          assert.equal(out.p_up![i] > 0.5, out.q50![i] > 0, `${c.name}: p_up agrees with the median's sign`)
        }
      }
    })

    it(`${c.name}: outputs are invariant to the price level (the model's scaling) and ignore bars after the context`, () => {
      const m = createModel(c.name, { path: c.path }, quantileTask)
      const a = view(30, 48, 8, 100)
      const b = { ...a, base: a.base.map((x) => x * 1000) }
      const oa = m.predict(a)
      const ob = m.predict(b)
      for (let i = 0; i < a.n; i++) {
        assert.ok(Math.abs(oa.q50![i] - ob.q50![i]) < 1e-5, `${c.name}: q50 changes with the price level`)
        assert.ok(Math.abs(oa.p_up![i] - ob.p_up![i]) < 1e-4, `${c.name}: p_up changes with the price level`)
      }
      const k = 10
      const later = Float64Array.from(a.base)
      for (let r = (a.end[k] + 1) * 4; r < later.length; r++) later[r] *= 1.5
      const oc = m.predict({ ...a, base: later })
      for (let i = 0; i <= k; i++) assert.equal(oc.q50![i], oa.q50![i], `${c.name}: sample ${i} saw a later bar`)
      assert.notEqual(oc.q50![k + 1], oa.q50![k + 1])
    })
  }

  it('zero-shot on a momentum series: p_up and E_r pick the direction of the next bar', () => {
    const v = view(400, 64, 21)
    for (const name of ['chronos_bolt', 'timesfm']) {
      const m = createModel(name, { path: name === 'timesfm' ? TIMESFM : CHRONOS }, { kind: 'binary' })
      const out = m.predict(v)
      let hit = 0
      for (let i = 0; i < v.n; i++) {
        const next = v.base[(v.end[i] + 1) * 4 + 3] / v.base[v.end[i] * 4 + 3] - 1
        hit += out.p_up![i] > 0.5 === next > 0 ? 1 : 0
        assert.equal(out.E_r![i] > 0, out.p_up![i] > 0.5, `${name}: E_r and p_up disagree at ${i}`)
      }
      assert.ok(hit / v.n > 0.6, `${name}: direction hit rate ${(hit / v.n).toFixed(3)}`)
    }
  })

  it('clear errors: wrong graph, missing file, horizon beyond the model, wrong view, tampered bundle', async () => {
    const v = view(5, 32, 1)
    assert.throws(
      () => createModel('timesfm', { path: CHRONOS }, quantileTask).predict(v),
      (e: Error) => e.message.includes(CHRONOS) && e.message.includes('no input "input_ts"'),
    )
    assert.throws(
      () => createModel('chronos_bolt', { path: TIMESFM }, quantileTask).predict(v),
      (e: Error) => e.message.includes(TIMESFM) && /no input "context"/.test(e.message),
    )
    assert.throws(
      () => createModel('chronos_bolt', { path: join(FIX, 'absent.onnx') }, quantileTask).predict(v),
      /absent\.onnx does not exist; export the checkpoint/,
    )
    assert.throws(
      () => createModel('chronos_bolt', { path: CHRONOS, horizon: 9 }, quantileTask).predict(v),
      /horizon 9 is beyond the model's prediction_length 8/,
    )
    assert.throws(
      () =>
        createModel('timesfm', { path: TIMESFM }, quantileTask).predict({
          kind: 'feature_matrix',
          n: 1,
          f: 1,
          data: new Float64Array(1),
          names: ['a'],
        }),
      /takes a foundation view, got feature_matrix/,
    )
    assert.throws(() => createModel('timesfm', {}, quantileTask), /models\.timesfm\.path/)
    assert.throws(
      () => createModel('timesfm', { path: TIMESFM }, { kind: 'multiclass', classes: 3 }),
      /does not support task "multiclass"/,
    )

    const m = createModel('chronos_bolt', { path: CHRONOS }, quantileTask)
    const dir = tempDir('mlf-foundation-')
    const refs = await m.save(dir)
    assert.deepEqual([...refs.files].sort(), ['model.json', 'model.onnx'])
    const loaded = await registry.get('chronos_bolt')!.load(dir)
    assert.deepEqual(loaded.predict(v), m.predict(v))
    writeFileSync(join(dir, 'model.onnx'), Buffer.concat([Buffer.from([0]), Buffer.alloc(10)]))
    const tampered = await registry.get('chronos_bolt')!.load(dir)
    assert.throws(() => tampered.predict(v), /checksum mismatch/)
  })
})

/** Chronos-Bolt instance norm: mean and root-mean-square deviation. */
function chronosScale(p: number[]): { loc: number; scale: number } {
  const loc = p.reduce((s, x) => s + x, 0) / p.length
  const scale = Math.sqrt(p.reduce((s, x) => s + (x - loc) ** 2, 0) / p.length)
  return { loc, scale: scale === 0 ? Math.abs(loc) + 1e-5 : scale }
}

/** TimesFM input normalisation: z-score by mean and standard deviation. */
function timesfmScale(p: number[]): { loc: number; scale: number } {
  const loc = p.reduce((s, x) => s + x, 0) / p.length
  return { loc, scale: Math.sqrt(p.reduce((s, x) => s + (x - loc) ** 2, 0) / p.length) || 1 }
}
