import { z } from 'zod'
import { dataConfigSchema } from '../data/ingest.js'
import {
  DEFAULT_LADDER,
  defaultLadder,
  notWholeBars,
  parseLadder,
  parseTimeframe,
  type Timeframe,
} from '../data/timeframe.js'
import { featureDefaultsFor, featuresConfigSchema, GROUP_NAMES } from '../features/config.js'
import { labelsConfigSchema } from '../labels/config.js'
import { evaluationConfigSchema, splitsConfigSchema } from '../validation/config.js'
import { registry, viewsOf } from '../models/registry.js'
import { combinerEntryOf, combinerMethods } from '../ensemble/registry.js'
import type { StackingParams } from '../ensemble/stacking.js'
import type { BlendingParams } from '../ensemble/blending.js'
import type { RegimeMixtureParams } from '../ensemble/gates/regime-mixture.js'
import type { BanditGateParams } from '../ensemble/gates/bandit-gate.js'
import type { SoftmaxGateParams } from '../ensemble/gates/softmax-gate.js'
import { policyConfigSchema, policyLearns, policyList } from '../policy/registry.js'
import { inferenceConfigSchema } from './inference.js'
import { checkHeadMembers, checkPolicyNeeds, parseHeads } from './heads.js'
import { didYouMean } from '../core/suggest.js'
import { backtestConfigSchema } from '../backtest/engine.js'
import { acceptanceConfigSchema } from '../backtest/acceptance.js'
import type { ViewKind } from '../features/views/types.js'
import { isTargetHead } from './targets.js'
import { DEFAULT_MULTI_RES_FEATURES, DEFAULT_MULTI_RES_PARTS } from '../features/views/multi-res.js'
import { monitorConfigSchema, windowRows } from '../monitor/config.js'
import { regimeModelSchema } from '../models/regime/spec.js'

/** The views mlf run builds for its base models (src/pipeline/predict.ts buildView). */
export const RUN_VIEWS: readonly ViewKind[] = ['feature_matrix', 'window_tensor', 'multi_res', 'foundation']

/**
 * One base model: a registry name and its parameters, validated against that model's own schema and parsed in: the
 * resolved config holds them with defaults filled in, so defaults are hashed and written to config.resolved.yaml.
 * (createModel parses them again; every entry's schema takes its own output back unchanged.)
 */
const baseModelSchema = z
  .object({
    name: z.string(),
    /**
     * The view the model takes: its own input view (the default), or another it can take instead (multi_res for
     * PatchTST and TSMixer; `mlf models` lists them), built from views.multi_res.
     */
    view: z.enum(['feature_matrix', 'window_tensor', 'multi_res', 'foundation']).optional(),
    /** Feature-matrix columns this model uses (by name); all when absent. */
    features: z.array(z.string()).min(1).optional(),
    config: z.record(z.string(), z.unknown()).default({}),
    /** Output heads this model trains, one fitted model per head (see src/config/heads.ts). */
    outputs: z.array(z.string()).min(1).default(['p']),
  })
  .strict()
  .transform((m, ctx) => {
    let bad = false
    const issue = (path: PropertyKey[], message: string) => {
      bad = true
      ctx.issues.push({ code: 'custom', path, message, input: m })
    }
    const entry = registry.get(m.name)
    if (!entry) {
      issue(
        ['name'],
        `unknown model "${m.name}"; ${didYouMean(m.name, registry.keys(), ' ')}available: ${[...registry.keys()].sort().join(', ')}`,
      )
      return z.NEVER
    }
    const parsed = entry.params.safeParse(m.config)
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        // A zero-shot model is never trained: say so when it is given a parameter it does not have (e.g. epochs).
        const why =
          entry.spec.zeroShot && i.code === 'unrecognized_keys'
            ? `; "${m.name}" is zero-shot (used as exported, never trained), so it takes no training parameters`
            : ''
        issue(['config', ...i.path], i.message + why)
      }
    }
    if (!RUN_VIEWS.includes(entry.spec.inputView)) {
      issue(
        ['name'],
        `model "${m.name}" takes a ${entry.spec.inputView} view, which mlf run does not build yet (${RUN_VIEWS.join(', ')} models are supported)`,
      )
    }
    if (m.features && entry.spec.inputView !== 'feature_matrix') {
      issue(
        ['features'],
        'a feature slice applies to feature_matrix models only (window features are set in views.window_features)',
      )
    }
    if (m.view && !viewsOf(entry.spec).includes(m.view)) {
      issue(['view'], `model "${m.name}" takes ${viewsOf(entry.spec).join(' or ')}, not ${m.view}`)
    }
    const heads = parseHeads(m.outputs, entry.spec.tasks, m.name)
    if (typeof heads === 'string') issue(['outputs'], heads)
    // A forecaster's P(up) is P(return > 0) at its horizon, not the triple barrier's up-first label p_up asks for.
    else if (entry.spec.inputView === 'foundation' && heads.includes('p_up'))
      issue(['outputs'], `model "${m.name}" forecasts returns; its P(return > 0) is not the triple-barrier p_up head`)
    else if (entry.spec.zeroShot && heads.some(isTargetHead))
      issue(
        ['outputs'],
        `model "${m.name}" is zero-shot (never fitted): the multi-head targets (${heads.filter(isTargetHead).join(', ')}) need a model trained on them`,
      )
    if (bad || !parsed.success || typeof heads === 'string') return z.NEVER
    return { ...m, outputs: heads, config: parsed.data as Readonly<Record<string, unknown>> }
  })

