import { z } from 'zod'
import { dataConfigSchema } from '../data/ingest.js'
import { DEFAULT_LADDER, parseLadder } from '../data/timeframe.js'
import { featuresConfigSchema } from '../features/config.js'
import { labelsConfigSchema } from '../labels/config.js'
import { splitsConfigSchema } from '../validation/config.js'
import { registry } from '../models/registry.js'
import { thresholdPolicySchema } from '../policy/threshold.js'
import { backtestConfigSchema } from '../backtest/engine.js'

/** One base model: a registry name and its parameters (validated against that model's own schema). */
const baseModelSchema = z
  .object({
    name: z.string(),
    /** Defaults to the model's own input view. */
    view: z.enum(['feature_matrix', 'window_tensor', 'multi_res', 'foundation']).optional(),
    /** Feature-matrix columns this model uses (by name); all when absent. */
    features: z.array(z.string()).min(1).optional(),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .superRefine((m, ctx) => {
    const entry = registry.get(m.name)
    if (!entry) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `unknown model "${m.name}"; available: ${[...registry.keys()].sort().join(', ')}`,
      })
      return
    }
    const parsed = entry.params.safeParse(m.config)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['config', ...issue.path.map(String)], message: issue.message })
      }
    }
    if (entry.spec.inputView !== 'feature_matrix' && entry.spec.inputView !== 'window_tensor') {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `model "${m.name}" takes a ${entry.spec.inputView} view, which mlf run does not build yet (feature_matrix and window_tensor models are supported)`,
      })
    }
    if (m.features && entry.spec.inputView !== 'feature_matrix') {
      ctx.addIssue({
        code: 'custom',
        path: ['features'],
        message:
          'a feature slice applies to feature_matrix models only (window features are set in views.window_features)',
      })
    }
    if (m.view && m.view !== entry.spec.inputView) {
      ctx.addIssue({
        code: 'custom',
        path: ['view'],
        message: `model "${m.name}" takes ${entry.spec.inputView}, not ${m.view}`,
      })
    }
  })

const ensembleSchema = z
  .object({
    kind: z.literal('voting'),
    /** Member names (base model names, in base_models); all base models when absent. */
    members: z.array(z.string()).min(2).optional(),
    /** uniform, val_accuracy (weights from validation accuracy above chance), or explicit positive weights. */
    weights: z.union([z.enum(['uniform', 'val_accuracy']), z.array(z.number().positive())]).default('uniform'),
  })
  .strict()

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
    features: featuresConfigSchema.prefault({}),
    labels: labelsConfigSchema.prefault({}),
    splits: splitsConfigSchema.prefault({}),
    views: z
      .object({
        /** Bars of history each window_tensor sample holds (sequence models). */
        window_steps: z.number().int().min(1).max(4096).default(60),
        /** 1m feature columns of the window; default: the standard ~25 sequence features present in the frame. */
        window_features: z.array(z.string()).min(1).optional(),
      })
      .strict()
      .prefault({}),
    base_models: z
      .array(baseModelSchema)
      .min(1)
      .default([{ name: 'xgboost', config: {} }]),
    ensemble: ensembleSchema.nullable().default(null),
    inference: z
      .object({ calibrate: z.array(z.enum(['temperature'])).default(['temperature']) })
      .strict()
      .prefault({}),
    policy: thresholdPolicySchema.prefault({}),
    backtest: backtestConfigSchema.prefault({}),
    /** Threads an engine may use (recorded in bundles: results of some engines depend on it). */
    threads: z.number().int().min(1).default(1),
    control: z
      .object({
        /** Leakage canary: shuffle train and validation labels; the test AUC must then be near 0.5. */
        shuffle_labels: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.ensemble) return
    const names = c.base_models.map((m) => m.name)
    const members = c.ensemble.members ?? names
    const missing = members.filter((m) => !names.includes(m))
    if (missing.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['ensemble', 'members'],
        message: `ensemble members not in base_models: ${missing.join(', ')} (base_models: ${names.join(', ')}; registry: ${[...registry.keys()].sort().join(', ')})`,
      })
    }
    if (members.length < 2)
      ctx.addIssue({ code: 'custom', path: ['ensemble'], message: 'a voting ensemble needs at least 2 members' })
    const w = c.ensemble.weights
    if (Array.isArray(w) && w.length !== members.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['ensemble', 'weights'],
        message: `${w.length} weights for ${members.length} members`,
      })
    }
  })

export type FactoryConfig = z.infer<typeof factoryConfigSchema>

export function originMs(config: Pick<FactoryConfig, 'resample'>): number {
  const ms = Date.parse(config.resample.origin)
  if (!Number.isFinite(ms)) throw new Error(`resample.origin: "${config.resample.origin}" is not an ISO-8601 time`)
  return ms
}
