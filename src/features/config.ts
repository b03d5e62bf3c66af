import { z } from 'zod'
import { DEFAULT_LADDER, parseTimeframe } from '../data/timeframe.js'

/** Feature groups, in the order their columns appear. */
export const GROUP_NAMES = [
  'momentum',
  'volatility',
  'volume',
  'micro',
  'regime',
  'wavelet',
  'stats',
  'calendar',
  'interactions',
] as const
export type GroupName = (typeof GROUP_NAMES)[number]

const period = z.number().int().min(1).max(100_000)

const timeframeName = z.string().superRefine((s, ctx) => {
  try {
    const tf = parseTimeframe(s)
    if (tf.ms % 60_000 !== 0)
      ctx.addIssue({ code: 'custom', message: `timeframe ${s} is not a whole number of minutes` })
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message })
  }
})

function timeframeMs(s: string): number | string {
  try {
    return parseTimeframe(s).ms
  } catch {
    return s
  }
}

const timeframes = (names: readonly string[]) =>
  z
    .array(timeframeName)
    .min(1)
    .default(() => [...names])
    .refine((a) => new Set(a.map(timeframeMs)).size === a.length, 'a timeframe is listed twice')

const group = <S extends z.ZodRawShape>(tfs: readonly string[], shape: S) =>
  z
    .object({ enabled: z.boolean().default(true), timeframes: timeframes(tfs), ...shape })
    .strict()
    // every field has a default, which TypeScript cannot see through the generic shape
    .prefault({} as never)

const ALL = DEFAULT_LADDER
const REGIME_TFS = ['1m', '15m', '1h']
const STATS_TFS = ['1m', '5m', '15m', '30m', '1h']

/** A product of two base features on the 1m grid: ((left - leftCenter) / leftScale) * right. */
const interactionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9_]+$/, 'interaction names use a-z, 0-9 and _'),
    left: z.string(),
    right: z.string(),
    leftCenter: z.number().default(0),
    leftScale: z
      .number()
      .refine((x) => x !== 0, 'leftScale must not be 0')
      .default(1),
  })
  .strict()

const interactionsOn = (tfs: readonly string[]) =>
  tfs.flatMap((tf) => [
    { name: `ix_rsi_x_volreg_${tf}`, left: `rsi_${tf}`, right: `vol_regime_${tf}`, leftCenter: 50, leftScale: 50 },
    {
      name: `ix_macd_x_trend_${tf}`,
      left: `macd_hist_${tf}`,
      right: `trend_regime_${tf}`,
      leftCenter: 0,
      leftScale: 1,
    },
  ])
const DEFAULT_INTERACTIONS = interactionsOn(REGIME_TFS)

/** Groups whose default timeframes are the whole ladder, and those that run on the base interval only. */
const LADDER_GROUPS = ['momentum', 'volatility', 'volume'] as const
const BASE_GROUPS = ['micro', 'wavelet', 'calendar'] as const

/**
 * Default timeframes of every group, and the default interactions, for a ladder (base interval first): momentum,
 * volatility and volume on every rung; micro, wavelet and calendar on the base; regime and stats on the base plus
 * the rungs of their 1-minute defaults that the ladder has. On the default 1-minute ladder these are the schema's
 * own defaults, so the two agree.
 */
export function featureDefaultsFor(ladder: readonly string[]): {
  timeframes: Record<Exclude<GroupName, 'interactions'>, string[]>
  interactions: z.input<typeof interactionSchema>[]
} {
  const base = ladder[0]
  const withBase = (names: readonly string[]) => {
    const ms = new Set(names.slice(1).map(timeframeMs))
    return [base, ...ladder.slice(1).filter((tf) => ms.has(timeframeMs(tf)))]
  }
  const regime = withBase(REGIME_TFS)
  const timeframes = {
    ...Object.fromEntries(LADDER_GROUPS.map((g) => [g, [...ladder]])),
    ...Object.fromEntries(BASE_GROUPS.map((g) => [g, [base]])),
    regime,
    stats: withBase(STATS_TFS),
  } as Record<Exclude<GroupName, 'interactions'>, string[]>
  return { timeframes, interactions: interactionsOn(regime) }
}

/**
 * The `features` section of the config. Defaults are the default tabular set: momentum, volatility and volume on
 * all nine ladder timeframes, regime on 1m/15m/1h, return statistics on 1m/5m/15m/30m/1h, microstructure,
 * wavelets and calendar on 1m, and RSI x volatility-regime and MACD x trend-regime interactions.
 */
export const featuresConfigSchema = z
  .object({
    momentum: group(ALL, {
      rsi: period.default(14),
      macdFast: period.default(12),
      macdSlow: period.default(26),
      macdSignal: period.default(9),
      stochK: period.default(14),
      stochD: period.default(3),
      adx: period.default(14),
      roc: period.default(10),
    }),
    volatility: group(ALL, {
      atr: period.default(14),
      range: period.default(20),
      bollinger: period.default(20),
      bollingerK: z.number().positive().default(2),
      realized: period.default(20),
    }),
    volume: group(ALL, {
      window: period.default(20),
      /** auto: absent_neutral when every bar's volume is 0 or missing, else present. */
      mode: z.enum(['auto', 'present', 'absent_neutral']).default('auto'),
    }),
    micro: group(['1m'], { window: period.default(20) }),
    regime: group(REGIME_TFS, {
      volWindow: period.default(20),
      history: period.default(250),
      trendWindow: period.default(30),
    }),
    wavelet: group(['1m'], {}),
    stats: group(STATS_TFS, {
      window: period.default(30),
      /** 2: mean and std of returns; 4: also skewness and excess kurtosis */
      moments: z.union([z.literal(2), z.literal(4)]).default(4),
    }),
    calendar: group(['1m'], { sessionGapMinutes: period.default(30) }),
    interactions: z
      .object({
        enabled: z.boolean().default(true),
        list: z.array(interactionSchema).default(() => DEFAULT_INTERACTIONS.map((x) => ({ ...x }))),
      })
      .strict()
      .prefault({}),
    /** Groups switched off for ablation studies (`--ablate <group>`); interactions needing them are dropped. */
    ablate: z.array(z.enum(GROUP_NAMES)).default(() => []),
  })
  .strict()

export type FeaturesConfig = z.infer<typeof featuresConfigSchema>
export type FeaturesConfigInput = z.input<typeof featuresConfigSchema>

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x)
    for (const v of Object.values(x)) deepFreeze(v)
  }
  return x
}

/** Validates (with defaults) and freezes a features config; errors name the offending path. */
export function parseFeaturesConfig(input: unknown = {}): Readonly<FeaturesConfig> {
  const r = featuresConfigSchema.safeParse(input ?? {})
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  features.${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid features config:\n${lines.join('\n')}`)
  }
  return deepFreeze(r.data)
}

/** The config with extra groups ablated (for `--ablate`). */
export function withAblation(config: Readonly<FeaturesConfig>, groups: readonly string[]): Readonly<FeaturesConfig> {
  for (const g of groups) {
    if (!(GROUP_NAMES as readonly string[]).includes(g)) {
      throw new Error(`--ablate ${g}: unknown feature group; groups are ${GROUP_NAMES.join(', ')}`)
    }
  }
  return parseFeaturesConfig({ ...config, ablate: [...new Set([...config.ablate, ...groups])] })
}

export function groupEnabled(config: Readonly<FeaturesConfig>, g: GroupName): boolean {
  return config[g].enabled && !config.ablate.includes(g)
}