const votingSchema = z
  .object({
    kind: z.literal('voting'),
    /** Member names (base model names, in base_models); all base models when absent. */
    members: z.array(z.string()).min(2).optional(),
    /** uniform, val_accuracy (weights from validation accuracy above chance), or explicit positive weights. */
    weights: z.union([z.enum(['uniform', 'val_accuracy']), z.array(z.number().positive())]).default('uniform'),
  })
  .strict()

export type CombinerParams =
  StackingParams | BlendingParams | RegimeMixtureParams | BanditGateParams | SoftmaxGateParams

/**
 * `ensemble`: a voting ensemble (`kind: voting`), or a combiner fitted on the members' held-out predictions
 * (`method: stacking | blending`), whose params its registry entry validates; defaults are filled in (and hashed).
 */
const ensembleSchema = z.unknown().transform((raw, ctx): z.infer<typeof votingSchema> | CombinerParams => {
  const method = (raw as { method?: unknown } | null)?.method
  const found = method !== undefined && method !== 'voting' ? combinerEntryOf(raw) : null
  const entry = found && 'entry' in found ? found.entry : undefined
  if (method !== undefined && !entry) {
    // A gate named as a method, or an unknown gate, says so; anything else is an unknown combiner.
    const said = found && !('entry' in found) && !found.message.startsWith('unknown combiner') ? found : null
    const message =
      said?.message ??
      `unknown combiner ${JSON.stringify(method)}; ${didYouMean(String(method), combinerMethods(), ' ')}` +
        'mlf run combines by stacking, blending or gating (method), or voting (kind: voting)'
    ctx.addIssue({ code: 'custom', path: [said?.field ?? 'method'], message })
    return z.NEVER
  }
  const parsed = (entry ? entry.params : votingSchema).safeParse(raw)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message } as never)
    return z.NEVER
  }
  return parsed.data as z.infer<typeof votingSchema> | CombinerParams
})

const timeframesSchema = z
  .array(z.string())
  .min(1)
  .default([...DEFAULT_LADDER])
  .superRefine((names, ctx) => {
    try {
      parseLadder(names)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
    }
  })

const timeframeOrNull = (name: string): Timeframe | null => {
  try {
    return parseTimeframe(name)
  } catch {
    return null
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x)

/**
 * Defaults that follow the bar interval, filled in before validation (zod defaults cannot see sibling fields): the
 * ladder defaults to the one of `data.interval`, and feature groups without timeframes (and the default
 * interactions) follow the ladder. With the 1-minute defaults this fills exactly the schema's own defaults. Input
 * the schema will refuse is passed through untouched for it to report.
 */
export function withIntervalDefaults(raw: unknown): unknown {
  if (!isRecord(raw)) return raw
  const data = raw.data === undefined ? {} : raw.data
  if (!isRecord(data)) return raw
  let base: Timeframe
  let ladder: string[]
  try {
    base = parseTimeframe(typeof data.interval === 'string' ? data.interval : '1m')
    ladder = defaultLadder(base)
    const names = raw.timeframes
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) {
      const given = parseLadder(names)
      // A ladder the schema will refuse would only multiply its errors into every feature group.
      if (given[0].ms === base.ms && given.every((tf) => notWholeBars(tf, base) === null))
        ladder = given.map((tf) => tf.name)
    }
  } catch {
    return raw
  }
  const features = raw.features === undefined ? {} : raw.features
  if (!isRecord(features)) return raw
  const defaults = featureDefaultsFor(ladder)
  const filled: Record<string, unknown> = { ...features }
  for (const [group, timeframes] of Object.entries(defaults.timeframes)) {
    const g = filled[group] ?? {}
    if (isRecord(g) && g.timeframes === undefined) filled[group] = { ...g, timeframes }
  }
  const ix = filled.interactions ?? {}
  if (isRecord(ix) && ix.list === undefined) filled.interactions = { ...ix, list: defaults.interactions }
  return { ...raw, timeframes: raw.timeframes ?? ladder, features: filled }
}

