/**
 * PPO (proximal policy optimisation, clipped objective) on libtorch: a Gaussian policy over the target position
 * whose mean is a 2-hidden-layer tanh MLP squashed by tanh, a state-independent log standard deviation, and a value
 * MLP of the same shape; advantages by GAE. Sampled actions are clipped to [-1, 1] by the environment, their log
 * probability taken before the clip. After each update the policy's mean is rolled out on the validation series and
 * the best update by validation P&L is kept: the model is selected on validation, never on test.
 */
import { tidy, noGrad } from '../../engines/torch/index.js'
import { seededNormal } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'
import { epochPermutation } from '../../models/neural/data.js'
import { constantParameter, parameters } from '../../models/neural/nn.js'
import { observationWidth, type RlSeries } from './environment.js'
import {
  HALF_LOG_2PI,
  exportPolicy,
  mlp,
  seedTorch,
  shrinkOutput,
  trainingEnvironment,
  ValidationSelection,
  type TrainResult,
} from './networks.js'
import type { PpoPolicy } from './params.js'

/** Train one PPO policy with `seed`; the same seed, series and params give identical parameters. */
export function trainPpo(train: RlSeries, val: RlSeries, params: PpoPolicy, seed: number): TrainResult {
  const t = seedTorch(params.threads, deriveSeed(seed, 'init'))
  const width = observationWidth(train)
  const actor = mlp(width, params.hidden, 1)
  const critic = mlp(width, params.hidden, 1)
  const logStd = constantParameter(actor, 'log_std', [1], params.log_std)
  shrinkOutput(actor, 0.01)
  const all = [...parameters(actor), ...parameters(critic)]
  const opt = t.optimizerCreate('adam', all, { lr: params.lr })
  const { env, scaler } = trainingEnvironment(train, params, seed)
  const normal = seededNormal(deriveSeed(seed, 'exploration'))
  const n = params.envs
  const batch = n * params.rollout
  const obs = new Float32Array(batch * width)
  const actions = new Float32Array(batch)
  const logProbs = new Float32Array(batch)
  const values = new Float64Array(batch)
  const rewards = new Float64Array(batch)
  const dones = new Uint8Array(batch)
  const advantages = new Float32Array(batch)
  const returns = new Float32Array(batch)
  const stepActions = new Float64Array(n)
  const minibatch = Math.min(params.minibatch, batch)
  const updates = Math.ceil(params.steps / batch)

  const policy = (x: Parameters<typeof actor.forward>[0]) => actor.forward(x).tanh()
  const selection = new ValidationSelection(val, exportPolicy(actor, scaler), 'PPO')
  try {
    for (let u = 1; u <= updates; u++) {
      const std = Math.exp(logStd.item())
      const logStdNow = Math.log(std)
      for (let s = 0; s < params.rollout; s++) {
        obs.set(env.obs, s * n * width)
        const [mean, value] = tidy(() =>
          noGrad(() => {
            const x = t.tensor(env.obs, [n, width])
            return [policy(x).toArray() as Float32Array, critic.forward(x).toArray() as Float32Array]
          }),
        )
        for (let e = 0; e < n; e++) {
          const z = normal()
          const a = mean[e] + std * z
          const k = s * n + e
          actions[k] = a
          logProbs[k] = -0.5 * z * z - logStdNow - HALF_LOG_2PI
          values[k] = value[e]
          stepActions[e] = a
        }
        env.step(stepActions)
        rewards.set(env.rewards, s * n)
        dones.set(env.dones, s * n)
      }
      const lastValues = tidy(() =>
        noGrad(() => critic.forward(t.tensor(env.obs, [n, width])).toArray() as Float32Array),
      )
      generalisedAdvantages(rewards, values, dones, lastValues, n, params.gamma, params.lambda, advantages, returns)
      tidy(() => {
        const obsT = t.tensor(obs, [batch, width])
        const actT = t.tensor(actions, [batch, 1])
        const logpT = t.tensor(logProbs, [batch, 1])
        const advT = t.tensor(advantages, [batch, 1])
        const retT = t.tensor(returns, [batch, 1])
        for (let epoch = 0; epoch < params.epochs; epoch++) {
          const perm = epochPermutation(batch, deriveSeed(seed, 'minibatches', u), epoch)
          for (let s = 0; s + minibatch <= batch; s += minibatch) {
            tidy(() => {
              const idx = t.tensor(perm.subarray(s, s + minibatch), [minibatch], 'int32').to('int64')
              const x = obsT.indexSelect(0, idx)
              const a = actT.indexSelect(0, idx)
              const adv0 = advT.indexSelect(0, idx)
              const adv = adv0.sub(adv0.mean()).div(adv0.var().sqrt().add(1e-8))
              const mean = policy(x)
              const z = a.sub(mean).div(logStd.exp())
              const logp = z.square().mul(-0.5).sub(logStd).sub(HALF_LOG_2PI)
              const ratio = logp.sub(logpT.indexSelect(0, idx)).exp()
              const surrogate = ratio.mul(adv).minimum(ratio.clamp(1 - params.clip, 1 + params.clip).mul(adv))
              const policyLoss = surrogate.mean().neg()
              const valueLoss = critic.forward(x).sub(retT.indexSelect(0, idx)).square().mean()
              // The Gaussian's entropy is log std plus a constant.
              const loss = policyLoss.add(valueLoss.mul(params.value_coef)).sub(logStd.sum().mul(params.entropy_coef))
              t.optimizerZeroGrad(opt)
              loss.backward()
              t.clipGradNorm(all, 0.5)
              t.optimizerStep(opt)
            })
          }
        }
      })
      selection.offer(u, exportPolicy(actor, scaler))
    }
  } finally {
    for (const p of [...all]) p.dispose()
  }
  return selection.result(updates * batch)
}

/**
 * GAE(lambda) over a rollout stored step-major ((step, env) at step * envs + env); an episode's end cuts the
 * bootstrap. Writes the advantages and the value targets (advantage plus value).
 */
export function generalisedAdvantages(
  rewards: Float64Array,
  values: Float64Array,
  dones: Uint8Array,
  lastValues: ArrayLike<number>,
  envs: number,
  gamma: number,
  lambda: number,
  advantages: Float32Array,
  returns: Float32Array,
): void {
  const steps = rewards.length / envs
  for (let e = 0; e < envs; e++) {
    let running = 0
    for (let s = steps - 1; s >= 0; s--) {
      const k = s * envs + e
      const live = dones[k] ? 0 : 1
      const next = s === steps - 1 ? lastValues[e] : values[k + envs]
      const delta = rewards[k] + gamma * next * live - values[k]
      running = delta + gamma * lambda * live * running
      advantages[k] = running
      returns[k] = running + values[k]
    }
  }
}
