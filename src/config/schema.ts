import { z } from 'zod'
import { dataConfigSchema } from '../data/ingest.js'
import { DEFAULT_LADDER, parseLadder } from '../data/timeframe.js'

const timeframesSchema = z
  .array(z.string())
  .min(1)
  .default([...DEFAULT_LADDER])
  .superRefine((names, ctx) => {
    try {
      const ladder = parseLadder(names)
      if (ladder[0].name !== '1m')
        ctx.addIssue({ code: 'custom', message: 'the ladder must start at 1m (the canonical bars)' })
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
    }
  })

/** The whole factory configuration. Sections are added here as stages land; unknown keys are errors (typos). */
export const factoryConfigSchema = z
  .object({
    symbol: z.string().default('UNKNOWN'),
    seed: z.number().int().nonnegative().default(42),
    data: dataConfigSchema.default(dataConfigSchema.parse({})),
    timeframes: timeframesSchema,
    resample: z
      .object({
        /** Buckets are anchored to this UTC instant (ISO-8601); the default anchors to the epoch (UTC midnight). */
        origin: z.string().default('1970-01-01T00:00:00Z'),
      })
      .strict()
      .default({ origin: '1970-01-01T00:00:00Z' }),
  })
  .strict()

export type FactoryConfig = z.infer<typeof factoryConfigSchema>

export function originMs(config: Pick<FactoryConfig, 'resample'>): number {
  const ms = Date.parse(config.resample.origin)
  if (!Number.isFinite(ms)) throw new Error(`resample.origin: "${config.resample.origin}" is not an ISO-8601 time`)
  return ms
}