/** Feature and ladder timeframes must be built from whole bars of data.interval, the ladder starting at it. */
function checkTimeframesAgainstInterval(c: FactoryConfigObject, ctx: z.RefinementCtx): void {
  let base: Timeframe
  let ladder: Timeframe[]
  try {
    base = parseTimeframe(c.data.interval)
    ladder = parseLadder(c.timeframes)
  } catch {
    return // already reported by the fields' own schemas
  }
  if (ladder[0].ms !== base.ms) {
    ctx.addIssue({
      code: 'custom',
      path: ['timeframes'],
      message: `the ladder must start at data.interval (${base.name}), not ${ladder[0].name}`,
    })
  }
  for (const tf of ladder) {
    const why = notWholeBars(tf, base)
    if (why) ctx.addIssue({ code: 'custom', path: ['timeframes'], message: why })
  }
  for (const group of GROUP_NAMES) {
    if (group === 'interactions') continue
    c.features[group].timeframes.forEach((name, k) => {
      const tf = timeframeOrNull(name)
      if (!tf) return
      const why =
        tf.ms < base.ms ? `timeframe ${name} is shorter than data.interval (${base.name})` : notWholeBars(tf, base)
      if (why) ctx.addIssue({ code: 'custom', path: ['features', group, 'timeframes', k], message: why })
    })
  }
}

/** A learning policy (rl) trains in an environment that fills as a taker, so its backtest must fill the same way. */
function checkLearningPolicyExecution(c: FactoryConfigObject, ctx: z.RefinementCtx): void {
  const execution = c.backtest.execution?.kind ?? 'taker'
  if (execution === 'taker') return
  const list = policyList(c.policy)
  list.forEach((policy, i) => {
    if (!policyLearns(policy)) return
    ctx.addIssue({
      code: 'custom',
      path: Array.isArray(c.policy) ? ['policy', i] : ['policy'],
      message: `policy ${policy.kind} learns in an environment that fills as a taker; backtest.execution ${execution} is not supported with it`,
    })
  })
}

/**
 * A foundation model forecasts `horizon` bars ahead; on a return head (E_r, q05/q50/q95) it is scored against the
 * return over labels.tripleBarrier.maxHolding bars, so the two must agree (else it would be scored on another
 * quantity than it forecasts).
 */
function checkForecastHorizons(c: FactoryConfigObject, ctx: z.RefinementCtx): void {
  const target = c.labels.tripleBarrier.maxHolding
  c.base_models.forEach((m, i) => {
    if (registry.get(m.name)?.spec.family !== 'foundation' || !m.outputs.some((o) => o !== 'p')) return
    const horizon = m.config.horizon
    if (horizon !== target)
      ctx.addIssue({
        code: 'custom',
        path: ['base_models', i, 'config', 'horizon'],
        message: `${m.name} forecasts ${String(horizon)} bar(s) ahead, but its heads (${m.outputs.join(', ')}) are the return over labels.tripleBarrier.maxHolding = ${target} bars; set horizon: ${target}`,
      })
  })
}

/** A member's seq_len reads the last steps of the window view: a window member's, at most views.window_steps. */
function checkSeqLen(c: FactoryConfigObject, ctx: z.RefinementCtx): void {
  c.base_models.forEach((m, i) => {
    const seqLen = m.config.seq_len
    if (seqLen === undefined) return
    const path = ['base_models', i, 'config', 'seq_len']
    const view = m.view ?? registry.get(m.name)?.spec.inputView
    if (view !== 'window_tensor')
      ctx.addIssue({
        code: 'custom',
        path,
        message: `seq_len applies to window_tensor members; ${m.name} takes ${view}`,
      })
    else if (typeof seqLen === 'number' && seqLen > c.views.window_steps)
      ctx.addIssue({
        code: 'custom',
        path,
        message: `seq_len ${seqLen} is longer than views.window_steps (${c.views.window_steps}), the window every window member is cut from; raise views.window_steps`,
      })
  })
}

