import assert from 'node:assert/strict'
import test from 'node:test'
import { logLoss } from '../../src/inference/calibration/metrics.js'
import {
  applyPostProcessors,
  fitPostProcessor,
  loadPostProcessor,
  type FittedPostProcessor,
} from '../../src/inference/post-processors.js'
import type { Outputs } from '../../src/models/contract.js'
import { uniform } from '../helpers.js'

/** Labels drawn from true 3-class probabilities (softmax of z), and a model that reports softmax(3 z): over-confident. */
function overconfident(n: number, seed: number): { out: Outputs; y: Float64Array } {
  const r = uniform(seed)
  const p = new Float64Array(n * 3)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const z = [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1.2]
    const e = z.map(Math.exp)
    const s = e[0] + e[1] + e[2]
    const u = r()
    y[i] = u < e[0] / s ? 0 : u < (e[0] + e[1]) / s ? 1 : 2
    const sharp = z.map((v) => Math.exp(3 * v))
    const t = sharp[0] + sharp[1] + sharp[2]
    for (let c = 0; c < 3; c++) p[i * 3 + c] = sharp[c] / t
  }
  return { out: { n, p, classes: 3 }, y }
}

/** The chain fitted as the post-process stage fits it: each link on the validation outputs of the links before it. */
function fitChain(names: readonly string[], val: Outputs, y: Float64Array): FittedPostProcessor[] {
  const chain: FittedPostProcessor[] = []
  for (const name of names) chain.push(fitPostProcessor(name, {}, applyPostProcessors(chain, val), y))
  return chain
}

for (const names of [['isotonic', 'temperature'], ['platt'], ['isotonic'], ['platt', 'temperature']]) {
  test(`chain [${names.join(', ')}]: fitted on validation, rows sum to 1 and held-out log-loss drops`, (t) => {
    const val = overconfident(6000, 1)
    const held = overconfident(6000, 2)
    const chain = fitChain(names, val.out, val.y)
    const reloaded = chain.map((c, i) => loadPostProcessor(JSON.parse(JSON.stringify(c)), `link ${i}`))
    const out = applyPostProcessors(reloaded, held.out)
    assert.deepEqual(out, applyPostProcessors(chain, held.out))
    for (let i = 0; i < out.n; i++) {
      const row = out.p!.subarray(i * 3, i * 3 + 3)
      assert.ok(row.every((v) => v >= 0 && v <= 1))
      assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-12, `row ${i}: ${row}`)
      assert.equal(out.p_up![i], row[2])
    }
    const raw = logLoss(held.out.p!, held.y, 3)
    const calibrated = logLoss(out.p!, held.y, 3)
    t.diagnostic(`log-loss ${raw} -> ${calibrated}`)
    assert.ok(calibrated < raw - 0.02, `${raw} -> ${calibrated}`)
  })
}
