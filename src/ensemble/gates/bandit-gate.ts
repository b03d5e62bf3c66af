/**
 * bandit_gate: a linear contextual bandit (bandit.ts: LinUCB or Thompson sampling) that chooses or weighs the
 * members online. Its context is [1, the gate's features standardised on the training rows] (context_features and
 * the ensemble regime's filtered probabilities); an arm's reward at a row is the log-probability it gives the true
 * class (floored at PROB_FLOOR). The arms are the members and, with mix_arm (the default), their uniform mixture:
 * picking one member gives up what averaging gains when members err independently, so without that arm a bandit
 * would do worse than voting wherever no member is better than the rest; with it, it converges to voting there.
 *
 * It learns only from outcomes whose label span has closed (the order of src/inference/conformal/label-feed.ts):
 * trained by replaying the purged out-of-fold rows in time order, each outcome fed once its label closed; then,
 * predicting rows in time order, it keeps learning from the outcomes of rows after the training window as their
 * labels close, never earlier. A row's weights therefore depend on the outcomes closed before it and on the rows
 * before it in the same stream: mlf run and scoring through the bundle both run it over every sample row after the
 * training window, so they agree.
 */
import { z } from 'zod'
import type { FitContext } from '../../models/contract.js'
import { replayOrder } from '../../inference/conformal/label-feed.js'
import type { CombinerEntry } from '../combiner.js'
import { PROB_FLOOR } from '../stacking.js'
import { LinearBandit, type BanditOptions } from './bandit.js'
import {
  contextShape,
  fitGate,
  gateShape,
  loadGate,
  type GateLearner,
  type GateRows,
  type GateTraining,
} from './gate.js'

const LINUCB_ONLY = ['alpha', 'temperature'] as const
const THOMPSON_ONLY = ['noise', 'draws'] as const

