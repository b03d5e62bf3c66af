/**
 * SAC (soft actor-critic) on libtorch: a tanh-squashed Gaussian policy (the MLP gives the mean and the log standard
 * deviation), twin Q networks with Polyak-averaged targets, and the entropy weight tuned towards a target entropy
 * of -1 (one action dimension). Transitions go to a replay buffer on typed arrays; the first `start_steps` act
 * uniformly at random. Every `EVAL_EVERY` environment steps the policy's mean is rolled out on validation, and the
 * best is kept.
 */
import { tidy, noGrad, type Tensor } from '../../engines/torch/index.js'
import { seededNormal, seededRandom } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'
import { parameters, stateDict } from '../../models/neural/nn.js'
import { observationWidth, type RlSeries } from './environment.js'
import {
  HALF_LOG_2PI,
  exportPolicy,
  mlp,
  seedTorch,
  shrinkOutput,
  trainingEnvironment,
  ValidationSelection,
  type Mlp,
  type TrainResult,
} from './networks.js'
import type { SacPolicy } from './params.js'

const EVAL_EVERY = 1024
const TARGET_ENTROPY = -1

/** Copy `from`'s parameters into `to` scaled: to = (1 - tau) to + tau from (tau 1 copies). */
function polyak(to: Mlp, from: Mlp, tau: number): void {
  const src = stateDict(from)
  stateDict(to).forEach(([, p], i) => tidy(() => noGrad(() => p.copy_(p.mul(1 - tau).add(src[i][1].mul(tau))))))
}

/** Train one SAC policy with `seed`; the same seed, series and params give identical parameters. */
export function trainSac(train: RlSeries, val: RlSeries, params: SacPolicy, seed: number): TrainResult {
  const t = seedTorch(params.threads, deriveSeed(seed, 'init'))
  const width = observationWidth(train)
  const actor = mlp(width, params.hidden, 2)
  shrinkOutput(actor, 0.01)
  const q1 = mlp(width + 1, params.hidden, 1)
  const q2 = mlp(width + 1, params.hidden, 1)
  const q1Target = mlp(width + 1, params.hidden, 1)
  const q2Target = mlp(width + 1, params.hidden, 1)
  polyak(q1Target, q1, 1)
  polyak(q2Target, q2, 1)
  const logAlpha = t.keep(t.full([1], Math.log(params.alpha)).setRequiresGrad(true))
  const actorParams = parameters(actor)
  const criticParams = [...parameters(q1), ...parameters(q2)]
  const actorOpt = t.optimizerCreate('adam', actorParams, { lr: params.lr })
  const criticOpt = t.optimizerCreate('adam', criticParams, { lr: params.lr })
  const alphaOpt = t.optimizerCreate('adam', [logAlpha], { lr: params.lr })
  const n = params.envs
  const { env, scaler } = trainingEnvironment(train, params, seed)

  const vectorSteps = Math.ceil(params.steps / n)
  const capacity = Math.min(params.buffer, vectorSteps * n)
  const obs = new Float32Array(capacity * width)
  const next = new Float32Array(capacity * width)
  const act = new Float32Array(capacity)
  const rew = new Float32Array(capacity)
  const live = new Float32Array(capacity)
  let stored = 0
  let cursor = 0
  const normal = seededNormal(deriveSeed(seed, 'exploration'))
  const uniform = seededRandom(deriveSeed(seed, 'random actions'))
  const draw = seededRandom(deriveSeed(seed, 'replay'))
  const mb = params.minibatch
  const batchObs = new Float32Array(mb * width)
  const batchNext = new Float32Array(mb * width)
  const batchAct = new Float32Array(mb)
  const batchRew = new Float32Array(mb)
  const batchLive = new Float32Array(mb)
  const stepActions = new Float64Array(n)

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

  const update = () =>
    tidy(() => {
      for (let k = 0; k < mb; k++) {
        const j = Math.floor(draw() * stored)
        batchObs.set(obs.subarray(j * width, (j + 1) * width), k * width)
        batchNext.set(next.subarray(j * width, (j + 1) * width), k * width)
        batchAct[k] = act[j]
        batchRew[k] = rew[j]
        batchLive[k] = live[j]
      }
      const s = t.tensor(batchObs, [mb, width])
      const s2 = t.tensor(batchNext, [mb, width])
      const a = t.tensor(batchAct, [mb, 1])
      const alpha = logAlpha.detach().exp()
      const target = noGrad(() => {
        const [a2, logp2] = sample(s2)
        const sa2 = t.cat([s2, a2], 1)
        const soft = q1Target.forward(sa2).minimum(q2Target.forward(sa2)).sub(logp2.mul(alpha))
        return t.tensor(batchRew, [mb, 1]).add(soft.mul(t.tensor(batchLive, [mb, 1])).mul(params.gamma))
      })
      const sa = t.cat([s, a], 1)
      const criticLoss = q1.forward(sa).sub(target).square().mean().add(q2.forward(sa).sub(target).square().mean())
      t.optimizerZeroGrad(criticOpt)
      criticLoss.backward()
      t.optimizerStep(criticOpt)
      const [aNew, logp] = sample(s)
      const saNew = t.cat([s, aNew], 1)
      const q = q1.forward(saNew).minimum(q2.forward(saNew))
      const actorLoss = logp.mul(alpha).sub(q).mean()
      t.optimizerZeroGrad(actorOpt)
      actorLoss.backward()
      t.optimizerStep(actorOpt)
      const alphaLoss = logAlpha.mul(logp.detach().add(TARGET_ENTROPY)).mean().neg()
      t.optimizerZeroGrad(alphaOpt)
      alphaLoss.backward()
      t.optimizerStep(alphaOpt)
    })

  const selection = new ValidationSelection(val, exportPolicy(actor, scaler), 'SAC')
  const all = [...actorParams, ...criticParams, ...parameters(q1Target), ...parameters(q2Target), logAlpha]
  let updates = 0
  try {
    for (let v = 0; v < vectorSteps; v++) {
      const random = v * n < params.start_steps
      if (!random) {
        const out = tidy(() => noGrad(() => actor.forward(t.tensor(env.obs, [n, width])).toArray() as Float32Array))
        for (let e = 0; e < n; e++) {
          const logStd = Math.max(-5, Math.min(2, out[2 * e + 1]))
          stepActions[e] = Math.tanh(out[2 * e] + Math.exp(logStd) * normal())
        }
      } else {
        for (let e = 0; e < n; e++) stepActions[e] = 2 * uniform() - 1
      }
      const before = Float32Array.from(env.obs)
      env.step(stepActions)
      for (let e = 0; e < n; e++) {
        obs.set(before.subarray(e * width, (e + 1) * width), cursor * width)
        next.set(env.obs.subarray(e * width, (e + 1) * width), cursor * width)
        act[cursor] = stepActions[e]
        rew[cursor] = env.rewards[e]
        // An episode's end cuts the bootstrap (its next observation is already the next episode's).
        live[cursor] = env.dones[e] ? 0 : 1
        cursor = (cursor + 1) % capacity
        stored = Math.min(capacity, stored + 1)
      }
      if (!random && stored >= mb) {
        update()
        polyak(q1Target, q1, params.tau)
        polyak(q2Target, q2, params.tau)
        updates++
      }
      if (((v + 1) * n) % EVAL_EVERY < n && updates > 0) selection.offer(updates, exportPolicy(actor, scaler))
    }
  } finally {
    for (const p of all) p.dispose()
  }
  return selection.result(vectorSteps * n)
}
