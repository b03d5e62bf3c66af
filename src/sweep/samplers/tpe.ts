/**
 * Tree-structured Parzen Estimator (Bergstra et al., 2011), multivariate form: the told trials are split into the
 * best `gamma` share ("good") and the rest ("bad", with failed and pruned trials), each set becomes a mixture of
 * kernels over the whole space (one per trial, plus a broad prior), and the proposal is the candidate drawn from the
 * good mixture l(x) that maximizes l(x) / g(x). Before `startup_trials` trials have a score it samples at random.
 *
 * Coordinates: uniform dimensions as they are, log-uniform in log space, integers as a continuum over
 * [low - step/2, high + step/2] rounded to the step, choices as an index with a categorical kernel. Continuous
 * kernels are Gaussians truncated to the range, as wide as the gaps to their neighbours along each axis.
 */
import { z } from 'zod'
import { seededRandom } from '../../core/random.js'
import { normalCdf } from '../../validation/normal.js'
import { valueAt, type Param, type Params, type Space } from '../space.js'
import { normalDeviate, type Sampler, type SamplerEntry } from './sampler.js'

export const tpeSamplerSchema = z
  .object({
    kind: z.literal('tpe'),
    /** Trials sampled at random before the model is used. */
    startup_trials: z.number().int().min(1).max(10_000).default(10),
    /** Candidates drawn from l(x) per proposal; the best l/g ratio among them is proposed. */
    candidates: z.number().int().min(1).max(10_000).default(24),
    /** Share of scored trials in the good set (at least 1, at most 25 trials). */
    gamma: z.number().gt(0).lt(1).default(0.25),
    /** Weight of the prior kernel (a broad one over the whole range) in each mixture. */
    prior_weight: z.number().gt(0).default(1),
  })
  .strict()

export type TpeParams = z.infer<typeof tpeSamplerSchema>

/** Most trials in the good set, however many there are (as in common TPE implementations). */
const MAX_GOOD = 25
/** Probability mass a categorical kernel puts on its own choice; the rest is spread over all choices. */
const CATEGORY_KEEP = 0.8

interface Axis {
  readonly lo: number
  readonly hi: number
  /** Number of choices for a categorical axis; 0 for a continuous one. */
  readonly categories: number
}

function axisOf(p: Param): Axis {
  switch (p.type) {
    case 'uniform':
      return { lo: p.low, hi: p.high, categories: 0 }
    case 'log_uniform':
      return { lo: Math.log(p.low), hi: Math.log(p.high), categories: 0 }
    case 'int':
      return { lo: p.low - p.step / 2, hi: p.high + p.step / 2, categories: 0 }
    case 'choice':
      return { lo: 0, hi: 0, categories: p.values.length }
  }
}

/** A value's coordinate on its axis. */
function encode(p: Param, value: unknown): number {
  switch (p.type) {
    case 'uniform':
    case 'int':
      return value as number
    case 'log_uniform':
      return Math.log(value as number)
    case 'choice': {
      const key = JSON.stringify(value)
      const k = p.values.findIndex((v) => JSON.stringify(v) === key)
      if (k < 0) throw new Error(`tpe: ${key} is not one of the choices`)
      return k
    }
  }
}

function decode(p: Param, x: number): unknown {
  switch (p.type) {
    case 'uniform':
      return Math.min(p.high, Math.max(p.low, x))
    case 'log_uniform':
      return Math.min(p.high, Math.max(p.low, Math.exp(x)))
    case 'int': {
      const k = Math.round((x - p.low) / p.step)
      const max = Math.floor((p.high - p.low) / p.step)
      return p.low + Math.min(max, Math.max(0, k)) * p.step
    }
    case 'choice':
      return p.values[x]
  }
}

/** A mixture of kernels: component j has centers[j * D + d] and, on continuous axes, widths[j * D + d]. */
interface Mixture {
  readonly components: number
  readonly centers: Float64Array
  readonly widths: Float64Array
  readonly logWeights: Float64Array
  /** The prior component (the last one): centered on each range with its width, uniform over choices. */
  readonly prior: number
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI)

function mixtureOf(axes: readonly Axis[], points: readonly Float64Array[], priorWeight: number): Mixture {
  const D = axes.length
  const n = points.length
  const m = n + 1
  const centers = new Float64Array(m * D)
  const widths = new Float64Array(m * D)
  for (let j = 0; j < n; j++) for (let d = 0; d < D; d++) centers[j * D + d] = points[j][d]
  for (let d = 0; d < D; d++) {
    const a = axes[d]
    centers[n * D + d] = a.categories ? -1 : (a.lo + a.hi) / 2
    widths[n * D + d] = a.categories ? 0 : a.hi - a.lo
    if (a.categories) continue
    // Each kernel as wide as the larger gap to its neighbours along the axis (the range's ends and the prior's
    // center count as neighbours), clipped to [range / min(100, n + 1), range]: kernels narrow where trials crowd.
    const range = a.hi - a.lo
    const order = Array.from({ length: n }, (_, j) => j).sort((p, q) => centers[p * D + d] - centers[q * D + d])
    const sorted = [a.lo, ...order.map((j) => centers[j * D + d]), a.hi]
    const floor = range / Math.min(100, n + 1)
    order.forEach((j, r) => {
      const gap = Math.max(sorted[r + 1] - sorted[r], sorted[r + 2] - sorted[r + 1])
      widths[j * D + d] = Math.min(range, Math.max(floor, gap))
    })
  }
  const total = n + priorWeight
  const logWeights = Float64Array.from({ length: m }, (_, j) => Math.log((j < n ? 1 : priorWeight) / total))
  return { components: m, centers, widths, logWeights, prior: n }
}

