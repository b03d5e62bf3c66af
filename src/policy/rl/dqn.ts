/**
 * DQN over discrete position sizes on libtorch: a 2x64 tanh MLP gives one value per size; double Q-learning (the
 * online network picks the next size, the Polyak-averaged target network values it); epsilon-greedy exploration after
 * the uniformly random start. A stored position maps back to its size by the nearest one (the environment clips, and
 * every size is in [-1, 1], so it is exact). The replay and the selection on validation are off-policy.ts's.
 */
import { tidy, noGrad } from '../../engines/torch/index.js'
import { seededRandom } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'
import { parameters } from '../../models/neural/nn.js'
import { observationWidth, type RlSeries } from './environment.js'
import { exportPolicy, mlp, seedTorch, shrinkOutput, type TrainResult } from './networks.js'
import { polyak, runOffPolicy } from './off-policy.js'
import type { DqnPolicy } from './params.js'

/** Train one DQN policy with `seed`; the same seed, series and params give identical parameters. */
export function trainDqn(train: RlSeries, val: RlSeries, params: DqnPolicy, seed: number): TrainResult {
  const t = seedTorch(params.threads, deriveSeed(seed, 'init'))
  const width = observationWidth(train)
  const k = params.sizes.length
  const q = mlp(width, params.hidden, k)
  shrinkOutput(q, 0.01)
  const qTarget = mlp(width, params.hidden, k)
  polyak(qTarget, q, 1)
  const opt = t.optimizerCreate('adam', parameters(q), { lr: params.lr })
  const greedy = seededRandom(deriveSeed(seed, 'exploration'))
  const sizes = t.keep(t.tensor(Float32Array.from(params.sizes), [1, k]))
  const all = [...parameters(q), ...parameters(qTarget), sizes]
  try {
    return runOffPolicy(t, train, val, params, seed, width, (scaler) => ({
      name: 'DQN',
      policy: () => exportPolicy(q, scaler, params.sizes),
      explore: (obs, out) => {
        const n = out.length
        const values = tidy(() => noGrad(() => q.forward(t.tensor(obs, [n, width])).toArray() as Float32Array))
        for (let e = 0; e < n; e++) {
          if (greedy() < params.epsilon) {
            out[e] = params.sizes[Math.floor(greedy() * k)]
            continue
          }
          let best = 0
          for (let j = 1; j < k; j++) if (values[e * k + j] > values[e * k + best]) best = j
          out[e] = params.sizes[best]
        }
      },
      update: ({ s, next, a, r, live }) => {
        const target = noGrad(() => {
          const pick = q.forward(next).argmax(1, true)
          const value = qTarget.forward(next).gather(1, pick)
          return r.add(value.mul(live).mul(params.gamma))
        })
        const taken = a.sub(sizes).abs().neg().argmax(1, true)
        const loss = q.forward(s).gather(1, taken).sub(target).square().mean()
        t.optimizerZeroGrad(opt)
        loss.backward()
        t.optimizerStep(opt)
        polyak(qTarget, q, params.tau)
      },
    }))
  } finally {
    for (const p of all) p.dispose()
  }
}