export const banditGateParams = z
  .strictObject({
    ...gateShape('bandit_gate'),
    ...contextShape('join the context'),
    policy: z
      .enum(['linucb', 'thompson'])
      .default('linucb')
      .describe('linucb: upper confidence bound; thompson: posterior sampling'),
    output: z
      .enum(['choose', 'weight'])
      .default('weight')
      .describe(
        'choose: all weight on one member per row; weight: softmax of the scores (linucb) or win shares (thompson)',
      ),
    feedback: z
      .enum(['full', 'bandit'])
      .default('full')
      .describe('full: every member learns its reward once the label closes; bandit: only the member played'),
    mix_arm: z
      .boolean()
      .default(true)
      .describe(
        'An arm beside the members that plays their uniform mixture (voting): where no member beats the rest, the gate converges to it',
      ),
    ridge: z.number().positive().default(1).describe("Ridge prior of each arm's reward regression"),
    alpha: z.number().min(0).optional().describe('linucb: exploration bonus per unit of uncertainty (default 1)'),
    temperature: z
      .number()
      .positive()
      .optional()
      .describe('linucb with output weight: softmax temperature in log-loss nats (default 0.05)'),
    noise: z.number().positive().optional().describe('thompson: posterior scale (default 1)'),
    draws: z
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe('thompson with output weight: posterior draws whose wins make the weights (default 64)'),
  })
  .transform((p, ctx) => {
    const other = p.policy === 'linucb' ? THOMPSON_ONLY : LINUCB_ONLY
    for (const key of other)
      if (p[key] !== undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} is not a parameter of policy ${p.policy}` })
    if (p.output === 'choose')
      for (const key of ['temperature', 'draws'] as const)
        if (p[key] !== undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: `${key} shapes output weight; output is choose` })
    const linucb = p.policy === 'linucb'
    const weight = p.output === 'weight'
    return {
      ...p,
      ...(linucb ? { alpha: p.alpha ?? 1 } : { noise: p.noise ?? 1 }),
      ...(linucb && weight ? { temperature: p.temperature ?? 0.05 } : {}),
      ...(!linucb && weight ? { draws: p.draws ?? 64 } : {}),
    }
  })
export type BanditGateParams = z.output<typeof banditGateParams>

const vector = z.array(z.number().refine(Number.isFinite, 'must be finite'))
const stateSchema = z.strictObject({
  options: z.strictObject({
    policy: z.enum(['linucb', 'thompson']),
    output: z.enum(['choose', 'weight']),
    feedback: z.enum(['full', 'bandit']),
    mix_arm: z.boolean(),
    ridge: z.number().positive(),
    alpha: z.number().min(0),
    temperature: z.number().positive(),
    noise: z.number().positive(),
    draws: z.int().min(1),
    seed: z.int().min(0),
  }),
  /** Mean and scale of each gate feature on the training rows (the context is [1, standardised features]). */
  center: vector,
  scale: vector.refine((v) => v.every((s) => s > 0), 'scales must be > 0'),
  arms: z.strictObject({ ainv: z.array(vector).min(1), b: z.array(vector).min(1) }),
  /** Time of the last training row: outcomes of rows after it are learned online. */
  online_after: z.number(),
  /** Outcomes learned in training (the out-of-fold rows). */
  trained: z.int().min(0),
})
export type BanditGateState = z.infer<typeof stateSchema>

function banditOf(state: BanditGateState, members: number): LinearBandit {
  const { mix_arm: mixArm, ...o } = state.options
  const options: BanditOptions = { ...o, arms: members + (mixArm ? 1 : 0), dim: 1 + state.center.length }
  return new LinearBandit(options, state.arms)
}

/** Rows' contexts [1, (extra - center) / scale], row-major (n, 1 + e). */
function contexts(extra: Float64Array, n: number, center: readonly number[], scale: readonly number[]): Float64Array {
  const e = center.length
  const d = 1 + e
  const x = new Float64Array(n * d)
  for (let i = 0; i < n; i++) {
    x[i * d] = 1
    for (let j = 0; j < e; j++) x[i * d + 1 + j] = (extra[i * e + j] - center[j]) / scale[j]
  }
  return x
}

/**
 * Each arm's reward at row i, into r: the floored log-probability of class c of each member, then (with a mixture
 * arm, r.length = M + 1) of the members' uniform mixture.
 */
function rewardsAt(probs: readonly Float64Array[], k: number, i: number, c: number, r: Float64Array): Float64Array {
  const M = probs.length
  let mix = 0
  for (let j = 0; j < M; j++) {
    const p = probs[j][i * k + c]
    r[j] = Math.log(Math.max(PROB_FLOOR, p))
    mix += p / M
  }
  if (r.length > M) r[M] = Math.log(Math.max(PROB_FLOOR, mix))
  return r
}

/** Member weights (n, M) from arm weights (n, arms): the mixture arm's weight spread evenly over the members. */
function memberWeights(arm: Float64Array, n: number, M: number, mixArm: boolean): Float64Array {
  if (!mixArm) return arm
  const w = new Float64Array(n * M)
  for (let i = 0; i < n; i++) {
    const share = arm[i * (M + 1) + M] / M
    for (let j = 0; j < M; j++) w[i * M + j] = arm[i * (M + 1) + j] + share
  }
  return w
}

/**
 * The stream in label-feed order: before each row's weights, every outcome closed by its time, in closing order;
 * `learn(i)` says whether row i's outcome is ever fed. With `flush`, the outcomes still open after the last row are
 * fed at the end, in closing order (training: they all close before the validation rows). Returns the arms'
 * weights (n, arms) and how many outcomes were learned.
 */
function runStream(
  bandit: LinearBandit,
  x: Float64Array,
  stream: { time: Float64Array; closesAt: Float64Array; label: (i: number) => number; learn: (i: number) => boolean },
  probs: readonly Float64Array[],
  k: number,
  flush: boolean,
): { weights: Float64Array; fed: number } {
  const { time } = stream
  const n = time.length
  const arms = bandit.opts.arms
  const d = x.length / Math.max(1, n)
  const weights = new Float64Array(n * arms)
  const played = new Int32Array(n)
  const r = new Float64Array(arms)
  const closes = Float64Array.from(stream.closesAt, (c, i) => (stream.learn(i) ? c : Infinity))
  const done = new Uint8Array(n)
  const learn = (i: number) => {
    bandit.update(x, i * d, rewardsAt(probs, k, i, stream.label(i), r), 0, played[i])
    done[i] = 1
  }
  for (const ev of replayOrder(time, closes)) {
    if (ev.kind === 'predict') played[ev.row] = bandit.weigh(x, ev.row * d, time[ev.row], weights, ev.row * arms)
    else learn(ev.row)
  }
  if (flush)
    Int32Array.from(time.keys())
      .filter((i) => !done[i] && Number.isFinite(closes[i]))
      .sort((a, b) => closes[a] - closes[b] || a - b)
      .forEach(learn)
  return { weights, fed: done.reduce((s, v) => s + v, 0) }
}

export const banditLearner: GateLearner<BanditGateParams, BanditGateState> = {
  online: true,
  state: stateSchema,
  async fit(params: BanditGateParams, data: GateTraining, ctx: FitContext) {
    const n = data.rows.length
    const e = data.extraNames.length
    const M = data.probs.length
    const center = new Array<number>(e).fill(0)
    const scale = new Array<number>(e).fill(0)
    for (let i = 0; i < n; i++) for (let j = 0; j < e; j++) center[j] += data.extra[i * e + j] / n
    for (let i = 0; i < n; i++) for (let j = 0; j < e; j++) scale[j] += (data.extra[i * e + j] - center[j]) ** 2 / n
    // A constant feature carries nothing: scale 1 keeps it (centred at 0) without dividing by zero.
    for (let j = 0; j < e; j++) scale[j] = scale[j] > 0 ? Math.sqrt(scale[j]) : 1
    const options = {
      policy: params.policy,
      output: params.output,
      feedback: params.feedback,
      mix_arm: params.mix_arm,
      ridge: params.ridge,
      alpha: params.alpha ?? 1,
      temperature: params.temperature ?? 1,
      noise: params.noise ?? 1,
      draws: params.draws ?? 1,
      seed: ctx.seed,
    }
    const { mix_arm: mixArm, ...rest } = options
    const bandit = new LinearBandit({ ...rest, arms: M + (mixArm ? 1 : 0), dim: 1 + e })
    const x = contexts(data.extra, n, center, scale)
    // Training replays the out-of-fold rows in time order (bar index as the clock); the outcomes still open at the
    // last row have all closed before the validation rows (purged), so they are learned last, in closing order.
    const stream = runStream(
      bandit,
      x,
      {
        time: Float64Array.from(data.rows),
        closesAt: Float64Array.from(data.closesAt),
        label: (i) => data.y[i],
        learn: () => true,
      },
      data.probs,
      data.classes,
      true,
    )
    return {
      options,
      center,
      scale,
      arms: bandit.arms(),
      online_after: data.onlineAfter,
      trained: stream.fed,
    }
  },
  weights(state: BanditGateState, rows: GateRows) {
    const outcomes = rows.outcomes!
    const bandit = banditOf(state, rows.probs.length)
    const x = contexts(rows.extra, rows.n, state.center, state.scale)
    const stream = {
      time: outcomes.time,
      closesAt: outcomes.closesAt,
      label: (i: number) => outcomes.label[i],
      learn: (i: number) => outcomes.time[i] > state.online_after && Number.isFinite(outcomes.label[i]),
    }
    const arms = runStream(bandit, x, stream, rows.probs, rows.classes, false).weights
    return memberWeights(arms, rows.n, rows.probs.length, state.options.mix_arm)
  },
  check(state: BanditGateState, members: number, extraWidth: number) {
    if (state.center.length !== extraWidth || state.scale.length !== extraWidth)
      throw new Error(`state.center and state.scale must hold ${extraWidth} values (one per feature)`)
    banditOf(state, members)
  },
}

export const banditGateEntry: CombinerEntry<BanditGateParams> = {
  name: 'bandit_gate',
  gate: true,
  params: banditGateParams as unknown as z.ZodType<BanditGateParams, unknown>,
  available: () => ({ ok: true }),
  fit: (params, input, ctx) => fitGate(params, input, ctx, banditLearner),
  load: (dir) => loadGate(dir, 'bandit_gate', banditLearner as GateLearner<unknown, BanditGateState>),
}
