/**
 * The ask/tell contract every sampler keeps: `ask` proposes the next trial's values, `tell` hands back what a trial
 * scored. A sampler minimizes (the sweep negates a maximized objective), is seeded, and draws from one random stream
 * in a fixed order, so the same seed and the same sequence of asks and tells give the same proposals.
 */
import type { Params, Space } from '../space.js'

export interface Sampler {
  ask(): Params
  /** `loss` is null for a trial that failed or was pruned: it proposes nothing good but is no measurement either. */
  tell(params: Params, loss: number | null): void
  /** How many distinct proposals the sampler has (the grid's size), or Infinity. */
  readonly size: number
}

export interface SamplerEntry<P = unknown> {
  readonly kind: string
  readonly params: import('zod').ZodType<P, unknown>
  /** Builds a sampler; throws naming the parameter when the space does not suit it (a grid over a continuum). */
  create(space: Space, params: P, seed: number): Sampler
}

/** A standard normal deviate from a uniform stream (Box-Muller; one of the pair, so each call takes two draws). */
export function normalDeviate(random: () => number): number {
  const u1 = 1 - random()
  const u2 = random()
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}
