import { test } from 'node:test'
import assert from 'node:assert/strict'
import { seededRandom, standardNormal } from '../../../src/core/random.js'
import { cumulativeRegret } from '../../../src/metrics/regret.js'
import { LinearBandit, type BanditOptions } from '../../../src/ensemble/gates/bandit.js'

const MEANS = [0.5, 0.3, 0.1]

/**
 * A stationary problem: 3 arms whose rewards are their mean plus N(0, 1) noise, independent of a 2-dimensional
 * context (so no arm is best in some contexts only: the best fixed arm in hindsight is the benchmark). Returns the
 * cumulative regret against the best arm in hindsight after each of T rows, rewards feeding back at once.
 */
function regretCurve(opts: Partial<BanditOptions>, T: number, seed: number): Float64Array {
  const rand = seededRandom(seed)
  const M = MEANS.length
  const d = 3
  const bandit = new LinearBandit({
    policy: 'linucb',
    output: 'choose',
    feedback: 'bandit',
    arms: M,
    dim: d,
    ridge: 1,
    alpha: 1,
    temperature: 0.05,
    noise: 1,
    draws: 32,
    seed,
    ...opts,
  })
  const x = new Float64Array(d)
  const w = new Float64Array(M)
  const r = new Float64Array(M)
  const got = new Float64Array(T)
  const arms = MEANS.map(() => new Float64Array(T))
  for (let t = 0; t < T; t++) {
    x[0] = 1
    x[1] = standardNormal(rand)
    x[2] = standardNormal(rand)
    for (let j = 0; j < M; j++) r[j] = MEANS[j] + standardNormal(rand)
    const played = bandit.weigh(x, 0, t, w, 0)
    let reward = 0
    for (let j = 0; j < M; j++) reward += w[j] * r[j]
    got[t] = -reward
    for (let j = 0; j < M; j++) arms[j][t] = -r[j]
    bandit.update(x, 0, r, 0, played)
  }
  return cumulativeRegret(got, arms).cumulative
}

for (const policy of ['linucb', 'thompson'] as const) {
  for (const output of ['choose', 'weight'] as const) {
    test(`bandit (${policy}, ${output}, bandit feedback): regret against the best arm grows sublinearly (horizons 2,000 and 16,000)`, () => {
      const seeds = [1, 2, 3, 4, 5, 6]
      const short = 2000
      const long = 16_000
      let atShort = 0
      let atLong = 0
      for (const seed of seeds) {
        const curve = regretCurve({ policy, output }, long, seed)
        atShort += curve[short - 1] / seeds.length
        atLong += curve[long - 1] / seeds.length
      }
      // Linear regret would multiply by 8 from 2,000 to 16,000 rows; sqrt(T) growth by 2.8. Exploring costs something
      // early (positive regret), and the cost per row falls.
      assert.ok(atShort > 0, `regret after ${short} rows: ${atShort}`)
      assert.ok(atLong < 4 * atShort, `regret ${atShort} after ${short} rows, ${atLong} after ${long} (8x rows)`)
      assert.ok(atLong / long < 0.5 * (atShort / short), `per-row regret ${atShort / short} -> ${atLong / long}`)
    })
  }
}

test("bandit: a row's weights depend on (seed, time) and the state only; updates follow feedback full or bandit", () => {
  const base: BanditOptions = {
    policy: 'thompson',
    output: 'weight',
    feedback: 'full',
    arms: 2,
    dim: 2,
    ridge: 1,
    alpha: 1,
    temperature: 0.05,
    noise: 1,
    draws: 16,
    seed: 3,
  }
  const x = Float64Array.from([1, 0.5])
  const a = new LinearBandit(base)
  const b = new LinearBandit(base)
  const wa = new Float64Array(2)
  const wb = new Float64Array(2)
  a.weigh(x, 0, 1000, wa, 0)
  b.weigh(x, 0, 1000, wb, 0)
  assert.deepEqual(Array.from(wa), Array.from(wb))
  // Full feedback: both arms learn; bandit feedback: only the played one.
  a.update(x, 0, Float64Array.from([1, -1]), 0, 0)
  const s = a.arms()
  assert.ok(s.b[0][0] === 1 && s.b[1][0] === -1)
  const c = new LinearBandit({ ...base, feedback: 'bandit' })
  c.update(x, 0, Float64Array.from([1, -1]), 0, 0)
  assert.ok(c.arms().b[0][0] === 1 && c.arms().b[1][0] === 0)
  // A state round-trips: the same weights from a bandit rebuilt from it.
  const back = new LinearBandit(base, JSON.parse(JSON.stringify(s)))
  const w1 = new Float64Array(2)
  const w2 = new Float64Array(2)
  a.weigh(x, 0, 7, w1, 0)
  back.weigh(x, 0, 7, w2, 0)
  assert.deepEqual(Array.from(w1), Array.from(w2))
  assert.throws(() => new LinearBandit(base, { ainv: [[1]], b: [[0]] }), /state holds 1 arms, expected 2/)
})
