/**
 * Grid search: the Cartesian product of every dimension's grid values (choices, integers by step, `points` along a
 * continuous range), visited in a seeded random order so that a budget smaller than the grid still spreads over it.
 */
import { z } from 'zod'
import { seededRandom } from '../../core/random.js'
import { gridValues, type Params, type Space } from '../space.js'
import type { Sampler, SamplerEntry } from './sampler.js'

export const gridSamplerSchema = z.object({ kind: z.literal('grid') }).strict()

/** Larger grids are refused: their order alone would take a lot of memory, and no budget visits them. */
export const MAX_GRID_POINTS = 1_000_000

export function gridSampler(space: Space, seed: number): Sampler {
  const axes = space.map((d) => {
    const v = gridValues(d)
    if (typeof v === 'string') throw new Error(v)
    return v
  })
  const size = axes.reduce((n, a) => n * a.length, 1)
  if (size > MAX_GRID_POINTS)
    throw new Error(
      `the grid has ${size} points, more than ${MAX_GRID_POINTS}; use fewer points or the random or tpe sampler`,
    )
  const order = Uint32Array.from({ length: size }, (_, i) => i)
  const random = seededRandom(seed)
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  let next = 0
  return {
    size,
    ask(): Params {
      if (next >= size) throw new Error(`the grid's ${size} points have all been proposed`)
      let rest = order[next++]
      const values: unknown[] = new Array(axes.length)
      for (let d = axes.length - 1; d >= 0; d--) {
        values[d] = axes[d][rest % axes[d].length]
        rest = Math.floor(rest / axes[d].length)
      }
      return Object.fromEntries(space.map((d, k) => [d.path, values[k]]))
    },
    tell() {},
  }
}

export const gridEntry: SamplerEntry<z.infer<typeof gridSamplerSchema>> = {
  kind: 'grid',
  params: gridSamplerSchema,
  create: (space, _params, seed) => gridSampler(space, seed),
}