/**
 * evaluation.compare scores each member as it was fitted alone on the training window and trades each p member
 * through calibrators fitted on its own validation rows. Stacking and blending fit their members inside purged folds
 * (so a member's fit time alone is never measured), and fit_on: oof fits the chain's calibrators on out-of-fold rows
 * a member alone does not have: both are refused rather than half applied.
 */
function checkCompare(c: FactoryConfigObject, ctx: z.RefinementCtx): void {
  if (!c.evaluation.compare) return
  const path = ['evaluation', 'compare']
  if (c.ensemble && !('kind' in c.ensemble))
    ctx.addIssue({
      code: 'custom',
      path,
      message:
        `compare fits each base model alone, but ensemble.method ${c.ensemble.method} fits its members inside its ` +
        'own folds; compare them with a voting ensemble (ensemble: { kind: voting }) or none',
    })
  if (c.inference.fit_on === 'oof')
    ctx.addIssue({
      code: 'custom',
      path,
      message:
        "compare fits each p model's calibrators on its own validation rows; inference.fit_on: oof would apply to " +
        'the chain alone, so the two are refused together (use fit_on: validation)',
    })
  const learning = policyList(c.policy).find((p) => policyLearns(p))
  if (learning)
    ctx.addIssue({
      code: 'custom',
      path,
      message:
        `compare trades each p model alone through the run's policy, but ${learning.kind} learns from the chain's ` +
        'own validation outputs and is not refitted per model; compare with a threshold or sizing policy',
    })
}

/** With a multi_res member, every part of views.multi_res is on the ladder (features exist only there), once. */
function checkMultiRes(c: FactoryConfigObject, ctx: z.RefinementCtx): void {
  if (!c.base_models.some((m) => m.view === 'multi_res')) return
  const seen = new Set<string>()
  c.views.multi_res.parts.forEach((p, k) => {
    const path = ['views', 'multi_res', 'parts', k, 'timeframe']
    if (!c.timeframes.includes(p.timeframe))
      ctx.addIssue({
        code: 'custom',
        path,
        message: `${p.timeframe} is not on the ladder (timeframes: ${c.timeframes.join(', ')}); multi_res parts read its features`,
      })
    if (seen.has(p.timeframe)) ctx.addIssue({ code: 'custom', path, message: `${p.timeframe} is listed twice` })
    seen.add(p.timeframe)
  })
}

