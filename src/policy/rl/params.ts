/**
 * The `rl` policy's parameters: which algorithm, what the observation reads, what the reward is, and the training
 * budget. Only implemented algorithms parse; an input the chain does not hand to policies is refused by name.
 */
import { z } from 'zod'
import { RL_INPUTS, type RlInput } from './environment.js'

/** Outputs the issue names that the chain does not pass to policies (PolicyInputs) yet. */
const NOT_PASSED = new Set(['q05', 'q50', 'q95', 'uncertainty', 'regime_score'])

const inputsParam = z
  .array(z.string())
  .min(1)
  .describe(`What the observation reads at each row, besides the held position: ${RL_INPUTS.join(', ')}`)
  .superRefine((names, ctx) => {
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i)
        ctx.addIssue({ code: 'custom', path: [i], message: `input ${name} is named twice` })
      else if (NOT_PASSED.has(name))
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `input ${name}: the chain does not hand ${name} to policies; available: ${RL_INPUTS.join(', ')}`,
        })
      else if (!(RL_INPUTS as readonly string[]).includes(name))
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `unknown input ${JSON.stringify(name)}; available: ${RL_INPUTS.join(', ')}`,
        })
    })
  })
  .transform((names) => names as RlInput[])

/** What every algorithm reads: the observation, the reward, seeds and budget, the network. */
const shared = {
  kind: z.literal('rl'),
  inputs: inputsParam,
  outputs: z
    .array(z.literal('position_size'))
    .length(1)
    .default(['position_size'])
    .describe('What the policy outputs: the target position, a fraction of capital in [-1, 1]'),
  seeds: z
    .number()
    .int()
    .min(3)
    .max(32)
    .default(3)
    .describe('Independent trainings (seeds derived from the run seed); the report gives their spread'),
  reward: z
    .enum(['pnl', 'differential_sharpe'])
    .default('pnl')
    .describe('pnl: the net P&L of each step after costs; differential_sharpe: its differential Sharpe ratio'),
  eta: z.number().gt(0).lt(1).default(0.01).describe('Rate of the moving moments of the differential Sharpe ratio'),
  steps: z.number().int().min(1000).max(100_000_000).default(100_000).describe('Environment steps of training'),
  envs: z.number().int().min(1).max(4096).default(16).describe('Episodes stepped at once'),
  episode: z.number().int().min(8).max(100_000).default(256).describe('Steps per episode'),
  observe_position: z
    .boolean()
    .default(false)
    .describe(
      'Observe the held position (a policy can weigh the cost of a change, but its positions depend on the path from the first scored row); false (the default): each position is a function of its row alone; mlf run refuses true for now',
    ),
  hidden: z.number().int().min(4).max(1024).default(64).describe('Units of each of the two hidden layers'),
  gamma: z.number().gt(0).lte(1).default(0.9).describe('Discount of future rewards'),
  lr: z.number().gt(0).lt(1).default(3e-4).describe('Adam learning rate'),
  minibatch: z.number().int().min(8).max(1_000_000).default(256).describe('Samples per gradient step'),
  reward_scale: z
    .number()
    .gt(0)
    .optional()
    .describe('Multiplies the P&L reward; absent: 1 / the standard deviation of the training bars’ returns'),
  threads: z.number().int().min(1).max(256).default(1).describe('libtorch threads for training'),
}

export const ppoPolicySchema = z
  .object({
    ...shared,
    algorithm: z.literal('ppo').describe('ppo: proximal policy optimisation, a Gaussian policy over the position'),
    rollout: z.number().int().min(8).max(4096).default(128).describe('Steps per environment between updates'),
    lambda: z.number().gte(0).lte(1).default(0.9).describe('GAE lambda: the bias-variance trade of advantages'),
    clip: z.number().gt(0).lt(1).default(0.2).describe('PPO clip range of the probability ratio'),
    epochs: z.number().int().min(1).max(100).default(4).describe('Passes over each rollout'),
    value_coef: z.number().min(0).max(10).default(0.5).describe('Weight of the value loss'),
    entropy_coef: z.number().min(0).max(1).default(0).describe('Weight of the entropy bonus'),
    log_std: z
      .number()
      .min(-5)
      .max(2)
      .default(-0.5)
      .describe("Initial log standard deviation of the policy's Gaussian"),
  })
  .strict()

/** What the off-policy algorithms (SAC, TD3) add: the replay buffer, the random start, the target networks. */
const offPolicy = {
  tau: z.number().gt(0).lte(1).default(0.01).describe('Polyak rate of the target networks'),
  start_steps: z
    .number()
    .int()
    .min(0)
    .default(2048)
    .describe('Environment steps of uniformly random positions before the policy acts'),
  buffer: z.number().int().min(1000).default(1_000_000).describe('Transitions the replay buffer keeps'),
}

export const sacPolicySchema = z
  .object({
    ...shared,
    ...offPolicy,
    algorithm: z
      .literal('sac')
      .describe('sac: soft actor-critic, a tanh-squashed Gaussian policy, twin Q networks, tuned entropy'),
    alpha: z.number().gt(0).max(10).default(0.02).describe('Initial weight of the entropy bonus (then tuned)'),
  })
  .strict()

export const td3PolicySchema = z
  .object({
    ...shared,
    ...offPolicy,
    algorithm: z
      .literal('td3')
      .describe('td3: twin delayed DDPG, a deterministic tanh policy, twin Q networks, smoothed target actions'),
    exploration_noise: z
      .number()
      .gt(0)
      .max(2)
      .default(0.1)
      .describe('Standard deviation of the Gaussian noise added to positions while collecting'),
    policy_noise: z
      .number()
      .min(0)
      .max(2)
      .default(0.2)
      .describe("Standard deviation of the noise on the target policy's actions (target smoothing)"),
    noise_clip: z.number().min(0).max(2).default(0.5).describe('Bound of the target smoothing noise'),
    policy_delay: z.number().int().min(1).max(100).default(2).describe('Critic updates per policy update'),
  })
  .strict()

export const dqnPolicySchema = z
  .object({
    ...shared,
    ...offPolicy,
    algorithm: z
      .literal('dqn')
      .describe('dqn: double deep Q-learning over discrete position sizes, epsilon-greedy, a Polyak target'),
    sizes: z
      .array(z.number().min(-1).max(1))
      .min(2)
      .max(64)
      .default([-1, -0.5, 0, 0.5, 1])
      .refine((a) => new Set(a).size === a.length, 'each size once')
      .describe('The positions the policy chooses between, fractions of capital in [-1, 1]'),
    epsilon: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Share of steps (after the random start) that take a random size'),
  })
  .strict()

export const rlPolicySchema = z.discriminatedUnion('algorithm', [
  ppoPolicySchema,
  sacPolicySchema,
  td3PolicySchema,
  dqnPolicySchema,
])

export type PpoPolicy = z.infer<typeof ppoPolicySchema>
export type SacPolicy = z.infer<typeof sacPolicySchema>
export type Td3Policy = z.infer<typeof td3PolicySchema>
export type DqnPolicy = z.infer<typeof dqnPolicySchema>
export type RlPolicy = z.infer<typeof rlPolicySchema>
