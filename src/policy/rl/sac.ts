/**
 * SAC (soft actor-critic) on libtorch: a tanh-squashed Gaussian policy (the MLP gives the mean and the log standard
 * deviation), twin Q networks with Polyak-averaged targets, and the entropy weight tuned towards a target entropy
 * of -1 (one action dimension). The replay, the random start and the selection on validation are off-policy.ts's.
 */
import { tidy, noGrad, type Tensor } from '../../engines/torch/index.js'
import { seededNormal } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'
import { parameters } from '../../models/neural/nn.js'
import { observationWidth, type RlSeries } from './environment.js'
import { HALF_LOG_2PI, exportPolicy, mlp, seedTorch, shrinkOutput, type TrainResult } from './networks.js'
import { runOffPolicy, twinCritics } from './off-policy.js'
import type { SacPolicy } from './params.js'

const TARGET_ENTROPY = -1

/** Train one SAC policy with `seed`; the same seed, series and params give identical parameters. */
export function trainSac(train: RlSeries, val: RlSeries, params: SacPolicy, seed: number): TrainResult {
  const t = seedTorch(params.threads, deriveSeed(seed, 'init'))
  const width = observationWidth(train)
  const actor = mlp(width, params.hidden, 2)
  shrinkOutput(actor, 0.01)
  const critics = twinCritics(t, width + 1, params.hidden, params.lr)
  const logAlpha = t.keep(t.full([1], Math.log(params.alpha)).setRequiresGrad(true))
  const actorParams = parameters(actor)
  const actorOpt = t.optimizerCreate('adam', actorParams, { lr: params.lr })
  const alphaOpt = t.optimizerCreate('adam', [logAlpha], { lr: params.lr })
  const normal = seededNormal(deriveSeed(seed, 'exploration'))

  /** A reparameterised sample of the squashed Gaussian and its log probability (with the tanh correction). */
  const sample = (x: Tensor): [Tensor, Tensor] => {
    const out = actor.forward(x)
    const mean = out.narrow(1, 0, 1)
    const logStd = out.narrow(1, 1, 1).clamp(-5, 2)
    const z = t.randn([x.shape[0], 1])
    const a = mean.add(logStd.exp().mul(z)).tanh()
    const logp = z
      .square()
      .mul(-0.5)
      .sub(logStd)
      .sub(HALF_LOG_2PI)
      .sub(
        a
          .square()
          .neg()
          .add(1 + 1e-6)
          .log(),
      )
    return [a, logp]
  }

  const all = [...actorParams, ...critics.tensors, logAlpha]
  try {
    return runOffPolicy(t, train, val, params, seed, width, (scaler) => ({
      name: 'SAC',
      policy: () => exportPolicy(actor, scaler),
      explore: (obs, out) => {
        const n = out.length
        const o = tidy(() => noGrad(() => actor.forward(t.tensor(obs, [n, width])).toArray() as Float32Array))
        for (let e = 0; e < n; e++) {
          const logStd = Math.max(-5, Math.min(2, o[2 * e + 1]))
          out[e] = Math.tanh(o[2 * e] + Math.exp(logStd) * normal())
        }
      },
      update: ({ s, next, a, r, live }) => {
        const alpha = logAlpha.detach().exp()
        const target = noGrad(() => {
          const [a2, logp2] = sample(next)
          const sa2 = t.cat([next, a2], 1)
          const soft = critics.targetMin(sa2).sub(logp2.mul(alpha))
          return r.add(soft.mul(live).mul(params.gamma))
        })
        critics.fit(t.cat([s, a], 1), target)
        const [aNew, logp] = sample(s)
        const saNew = t.cat([s, aNew], 1)
        const actorLoss = logp
          .mul(alpha)
          .sub(critics.q1.forward(saNew).minimum(critics.q2.forward(saNew)))
          .mean()
        t.optimizerZeroGrad(actorOpt)
        actorLoss.backward()
        t.optimizerStep(actorOpt)
        const alphaLoss = logAlpha.mul(logp.detach().add(TARGET_ENTROPY)).mean().neg()
        t.optimizerZeroGrad(alphaOpt)
        alphaLoss.backward()
        t.optimizerStep(alphaOpt)
        critics.follow(params.tau)
      },
    }))
  } finally {
    for (const p of all) p.dispose()
  }
}
