/** Random search: every dimension drawn independently and uniformly (log-uniform in log space). */
import { z } from 'zod'
import { seededRandom } from '../../core/random.js'
import { valueAt, type Params, type Space } from '../space.js'
import type { Sampler, SamplerEntry } from './sampler.js'

export const randomSamplerSchema = z.object({ kind: z.literal('random') }).strict()

export function randomSampler(space: Space, seed: number): Sampler {
  const random = seededRandom(seed)
  return {
    size: Infinity,
    ask(): Params {
      return Object.fromEntries(space.map((d) => [d.path, valueAt(d.param, random())]))
    },
    tell() {},
  }
}

export const randomEntry: SamplerEntry<z.infer<typeof randomSamplerSchema>> = {
  kind: 'random',
  params: randomSamplerSchema,
  create: (space, _params, seed) => randomSampler(space, seed),
}
