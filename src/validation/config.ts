import { z } from 'zod'

/** The `splits` section of the factory config (embedded by src/config/). Embargo units: bars (the spans' unit). */
export const splitsConfigSchema = z
  .object({
    /** Which scheme `mlf splits` reports. */
    method: z.enum(['chronological', 'kfold', 'walk_forward', 'cpcv']).default('chronological'),
    /** Embargo after each test block, in bars; when absent, embargoFraction of the samples (rounded up). */
    embargoBars: z.number().int().min(0).optional(),
    embargoFraction: z.number().min(0).lt(1).default(0.01),
    chronological: z
      .object({
        train: z.number().positive().default(0.7),
        val: z.number().min(0).default(0.15),
        test: z.number().positive().default(0.15),
      })
      .strict()
      .refine((c) => Math.abs(c.train + c.val + c.test - 1) < 1e-9, { message: 'train + val + test must be 1' })
      .prefault({}),
    kfold: z
      .object({ folds: z.number().int().min(2).default(5) })
      .strict()
      .prefault({}),
    walkForward: z
      .object({
        mode: z.enum(['rolling', 'expanding']).default('rolling'),
        /** Training window length (rolling); ignored by 'expanding', which trains on all history before the test. */
        trainDays: z.number().positive().default(28),
        testDays: z.number().positive().default(7),
        /** Distance between consecutive test windows; default = testDays. */
        stepDays: z.number().positive().optional(),
        /** Calendar anchor (epoch ms) of the window grid: windows never depend on where the data starts. */
        anchorMs: z.number().default(0),
      })
      .strict()
      .prefault({}),
    cpcv: z
      .object({ groups: z.number().int().min(2).default(6), testGroups: z.number().int().min(1).default(2) })
      .strict()
      .refine((c) => c.testGroups < c.groups, { message: 'testGroups must be < groups' })
      .prefault({}),
  })
  .strict()

export type SplitsConfig = z.infer<typeof splitsConfigSchema>

export function parseSplitsConfig(input: unknown, source = 'splits'): SplitsConfig {
  const r = splitsConfigSchema.safeParse(input ?? {})
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${[source, ...i.path].join('.')}: ${i.message}`).join('; ')
    throw new Error(`invalid splits config: ${msg}`)
  }
  return deepFreeze(r.data)
}

/** Embargo in bars for `samples` samples. */
export function embargoFor(cfg: Pick<SplitsConfig, 'embargoBars' | 'embargoFraction'>, samples: number): number {
  return cfg.embargoBars ?? Math.ceil(cfg.embargoFraction * samples)
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v)
    Object.freeze(x)
  }
  return x
}
