import assert from 'node:assert/strict'
import { test } from 'node:test'
import { randomSampler } from '../../../src/sweep/samplers/random.js'
import { tpeSampler, tpeSamplerSchema } from '../../../src/sweep/samplers/tpe.js'
import type { Sampler } from '../../../src/sweep/samplers/sampler.js'
import type { Space } from '../../../src/sweep/space.js'

/** Branin's function: three global minima of 0.397887 on x in [-5, 10], y in [0, 15]. */
const BRANIN_MIN = 0.397887357729739
function branin(x: number, y: number): number {
  const b = 5.1 / (4 * Math.PI * Math.PI)
  const c = 5 / Math.PI
  const t = 1 / (8 * Math.PI)
  return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * Math.cos(x) + 10
}

const space: Space = [
  { path: 'x', param: { type: 'uniform', low: -5, high: 10 } },
  { path: 'y', param: { type: 'uniform', low: 0, high: 15 } },
]

const CAP = 300

/** Trials until one is within 1% of the optimum (CAP + 1 when none is within CAP trials). */
function trialsToOptimum(sampler: Sampler): number {
  for (let n = 1; n <= CAP; n++) {
    const p = sampler.ask()
    const f = branin(p.x as number, p.y as number)
    sampler.tell(p, f)
    if (f <= BRANIN_MIN * 1.01) return n
  }
  return CAP + 1
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2
}

test('TPE reaches within 1% of the optimum of Branin in fewer trials than random search (median over 20 seeds)', () => {
  const tpe: number[] = []
  const rnd: number[] = []
  for (let seed = 1; seed <= 20; seed++) {
    tpe.push(trialsToOptimum(tpeSampler(space, tpeSamplerSchema.parse({ kind: 'tpe' }), seed)))
    rnd.push(trialsToOptimum(randomSampler(space, seed)))
  }
  console.log(
    `trials to within 1%: tpe median ${median(tpe)} [${tpe.join(' ')}], random median ${median(rnd)} [${rnd.join(' ')}]`,
  )
  assert.ok(median(tpe) < median(rnd), `tpe median ${median(tpe)} vs random ${median(rnd)}`)
})
