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

/** A length of time: '90d', '12h', '30m', '2w', or a whole number of bars (converted with the bar interval). */
export const windowLengthSchema = z.union([
  z.string().regex(/^\d+(\.\d+)?(m|h|d|w)$/, "a length such as '90d', '12h', '30m' or '2w', or a number of bars"),
  z.number().int().positive(),
])

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }

/** Milliseconds of a window length; bar counts are multiplied by the bar interval. */
export function windowLengthMs(length: z.infer<typeof windowLengthSchema>, barMs: number): number {
  if (typeof length === 'number') return length * barMs
  const m = /^(\d+(?:\.\d+)?)(m|h|d|w)$/.exec(length)!
  return Number(m[1]) * UNIT_MS[m[2]]
}

/**
 * `evaluation`: how `mlf run` evaluates. `walk_forward` (with `splits.method: walk_forward`) refits the whole chain
 * per window on a calendar grid and backtests the concatenated out-of-sample predictions as one stream.
 */
export const evaluationConfigSchema = z
  .object({
    walk_forward: z
      .object({
        /** rolling: each window trains on the `train` length before its test; expanding: on all history before it. */
        mode: z.enum(['rolling', 'expanding']).default('rolling'),
        train: windowLengthSchema,
        test: windowLengthSchema,
        /** Distance between test windows' starts; at least `test` (each bar is tested at most once). Default: test. */
        step: windowLengthSchema.optional(),
        /**
         * The validation slice at the end of each training window (early stopping, calibration, the stacking guard):
         * a fraction of its samples (< 1), a length, or a number of bars.
         */
        val: z.union([z.number().gt(0).lt(1), windowLengthSchema]).default(0.15),
        /** The window grid's anchor (ISO 8601): windows never depend on where the data or the run starts. */
        anchor: z
          .string()
          .refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 time')
          .default('1970-01-01T00:00:00Z'),
        /** Evaluate only test windows starting at or after this time (ISO 8601); the windows themselves stay the same. */
        from: z
          .string()
          .refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 time')
          .optional(),
        /** Evaluate only test windows ending at or before this time (ISO 8601). */
        to: z
          .string()
          .refine((s) => Number.isFinite(Date.parse(s)), 'an ISO 8601 time')
          .optional(),
      })
      .strict()
      .optional(),
    /** Adds a table to summary.json and the report; the chain, its bundle and the run's own metrics are unchanged. */
    compare: z
      .boolean()
      .default(false)
      .describe(
        "Also score each base model alone on each of its heads (p models traded alone with the run's calibrators " +
          'and primary policy) in one comparison table: per-head metrics, Sharpe, win rate, max drawdown, trades, fit time ' +
          'and inference time per row',
      ),
  })
  .strict()

export type EvaluationConfig = z.infer<typeof evaluationConfigSchema>
