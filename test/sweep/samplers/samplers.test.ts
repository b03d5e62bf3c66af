import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gridSampler } from '../../../src/sweep/samplers/grid.js'
import { randomSampler } from '../../../src/sweep/samplers/random.js'
import { tpeSampler, tpeSamplerSchema } from '../../../src/sweep/samplers/tpe.js'
import type { Sampler } from '../../../src/sweep/samplers/sampler.js'
import type { Params, Space } from '../../../src/sweep/space.js'

const mixed: Space = [
  { path: 'u', param: { type: 'uniform', low: -1, high: 1 } },
  { path: 'l', param: { type: 'log_uniform', low: 1e-3, high: 1 } },
  { path: 'i', param: { type: 'int', low: 2, high: 10, step: 2 } },
  { path: 'c', param: { type: 'choice', values: ['a', { name: 'b' }, [1, 2]] } },
]

function inSpace(p: Params): void {
  assert.deepEqual(Object.keys(p), ['u', 'l', 'i', 'c'])
  assert.ok((p.u as number) >= -1 && (p.u as number) <= 1)
  assert.ok((p.l as number) >= 1e-3 && (p.l as number) <= 1)
  assert.ok([2, 4, 6, 8, 10].includes(p.i as number), `i = ${String(p.i)}`)
  assert.ok(['"a"', '{"name":"b"}', '[1,2]'].includes(JSON.stringify(p.c)))
}

/** A toy loss over the mixed space, so samplers have something to learn from. */
const loss = (p: Params) =>
  (p.u as number) ** 2 + Math.log10(p.l as number) ** 2 / 9 + (p.i as number) / 10 + (p.c === 'a' ? 0 : 5)

function run(s: Sampler, n: number): Params[] {
  const out: Params[] = []
  for (let k = 0; k < n; k++) {
    const p = s.ask()
    inSpace(p)
    s.tell(p, k % 7 === 3 ? null : loss(p))
    out.push(p)
  }
  return out
}

const tpe = (seed: number) => tpeSampler(mixed, tpeSamplerSchema.parse({ kind: 'tpe', startup_trials: 10 }), seed)

test('random and TPE propose values inside the space, the same ones for the same seed, others for another', () => {
  for (const make of [(s: number) => randomSampler(mixed, s), tpe]) {
    const a = run(make(11), 40)
    assert.deepEqual(run(make(11), 40), a)
    assert.notDeepEqual(run(make(12), 40), a)
  }
})

test('TPE learns: after its start-up trials it proposes the better choice and region more often than chance', () => {
  const proposals = run(tpe(5), 60).slice(20)
  const shareA = proposals.filter((p) => p.c === 'a').length / proposals.length
  assert.ok(shareA > 0.6, `share of the better choice ${shareA}`)
})

test('the grid visits every point once in a seeded order, and says when it is exhausted', () => {
  const space: Space = [
    { path: 'i', param: { type: 'int', low: 1, high: 3, step: 1 } },
    { path: 'c', param: { type: 'choice', values: ['x', 'y'] } },
    { path: 'u', param: { type: 'uniform', low: 0, high: 1, points: 2 } },
  ]
  const g = gridSampler(space, 1)
  assert.equal(g.size, 12)
  const seen = Array.from({ length: 12 }, () => JSON.stringify(g.ask()))
  assert.equal(new Set(seen).size, 12)
  assert.throws(() => g.ask(), /all been proposed/)
  const again = gridSampler(space, 1)
  assert.deepEqual(
    Array.from({ length: 12 }, () => JSON.stringify(again.ask())),
    seen,
  )
  const other = gridSampler(space, 2)
  assert.notDeepEqual(
    Array.from({ length: 12 }, () => JSON.stringify(other.ask())),
    seen,
  )
  assert.throws(
    () => gridSampler([{ path: 'u', param: { type: 'uniform', low: 0, high: 1 } }], 1),
    /space\.u: the grid sampler needs points/,
  )
})
