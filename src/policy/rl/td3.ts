/**
 * TD3 (twin delayed deep deterministic policy gradient) on libtorch: a deterministic policy (tanh of the MLP), twin
 * Q networks whose target takes the smaller of the two at the target policy's action plus clipped noise, the policy
 * and the target networks updated every `policy_delay` critic updates. Gaussian noise on positions explores. The
 * replay, the random start and the selection on validation are off-policy.ts's.
 */
import { tidy, noGrad, type Tensor } from '../../engines/torch/index.js'
import { seededNormal } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'
import { parameters } from '../../models/neural/nn.js'
import { observationWidth, type RlSeries } from './environment.js'
import { exportPolicy, mlp, seedTorch, shrinkOutput, type TrainResult } from './networks.js'
import { polyak, runOffPolicy, twinCritics } from './off-policy.js'
import type { Td3Policy } from './params.js'

/** Train one TD3 policy with `seed`; the same seed, series and params give identical parameters. */
export function trainTd3(train: RlSeries, val: RlSeries, params: Td3Policy, seed: number): TrainResult {
  const t = seedTorch(params.threads, deriveSeed(seed, 'init'))
  const width = observationWidth(train)
  const actor = mlp(width, params.hidden, 1)
  shrinkOutput(actor, 0.01)
  const actorTarget = mlp(width, params.hidden, 1)
  polyak(actorTarget, actor, 1)
  const critics = twinCritics(t, width + 1, params.hidden, params.lr)
  const actorOpt = t.optimizerCreate('adam', parameters(actor), { lr: params.lr })
  const normal = seededNormal(deriveSeed(seed, 'exploration'))
  const act = (x: Tensor) => actor.forward(x).tanh()

  const all = [...parameters(actor), ...parameters(actorTarget), ...critics.tensors]
  try {
    return runOffPolicy(t, train, val, params, seed, width, (scaler) => ({
      name: 'TD3',
      policy: () => exportPolicy(actor, scaler),
      explore: (obs, out) => {
        const n = out.length
        const mean = tidy(() => noGrad(() => act(t.tensor(obs, [n, width])).toArray() as Float32Array))
        for (let e = 0; e < n; e++) out[e] = Math.max(-1, Math.min(1, mean[e] + params.exploration_noise * normal()))
      },
      update: ({ s, next, a, r, live }, update) => {
        const target = noGrad(() => {
          const noise = t
            .randn([next.shape[0], 1])
            .mul(params.policy_noise)
            .clamp(-params.noise_clip, params.noise_clip)
          const a2 = actorTarget.forward(next).tanh().add(noise).clamp(-1, 1)
          const sa2 = t.cat([next, a2], 1)
          return r.add(critics.targetMin(sa2).mul(live).mul(params.gamma))
        })
        critics.fit(t.cat([s, a], 1), target)
        if (update % params.policy_delay !== 0) return
        const actorLoss = critics.q1
          .forward(t.cat([s, act(s)], 1))
          .mean()
          .neg()
        t.optimizerZeroGrad(actorOpt)
        actorLoss.backward()
        t.optimizerStep(actorOpt)
        polyak(actorTarget, actor, params.tau)
        critics.follow(params.tau)
      },
    }))
  } finally {
    for (const p of all) p.dispose()
  }
}