const factoryConfigObject = z
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
    features: featuresConfigSchema
      .extend({
        /**
         * A regime model (HMM or Markov switching) fitted on each training window and run forward over every row:
         * its columns (regime_p0.., regime_duration, regime_state) join the features every model sees.
         */
        regime_model: regimeModelSchema
          .optional()
          .describe('A regime model fitted per training window whose filtered columns every model sees'),
      })
      .prefault({}),
    labels: labelsConfigSchema.prefault({}),
    splits: splitsConfigSchema.prefault({}),
    evaluation: evaluationConfigSchema.prefault({}),
    views: z
      .object({
        /** Bars of history each window_tensor sample holds (sequence models). */
        window_steps: z.number().int().min(1).max(4096).default(60),
        /** 1m feature columns of the window; default: the standard ~25 sequence features present in the frame. */
        window_features: z.array(z.string()).min(1).optional(),
        /**
         * Bars (of data.interval) of OHLC history each foundation sample holds: the context zero-shot foundation
         * models forecast from. With such a model in base_models a row is a sample only with that many bars behind it.
         */
        foundation_context: z.number().int().min(2).max(8192).default(512),
        /**
         * The multi_res view (base_models[].view: multi_res): for each part, the last `steps` closed bars of its
         * timeframe (a ladder timeframe) as seen from the sample's row, over the same feature kinds on every part.
         */
        multi_res: z
          .object({
            parts: z
              .array(z.object({ timeframe: z.string(), steps: z.number().int().min(1).max(4096) }).strict())
              .min(1)
              .default(DEFAULT_MULTI_RES_PARTS.map((p) => ({ ...p }))),
            /** Feature kinds without the timeframe suffix (rsi, atr, ...), each computed on every part's timeframe. */
            features: z
              .array(z.string())
              .min(1)
              .default([...DEFAULT_MULTI_RES_FEATURES]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    base_models: z
      .array(baseModelSchema)
      .min(1)
      // prefault: the default goes through the schema, so its model parameters are parsed in like any other.
      .prefault([{ name: 'xgboost' }]),
    ensemble: ensembleSchema.nullable().default(null),
    inference: inferenceConfigSchema.prefault({}),
    policy: policyConfigSchema.prefault({}),
    backtest: backtestConfigSchema.prefault({}),
    /** Drift monitoring: the reference distributions a bundle stores, and the live window compared with them. */
    monitor: monitorConfigSchema.prefault({}),
    /** Threads an engine may use (recorded in bundles: results of some engines depend on it). */
    threads: z.number().int().min(1).default(1),
    /** Acceptance gates on the test backtest and its bootstrap intervals (src/backtest/acceptance.ts). */
    acceptance: acceptanceConfigSchema.prefault({}),
    control: z
      .object({
        /** Leakage canary: shuffle train and validation labels; the test AUC must then be near 0.5. */
        shuffle_labels: z.boolean().default(false),
        canary: z
          .boolean()
          .default(true)
          .describe(
            "Shuffled-label control: refit the primary p member on shuffled training and validation labels in each window and say whether the run's test AUC beats it (costs one fit per window; not trained when shuffle_labels makes the run itself the canary)",
          ),
      })
      .strict()
      .prefault({}),
  })
  .strict()

type FactoryConfigObject = z.infer<typeof factoryConfigObject>

/** The drift window holds a whole number of bars of data.interval, at least one per bin. */
function checkMonitorWindow(c: FactoryConfigObject, ctx: z.RefinementCtx): void {
  let base: Timeframe
  try {
    base = parseTimeframe(c.data.interval)
  } catch {
    return // reported by data.interval's own schema
  }
  try {
    windowRows(c.monitor.window, base.ms, c.monitor.bins)
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      path: ['monitor', 'window'],
      message: `${(err as Error).message} (data.interval ${base.name})`,
    })
  }
}

/** The whole factory configuration. Sections are added here as stages land; unknown keys are errors (typos). */
export const factoryConfigSchema = z.preprocess(
  withIntervalDefaults,
  factoryConfigObject.superRefine((c, ctx) => {
    checkTimeframesAgainstInterval(c, ctx)
    checkHeadMembers(c, ctx)
    checkPolicyNeeds(c, ctx)
    checkLearningPolicyExecution(c, ctx)
    checkForecastHorizons(c, ctx)
    checkMultiRes(c, ctx)
    checkSeqLen(c, ctx)
    checkMonitorWindow(c, ctx)
    checkCompare(c, ctx)
    if (!c.ensemble) return
    // The ensemble combines the class-probability members; other heads have one member each.
    const names = c.base_models.filter((m) => m.outputs.includes('p')).map((m) => m.name)
    if (!('kind' in c.ensemble)) {
      const method = c.ensemble.method
      if (names.length < 2)
        ctx.addIssue({ code: 'custom', path: ['ensemble'], message: `${method} needs at least 2 base_models` })
      const twice = names.filter((n, i) => names.indexOf(n) !== i)
      if (twice.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['base_models'],
          message: `${method} names its members by model: ${twice.join(', ')} appears more than once`,
        })
      return
    }
    const members = c.ensemble.members ?? names
    const missing = members.filter((m) => !names.includes(m))
    if (missing.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['ensemble', 'members'],
        message: `ensemble members not among the base_models with outputs [p]: ${missing.join(', ')} (those: ${names.join(', ')}; registry: ${[...registry.keys()].sort().join(', ')})`,
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
  }),
)

export type FactoryConfig = z.infer<typeof factoryConfigSchema>

/** The bars' interval (data.interval): the grid features, labels and the backtest run on. */
export function baseInterval(config: Pick<FactoryConfig, 'data'>): Timeframe {
  return parseTimeframe(config.data.interval)
}

export function originMs(config: Pick<FactoryConfig, 'resample'>): number {
  const ms = Date.parse(config.resample.origin)
  if (!Number.isFinite(ms)) throw new Error(`resample.origin: "${config.resample.origin}" is not an ISO-8601 time`)
  return ms
}