/** log density of component j at x (truncated Gaussians times categorical kernels). */
function componentLogDensity(axes: readonly Axis[], mix: Mixture, j: number, x: Float64Array): number {
  const D = axes.length
  let s = mix.logWeights[j]
  for (let d = 0; d < D; d++) {
    const a = axes[d]
    const c = mix.centers[j * D + d]
    if (a.categories) {
      const p = c < 0 ? 1 / a.categories : (x[d] === c ? CATEGORY_KEEP : 0) + (1 - CATEGORY_KEEP) / a.categories
      s += Math.log(p)
    } else {
      const w = mix.widths[j * D + d]
      const z = (x[d] - c) / w
      const mass = normalCdf((a.hi - c) / w) - normalCdf((a.lo - c) / w)
      s += -0.5 * z * z - LOG_SQRT_2PI - Math.log(w) - Math.log(Math.max(mass, 1e-300))
    }
  }
  return s
}

function logDensity(axes: readonly Axis[], mix: Mixture, x: Float64Array): number {
  let max = -Infinity
  const parts = new Float64Array(mix.components)
  for (let j = 0; j < mix.components; j++) {
    parts[j] = componentLogDensity(axes, mix, j, x)
    if (parts[j] > max) max = parts[j]
  }
  let sum = 0
  for (let j = 0; j < mix.components; j++) sum += Math.exp(parts[j] - max)
  return max + Math.log(sum)
}

/** Gaussian truncated to [lo, hi] by rejection; after many misses (a kernel far outside), the clipped draw. */
function truncatedNormal(random: () => number, center: number, width: number, lo: number, hi: number): number {
  for (let tries = 0; tries < 100; tries++) {
    const x = center + width * normalDeviate(random)
    if (x >= lo && x <= hi) return x
  }
  return Math.min(hi, Math.max(lo, center))
}

function drawFrom(axes: readonly Axis[], mix: Mixture, random: () => number): Float64Array {
  const D = axes.length
  // The component, by weight.
  let u = random()
  let j = 0
  for (; j < mix.components - 1; j++) {
    u -= Math.exp(mix.logWeights[j])
    if (u < 0) break
  }
  const x = new Float64Array(D)
  for (let d = 0; d < D; d++) {
    const a = axes[d]
    const c = mix.centers[j * D + d]
    if (a.categories) {
      const keep = c >= 0 && random() < CATEGORY_KEEP
      x[d] = keep ? c : Math.min(a.categories - 1, Math.floor(random() * a.categories))
    } else x[d] = truncatedNormal(random, c, mix.widths[j * D + d], a.lo, a.hi)
  }
  return x
}

export function tpeSampler(space: Space, params: TpeParams, seed: number): Sampler {
  const random = seededRandom(seed)
  const axes = space.map((d) => axisOf(d.param))
  const scored: { x: Float64Array; loss: number }[] = []
  const unscored: Float64Array[] = []
  const at = (x: Float64Array): Params => Object.fromEntries(space.map((d, k) => [d.path, decode(d.param, x[k])]))
  return {
    size: Infinity,
    ask(): Params {
      if (scored.length < params.startup_trials)
        return Object.fromEntries(space.map((d) => [d.path, valueAt(d.param, random())]))
      // Stable order: ties keep the order trials were told in.
      const ranked = scored.map((s, i) => ({ ...s, i })).sort((a, b) => a.loss - b.loss || a.i - b.i)
      const nGood = Math.min(MAX_GOOD, Math.max(1, Math.ceil(params.gamma * ranked.length)))
      const good = mixtureOf(
        axes,
        ranked.slice(0, nGood).map((s) => s.x),
        params.prior_weight,
      )
      const bad = mixtureOf(axes, [...ranked.slice(nGood).map((s) => s.x), ...unscored], params.prior_weight)
      let best: Float64Array | null = null
      let bestScore = -Infinity
      for (let c = 0; c < params.candidates; c++) {
        const x = drawFrom(axes, good, random)
        const score = logDensity(axes, good, x) - logDensity(axes, bad, x)
        if (best === null || score > bestScore) {
          best = x
          bestScore = score
        }
      }
      return at(best!)
    },
    tell(p: Params, loss: number | null) {
      const x = Float64Array.from(space, (d) => encode(d.param, p[d.path]))
      if (loss === null || !Number.isFinite(loss)) unscored.push(x)
      else scored.push({ x, loss })
    },
  }
}

export const tpeEntry: SamplerEntry<TpeParams> = {
  kind: 'tpe',
  params: tpeSamplerSchema,
  create: (space, params, seed) => tpeSampler(space, params, seed),
}
