/**
 * What the off-policy algorithms (SAC, TD3, DQN) share: a replay buffer on typed arrays, Polyak-averaged target networks,
 * and the loop that steps the environments (uniformly random positions for the first `start_steps`, then the
 * algorithm's exploration), updates once per vector step, and offers the policy to validation every EVAL_EVERY
 * environment steps.
 */
import { tidy, noGrad, type Tensor, type TorchBinding } from '../../engines/torch/index.js'
import { seededRandom } from '../../core/random.js'
import { deriveSeed } from '../../core/seeds.js'
import { parameters, stateDict } from '../../models/neural/nn.js'
import type { RlSeries } from './environment.js'
import type { PolicyNetwork } from './mlp.js'
import { mlp, trainingEnvironment, ValidationSelection, type Mlp, type TrainResult } from './networks.js'
import type { DqnPolicy, SacPolicy, Td3Policy } from './params.js'

const EVAL_EVERY = 1024

/** to = (1 - tau) to + tau from, parameter by parameter (tau 1 copies). */
export function polyak(to: Mlp, from: Mlp, tau: number): void {
  const src = stateDict(from)
  stateDict(to).forEach(([, p], i) => tidy(() => noGrad(() => p.copy_(p.mul(1 - tau).add(src[i][1].mul(tau))))))
}

/** Twin Q networks over (observation, position) with their Polyak-averaged targets. */
export interface TwinCritics {
  readonly q1: Mlp
  readonly q2: Mlp
  readonly q1Target: Mlp
  readonly q2Target: Mlp
  /** The smaller target Q at (s, a): the value the Bellman target bootstraps from. */
  targetMin(sa: Tensor): Tensor
  /** One Adam step on both Q networks' squared error against `target` at (s, a). */
  fit(sa: Tensor, target: Tensor): void
  /** Averages the targets towards the networks at rate tau. */
  follow(tau: number): void
  /** Every tensor they own. */
  readonly tensors: Tensor[]
}

export function twinCritics(t: TorchBinding, inputs: number, hidden: number, lr: number): TwinCritics {
  const q1 = mlp(inputs, hidden, 1)
  const q2 = mlp(inputs, hidden, 1)
  const q1Target = mlp(inputs, hidden, 1)
  const q2Target = mlp(inputs, hidden, 1)
  polyak(q1Target, q1, 1)
  polyak(q2Target, q2, 1)
  const opt = t.optimizerCreate('adam', [...parameters(q1), ...parameters(q2)], { lr })
  return {
    q1,
    q2,
    q1Target,
    q2Target,
    targetMin: (sa) => q1Target.forward(sa).minimum(q2Target.forward(sa)),
    fit: (sa, target) => {
      const loss = q1.forward(sa).sub(target).square().mean().add(q2.forward(sa).sub(target).square().mean())
      t.optimizerZeroGrad(opt)
      loss.backward()
      t.optimizerStep(opt)
    },
    follow: (tau) => {
      polyak(q1Target, q1, tau)
      polyak(q2Target, q2, tau)
    },
    tensors: [q1, q2, q1Target, q2Target].flatMap((m) => parameters(m)),
  }
}

/** A minibatch drawn from the buffer, as tensors: observations, next observations, actions, rewards, 1 - done. */
export interface Minibatch {
  readonly s: Tensor
  readonly next: Tensor
  readonly a: Tensor
  readonly r: Tensor
  readonly live: Tensor
}

export interface OffPolicyAlgorithm {
  readonly name: string
  /** Exploration positions for the current observations (envs, width), written to `out`. */
  explore(obs: Float32Array, out: Float64Array): void
  /** One gradient update (and the target networks' averaging) on a minibatch. */
  update(batch: Minibatch, update: number): void
  /** The deterministic policy as plain numbers. */
  policy(): PolicyNetwork
}

/** Steps, stores, updates and selects; `width` is the observation width. */
export function runOffPolicy(
  t: TorchBinding,
  train: RlSeries,
  val: RlSeries,
  params: SacPolicy | Td3Policy | DqnPolicy,
  seed: number,
  width: number,
  algorithm: (scaler: { center: Float64Array; spread: Float64Array }) => OffPolicyAlgorithm,
): TrainResult {
  const n = params.envs
  const { env, scaler } = trainingEnvironment(train, params, seed)
  const agent = algorithm(scaler)
  const vectorSteps = Math.ceil(params.steps / n)
  const capacity = Math.min(params.buffer, vectorSteps * n)
  const obs = new Float32Array(capacity * width)
  const next = new Float32Array(capacity * width)
  const act = new Float32Array(capacity)
  const rew = new Float32Array(capacity)
  const live = new Float32Array(capacity)
  let stored = 0
  let cursor = 0
  const uniform = seededRandom(deriveSeed(seed, 'random actions'))
  const draw = seededRandom(deriveSeed(seed, 'replay'))
  const mb = params.minibatch
  const batchObs = new Float32Array(mb * width)
  const batchNext = new Float32Array(mb * width)
  const batchAct = new Float32Array(mb)
  const batchRew = new Float32Array(mb)
  const batchLive = new Float32Array(mb)
  const stepActions = new Float64Array(n)
  const selection = new ValidationSelection(val, agent.policy(), agent.name)
  let updates = 0
  for (let v = 0; v < vectorSteps; v++) {
    const random = v * n < params.start_steps
    if (random) for (let e = 0; e < n; e++) stepActions[e] = 2 * uniform() - 1
    else agent.explore(env.obs, stepActions)
    const before = Float32Array.from(env.obs)
    env.step(stepActions)
    for (let e = 0; e < n; e++) {
      obs.set(before.subarray(e * width, (e + 1) * width), cursor * width)
      next.set(env.obs.subarray(e * width, (e + 1) * width), cursor * width)
      act[cursor] = Math.max(-1, Math.min(1, stepActions[e]))
      rew[cursor] = env.rewards[e]
      // An episode's end cuts the bootstrap (its next observation is already the next episode's).
      live[cursor] = env.dones[e] ? 0 : 1
      cursor = (cursor + 1) % capacity
      stored = Math.min(capacity, stored + 1)
    }
    if (!random && stored >= mb) {
      for (let k = 0; k < mb; k++) {
        const j = Math.floor(draw() * stored)
        batchObs.set(obs.subarray(j * width, (j + 1) * width), k * width)
        batchNext.set(next.subarray(j * width, (j + 1) * width), k * width)
        batchAct[k] = act[j]
        batchRew[k] = rew[j]
        batchLive[k] = live[j]
      }
      updates++
      tidy(() =>
        agent.update(
          {
            s: t.tensor(batchObs, [mb, width]),
            next: t.tensor(batchNext, [mb, width]),
            a: t.tensor(batchAct, [mb, 1]),
            r: t.tensor(batchRew, [mb, 1]),
            live: t.tensor(batchLive, [mb, 1]),
          },
          updates,
        ),
      )
    }
    if (((v + 1) * n) % EVAL_EVERY < n && updates > 0) selection.offer(updates, agent.policy())
  }
  return selection.result(vectorSteps * n)
}
