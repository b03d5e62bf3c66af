/**
 * What the RL trainers share: the 2-hidden-layer tanh MLP on libtorch, exporting a trained policy as plain numbers,
 * the default reward scale, and selection on validation (the update whose deterministic policy earns the most on the
 * validation series is kept; test is never looked at).
 */
import { torch, tidy, noGrad, type Tensor } from '../../engines/torch/index.js'
import { deriveSeed } from '../../core/seeds.js'
import { linear } from '../../models/neural/layers.js'
import { addChild, createModule, type Module } from '../../models/neural/nn.js'
import { BarEnvironment, fitScaler, rollout, type RlSeries } from './environment.js'
import { policyPosition, type PolicyNetwork } from './mlp.js'
import type { RlPolicy } from './params.js'

export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI)

export interface Mlp extends Module {
  forward(x: Tensor): Tensor
}

/** inputs -> hidden -> hidden -> outputs, tanh between. */
export function mlp(inputs: number, hidden: number, outputs: number): Mlp {
  const m = createModule()
  const l0 = addChild(m, 'l0', linear(inputs, hidden))
  const l1 = addChild(m, 'l1', linear(hidden, hidden))
  const l2 = addChild(m, 'l2', linear(hidden, outputs))
  return Object.assign(m, { forward: (x: Tensor) => l2.forward(l1.forward(l0.forward(x).tanh()).tanh()) })
}

/** Scale a module's output layer towards zero, so a policy starts flat and trades only what training finds worth it. */
export function shrinkOutput(net: Mlp, factor: number): void {
  for (const p of net.children.get('l2')!.params.values()) tidy(() => noGrad(() => p.copy_(p.mul(factor))))
}

/**
 * The policy whose position is tanh of the MLP's first output, as plain numbers with the observation scaler (other
 * outputs, a log standard deviation, are dropped: the deterministic policy is the mean); with `sizes`, every output
 * is a size's value and the policy takes the largest.
 */
export function exportPolicy(
  actor: Mlp,
  scaler: { center: Float64Array; spread: Float64Array },
  sizes?: readonly number[],
): PolicyNetwork {
  return tidy(() =>
    noGrad(() => {
      const layers = ['l0', 'l1', 'l2'].map((name, i) => {
        const layer = actor.children.get(name)!
        const w = layer.params.get('weight')!
        const b = layer.params.get('bias')!
        const rows = i === 2 && !sizes ? 1 : w.shape[0]
        return {
          inputs: w.shape[1],
          outputs: rows,
          weight: Array.from(w.narrow(0, 0, rows).contiguous().toArray() as Float32Array),
          bias: Array.from(b.narrow(0, 0, rows).contiguous().toArray() as Float32Array),
        }
      })
      return {
        layers,
        ...(sizes ? { sizes: [...sizes] } : {}),
        center: Array.from(scaler.center),
        spread: Array.from(scaler.spread),
      }
    }),
  )
}

/** Net P&L of the network's deterministic positions over a series, from flat. */
export function networkPnl(series: RlSeries, net: PolicyNetwork): number {
  const scaler = { center: Float64Array.from(net.center), spread: Float64Array.from(net.spread) }
  return rollout(series, (obs) => policyPosition(net, obs), scaler).pnl.reduce((s, v) => s + v, 0)
}

/** Standard deviation of the training bars' returns: the default reward scale's denominator. */
export function holdSpread(series: RlSeries): number {
  let s = 0
  let s2 = 0
  for (let i = 0; i < series.n; i++) {
    s += series.hold[i]
    s2 += series.hold[i] ** 2
  }
  const mean = s / Math.max(1, series.n)
  const sd = Math.sqrt(Math.max(0, s2 / Math.max(1, series.n) - mean * mean))
  return sd > 0 ? sd : 1
}

export interface TrainResult {
  /** The selected update's policy. */
  readonly network: PolicyNetwork
  /** Its net P&L on the validation series, and the update it came from (0: before any). */
  readonly valPnl: number
  readonly update: number
  /** The policy after the last update (what training alone ends with, before selection). */
  readonly last: PolicyNetwork
  /** Environment steps taken. */
  readonly steps: number
}

/** Keeps the best policy by validation P&L over the updates, starting from the initial one. */
export class ValidationSelection {
  private best: PolicyNetwork
  private bestPnl: number
  private bestUpdate = 0
  private latest: PolicyNetwork

  constructor(
    private readonly val: RlSeries,
    initial: PolicyNetwork,
    private readonly algorithm: string,
  ) {
    this.best = this.latest = initial
    this.bestPnl = networkPnl(val, initial)
  }

  offer(update: number, net: PolicyNetwork): void {
    const pnl = networkPnl(this.val, net)
    if (!Number.isFinite(pnl))
      throw new Error(`policy rl: ${this.algorithm} diverged at update ${update} (validation P&L ${pnl})`)
    this.latest = net
    if (pnl > this.bestPnl) {
      this.best = net
      this.bestPnl = pnl
      this.bestUpdate = update
    }
  }

  result(steps: number): TrainResult {
    return { network: this.best, valPnl: this.bestPnl, update: this.bestUpdate, last: this.latest, steps }
  }
}

/** libtorch set up for a deterministic training: its threads and its generator's seed. */
export function seedTorch(threads: number, seed: number): ReturnType<typeof torch> {
  const t = torch()
  t.setNumThreads(threads)
  t.manualSeed(seed)
  return t
}

/** The training environment of one seed's run, and the observation scaler fitted on the training rows. */
export function trainingEnvironment(
  train: RlSeries,
  params: RlPolicy,
  seed: number,
): { env: BarEnvironment; scaler: { center: Float64Array; spread: Float64Array } } {
  const scaler = fitScaler(train)
  const env = new BarEnvironment(train, {
    envs: params.envs,
    episode: params.episode,
    reward: params.reward,
    eta: params.eta,
    scale: params.reward_scale ?? 1 / holdSpread(train),
    seed: deriveSeed(seed, 'episodes'),
    ...scaler,
  })
  return { env, scaler }
}
