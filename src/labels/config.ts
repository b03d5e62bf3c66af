import { z } from 'zod'

/**
 * The `labels` section of the factory config (embedded by src/config/). Every field has a default.
 * Timing and barrier conventions are documented in docs/label-timing.md.
 */
export const volatilityConfigSchema = z
  .object({
    /** 'atr': Wilder ATR; 'std': rolling std of 1-bar log returns times close (price units). */
    estimator: z.enum(['atr', 'std']).default('atr'),
    window: z.number().int().min(2).default(14),
  })
  .strict()

export const tripleBarrierConfigSchema = z
  .object({
    /** Upper barrier distance in volatility units (with a side: the profit-taking multiple). */
    kUp: z.number().positive().default(2),
    /** Lower barrier distance in volatility units (with a side: the stop-loss multiple). */
    kDown: z.number().positive().default(2),
    /** Vertical barrier: bars after the decision bar t (exit at the close of bar t + maxHolding). */
    maxHolding: z.number().int().min(1).default(60),
    /** 'next_open': enter at the open of bar t+1 (default); 'close': at the close of the decision bar t. */
    entry: z.enum(['next_open', 'close']).default('next_open'),
    /** Round-trip cost in price units (spread + fees), folded into the barriers. */
    costPrice: z.number().min(0).default(0),
    /** Round-trip cost in basis points of the entry price, added to costPrice. */
    costBps: z.number().min(0).default(0),
    /** Rows whose volatility target (vol / entry, a return) is below this get no event. */
    minReturn: z.number().min(0).default(0),
    /** Both barriers inside one bar (open between them): 'stop_first' or 'nearest_to_open'. */
    intrabar: z.enum(['stop_first', 'nearest_to_open']).default('stop_first'),
    /** Label at the vertical barrier: sign of the return net of cost, or always 0. */
    verticalLabel: z.enum(['sign', 'zero']).default('sign'),
  })
  .strict()

export const targetsConfigSchema = z
  .object({
    /** Forward-return horizons in bars (for E_r and quantile targets). */
    horizons: z.array(z.number().int().min(1)).min(1).default([60]),
    /** Quantile levels for quantile targets of the forward return. */
    quantiles: z.array(z.number().gt(0).lt(1)).default([0.05, 0.5, 0.95]),
    /** Tradeable: an absolute move of at least this return within the horizon. */
    tradeableReturn: z.number().positive().default(0.002),
    /** Reach thresholds (returns) for reach-probability heads. */
    reachThresholds: z.array(z.number().positive()).default([0.001, 0.002]),
    /** Bracket edges (returns) for K = edges+1 exclusive outcome bins of the forward return. */
    bracketEdges: z.array(z.number()).default([-0.002, -0.0005, 0.0005, 0.002]),
  })
  .strict()

export const labelsConfigSchema = z
  .object({
    volatility: volatilityConfigSchema.prefault({}),
    tripleBarrier: tripleBarrierConfigSchema.prefault({}),
    targets: targetsConfigSchema.prefault({}),
  })
  .strict()

export type LabelsConfig = z.infer<typeof labelsConfigSchema>
export type TripleBarrierConfig = z.infer<typeof tripleBarrierConfigSchema>
export type TargetsConfig = z.infer<typeof targetsConfigSchema>

/** Validate, fill defaults and deep-freeze. Errors name the offending path. */
export function parseLabelsConfig(input: unknown, source = 'labels'): LabelsConfig {
  const r = labelsConfigSchema.safeParse(input ?? {})
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${[source, ...i.path].join('.')}: ${i.message}`).join('; ')
    throw new Error(`invalid labels config: ${msg}`)
  }
  return deepFreeze(r.data)
}

export function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v)
    Object.freeze(x)
  }
  return x
}
