/** The samplers a sweep can use, keyed by `sampler.kind`. Adding one: one file, one line here. */
import type { Space } from '../space.js'
import { gridEntry } from './grid.js'
import { randomEntry } from './random.js'
import type { Sampler, SamplerEntry } from './sampler.js'
import { tpeEntry } from './tpe.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly SamplerEntry<any>[] = [gridEntry, randomEntry, tpeEntry]

export const samplerRegistry: ReadonlyMap<string, SamplerEntry> = new Map(
  entries.map((e) => [e.kind, e as SamplerEntry]),
)

export function createSampler(space: Space, config: { kind: string }, seed: number): Sampler {
  const entry = samplerRegistry.get(config.kind)
  if (!entry) throw new Error(`sampler.kind: no sampler "${config.kind}"`)
  return entry.create(space, config, seed)
}
