import { join } from 'node:path'
import { z } from 'zod'
import { deriveSeed } from '../core/seeds.js'
import type { FeatureMatrixView } from '../features/views/types.js'
import type { ArtifactRefs, FitContext, Model, Outputs, Task } from '../models/contract.js'
import { parseWith, readJson, writeJson } from '../models/persist.js'
import { createModel, registry } from '../models/registry.js'
import { elasticNetParams } from '../models/tabular/elastic_net.js'
import { logisticParams } from '../models/tabular/logistic.js'
import { ridgeParams } from '../models/tabular/ridge.js'
import { xgboostParams } from '../models/tabular/xgboost.js'
import { mlpParams } from '../models/neural/mlp.js'
import { regimeModelSchema, type RegimeModelSpec } from '../models/regime/spec.js'
import {
  COMBINER_FILE,
  classesOf,
  guardOnValidation,
  guardReportSchema,
  guardSchema,
  refitMembers,
  type Combiner,
  type CombinerEntry,
  type CombinerFit,
  type CombinerFitInput,
  type GuardReport,
} from './combiner.js'
import { combinerOutOfFold, oofConfigSchema, type OofPredictions } from './oof.js'
import { classLabelsAt, classProbabilitiesOf, probabilityOutputs } from './probabilities.js'

/**
 * Meta-learners a stacker may use: simple and regularised, because the meta-learner sees a few strongly collinear
 * inputs (the members agree most of the time) fitted on noisy out-of-fold predictions, where anything flexible
 * learns the noise of the folds.
 */
export const META_LEARNERS = ['ridge', 'elastic_net', 'logistic', 'xgboost', 'mlp'] as const
export type MetaLearnerName = (typeof META_LEARNERS)[number]

const REGULARISED = 'a stacking meta-learner must be regularised'

/** Each meta-learner's registry params, with defaults and ranges tightened for stacking. */
const metaParamsSchemas: Record<MetaLearnerName, z.ZodType<Record<string, unknown>>> = {
  ridge: ridgeParams.extend({ alpha: z.number().min(0.1, `${REGULARISED}: alpha >= 0.1`).default(1) }),
  elastic_net: elasticNetParams.extend({ alpha: z.number().min(0.1, `${REGULARISED}: alpha >= 0.1`).default(0.1) }),
  logistic: logisticParams.extend({ C: z.number().positive().max(10, `${REGULARISED}: C <= 10`).default(1) }),
  xgboost: xgboostParams.unwrap().extend({
    n_estimators: z.int().min(1).max(100, 'a stacking meta-learner is shallow: n_estimators <= 100').default(50),
    max_depth: z.int().min(1).max(3, 'a stacking meta-learner is shallow: max_depth <= 3').default(2),
    learning_rate: z.number().gt(0).lte(1).default(0.1),
  }),
  mlp: mlpParams.extend({
    hidden: z
      .array(z.number().int().min(1).max(256))
      .min(1)
      .max(2, 'a stacking meta-learner is small: at most 2 hidden layers')
      .default([16]),
  }),
}

/** The meta-learner part of the stacking and blending params (also what their artifact records). */
export const metaShape = {
  meta_learner: z
    .enum(META_LEARNERS, {
      error: (issue) =>
        `meta_learner must be one of ${META_LEARNERS.join(', ')} (got ${JSON.stringify(issue.input)}): ` +
        'a stacking meta-learner is a simple, regularised model',
    })
    .default('logistic')
    .describe("Model fitted on the members' out-of-sample log-probabilities"),
  meta_params: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('Parameters of the meta-learner (its own model parameters)'),
  guard: guardSchema,
  /**
   * Feature columns (by name) the meta-learner sees beside the members' log-probabilities, e.g. a volatility regime,
   * so that it can weigh the members differently by regime.
   */
  regime_features: z
    .array(z.string().min(1))
    .default([])
    .refine((names) => new Set(names).size === names.length, 'a regime feature appears twice')
    .describe("Feature columns the meta-learner sees beside the members' log-probabilities (e.g. a volatility regime)"),
  /**
   * A regime model fitted on the training window whose filtered state probabilities (ensemble_regime_p0..) the
   * meta-learner sees too; the members never do.
   */
  regime: regimeModelSchema
    .optional()
    .describe("A regime model (per training window) whose filtered probabilities the meta-learner sees; members don't"),
}

export interface MetaParams {
  readonly regime_features: readonly string[]
  readonly regime?: RegimeModelSpec
  readonly meta_learner: MetaLearnerName
  readonly meta_params: Readonly<Record<string, unknown>>
  readonly guard: z.infer<typeof guardSchema>
}

/** Validate `meta_params` against the chosen meta-learner's schema (issues keep their path under meta_params). */
export function parseMetaParams<T extends MetaParams>(v: T, ctx: z.RefinementCtx): T {
  const parsed = metaParamsSchemas[v.meta_learner].safeParse(v.meta_params)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: ['meta_params', ...issue.path] })
    }
    return z.NEVER
  }
  return { ...v, meta_params: parsed.data }
}

export const stackingParams = z
  .strictObject({
    method: z.literal('stacking'),
    ...metaShape,
    oof: oofConfigSchema.describe('Purged out-of-fold predictions the meta-learner is fitted on'),
  })
  .transform(parseMetaParams)
export type StackingParams = z.infer<typeof stackingParams>

/**
 * Meta inputs are log-probabilities, floored at PROB_FLOOR: independent evidence adds in log-odds, so a linear
 * meta-learner on log-probabilities can sum what two members each know (a product of experts, which contains every
 * single member and their geometric pool), while a linear map of probabilities can only average them, as voting
 * does. The floor bounds the inputs (a member's 1e-12 would otherwise dominate a linear fit); trees do not care.
 */
export const PROB_FLOOR = 1e-4

export function metaFeatures(
  memberProbs: readonly Float64Array[],
  memberNames: readonly string[],
  k: number,
  extra?: { readonly names: readonly string[]; readonly values: Float64Array },
): FeatureMatrixView {
  const n = memberProbs[0].length / k
  const e = extra?.names.length ?? 0
  const f = memberProbs.length * k + e
  if (extra && extra.values.length !== n * e) {
    throw new Error(`stacking: extra meta-features hold ${extra.values.length} values, expected ${n} rows x ${e}`)
  }
  const data = new Float64Array(n * f)
  for (let i = 0; i < n; i++) {
    let c = i * f
    for (const p of memberProbs) {
      for (let j = 0; j < k; j++) data[c++] = Math.log(Math.max(PROB_FLOOR, p[i * k + j]))
    }
    for (let j = 0; j < e; j++) {
      const v = extra!.values[i * e + j]
      if (!Number.isFinite(v)) throw new Error(`stacking: extra meta-feature "${extra!.names[j]}" is ${v} at row ${i}`)
      data[c++] = v
    }
  }
  const names = [
    ...memberNames.flatMap((m) => Array.from({ length: k }, (_, j) => `${m}.log_p${j}`)),
    ...(extra?.names ?? []),
  ]
  return { kind: 'feature_matrix', n, f, data, names }
}

/** A fitted meta-learner: meta-features in, (n, k) class probabilities out. */
interface MetaLearner {
  predict(x: FeatureMatrixView): Float64Array
  save(dir: string): Promise<string[]>
}

/** ridge and elastic_net regress; as meta-learners they fit one class indicator each (the last class for binary). */
function isRegressor(name: MetaLearnerName): boolean {
  return name === 'ridge' || name === 'elastic_net'
}

function classTask(k: number): Task {
  return k === 2 ? { kind: 'binary' } : { kind: 'multiclass', classes: k }
}

/** The class-indicator regressors' folders: one for binary (the last class), one per class otherwise. */
function indicatorClasses(k: number): number[] {
  return k === 2 ? [1] : Array.from({ length: k }, (_, c) => c)
}

export async function fitMetaLearner(
  name: MetaLearnerName,
  params: Readonly<Record<string, unknown>>,
  x: FeatureMatrixView,
  y: Float64Array,
  k: number,
  ctx: FitContext,
): Promise<MetaLearner> {
  const path = 'ensemble.meta_params'
  if (!isRegressor(name)) {
    const model = createModel(name, params, classTask(k), path)
    await model.fit({ x, y }, undefined, ctx)
    return classifierMeta(model, k)
  }
  const models: Model[] = []
  for (const c of indicatorClasses(k)) {
    const model = createModel(name, params, { kind: 'regression' }, path)
    await model.fit({ x, y: y.map((v) => (v === c ? 1 : 0)) }, undefined, ctx)
    models.push(model)
  }
  return indicatorMeta(models, k)
}

async function loadMetaLearner(name: MetaLearnerName, dir: string, k: number): Promise<MetaLearner> {
  const entry = registry.get(name)!
  if (!isRegressor(name)) return classifierMeta(await entry.load(join(dir, 'meta')), k)
  const models: Model[] = []
  for (const c of indicatorClasses(k)) models.push(await entry.load(join(dir, 'meta', `class-${c}`)))
  return indicatorMeta(models, k)
}

function classifierMeta(model: Model, k: number): MetaLearner {
  return {
    predict: (x) => classProbabilitiesOf(model.predict(x), k, x.n, `meta-learner "${model.spec.name}"`),
    async save(dir) {
      const refs = await model.save(join(dir, 'meta'))
      return refs.files.map((f) => `meta/${f}`)
    },
  }
}

/**
 * Class indicators regressed linearly are not probabilities: each is clipped to [PROB_FLOOR, 1] and the row
 * renormalised (binary: p1 clipped to [PROB_FLOOR, 1 - PROB_FLOOR], p0 = 1 - p1).
 */
function indicatorMeta(models: readonly Model[], k: number): MetaLearner {
  const classes = indicatorClasses(k)
  const clip = (v: number, hi: number, who: string) => {
    if (!Number.isFinite(v)) throw new Error(`meta-learner "${who}" predicted ${v}`)
    return Math.min(hi, Math.max(PROB_FLOOR, v))
  }
  return {
    predict(x) {
      const scores = models.map((m) => m.predict(x).E_r!)
      const p = new Float64Array(x.n * k)
      for (let i = 0; i < x.n; i++) {
        if (k === 2) {
          const p1 = clip(scores[0][i], 1 - PROB_FLOOR, models[0].spec.name)
          p[2 * i] = 1 - p1
          p[2 * i + 1] = p1
          continue
        }
        let sum = 0
        for (let c = 0; c < k; c++) sum += p[i * k + c] = clip(scores[c][i], 1, models[c].spec.name)
        for (let c = 0; c < k; c++) p[i * k + c] /= sum
      }
      return p
    },
    async save(dir) {
      const files: string[] = []
      for (const [j, m] of models.entries()) {
        const sub = `meta/class-${classes[j]}`
        const refs = await m.save(join(dir, sub))
        files.push(...refs.files.map((f) => `${sub}/${f}`))
      }
      return files
    },
  }
}

/** What a stacking or blending combiner's combiner.json holds. */
const metaCombinerFile = z
  .object({
    format: z.literal('mlfactory.combiner'),
    version: z.literal(1),
    method: z.enum(['stacking', 'blending']),
    classes: z.int().min(2),
    members: z.array(z.string().min(1)).min(1),
    meta_learner: z.enum(META_LEARNERS),
    meta_params: z.record(z.string(), z.unknown()),
    meta_inputs: z.literal('log_probabilities'),
    prob_floor: z.literal(PROB_FLOOR),
    extra_features: z.array(z.string().min(1)),
    /** The guard's choice: the meta-learner, or one member's own probabilities. */
    selected: z.union([
      z.strictObject({ kind: z.literal('meta') }),
      z.strictObject({ kind: z.literal('member'), member: z.string() }),
    ]),
    guard: guardReportSchema.nullable(),
  })
  .strict()
type MetaCombinerState = z.infer<typeof metaCombinerFile>

export interface MetaCombiner extends Combiner {
  readonly metaLearner: MetaLearnerName
  readonly guard: GuardReport | null
  /** The member whose probabilities are answered instead of the meta-learner's (guard fallback), or null. */
  readonly selectedMember: string | null
}

function metaCombiner(state: MetaCombinerState, meta: MetaLearner): MetaCombiner {
  const k = state.classes
  const selected = state.selected.kind === 'member' ? state.members.indexOf(state.selected.member) : -1
  if (state.selected.kind === 'member' && selected < 0) {
    throw new Error(`${state.method}: selected member "${state.selected.member}" is not one of its members`)
  }
  return {
    method: state.method,
    members: state.members,
    classes: k,
    extraFeatures: state.extra_features,
    metaLearner: state.meta_learner,
    guard: state.guard,
    selectedMember: selected >= 0 ? state.members[selected] : null,
    predict(outs: readonly Outputs[], extra?: Float64Array): Outputs {
      if (outs.length !== state.members.length) {
        throw new Error(`${state.method}: got outputs of ${outs.length} members, expected ${state.members.length}`)
      }
      const n = outs[0].n
      const probs = outs.map((o, j) => classProbabilitiesOf(o, k, n, `member "${state.members[j]}"`))
      if (selected >= 0) return probabilityOutputs(Float64Array.from(probs[selected]), k)
      if (state.extra_features.length > 0 && !extra) {
        throw new Error(
          `${state.method}: was fitted with extra meta-features (${state.extra_features.join(', ')}); none given`,
        )
      }
      const x = metaFeatures(
        probs,
        state.members,
        k,
        extra ? { names: state.extra_features, values: extra } : undefined,
      )
      return probabilityOutputs(meta.predict(x), k)
    },
    async save(dir: string): Promise<ArtifactRefs> {
      const files = await meta.save(dir)
      await writeJson(dir, COMBINER_FILE, state)
      return { files: [COMBINER_FILE, ...files] }
    },
  }
}

/** The same combiner answering member `member`'s probabilities (what the guard's fallback keeps). */
function selectMember(
  c: MetaCombiner,
  state: MetaCombinerState,
  meta: MetaLearner,
  member: number,
  guard: GuardReport,
) {
  return metaCombiner({ ...state, selected: { kind: 'member', member: c.members[member] }, guard }, meta)
}

/**
 * Fit the meta-learner on out-of-fold (or holdout) member probabilities: the shared core of stacking and blending.
 * The meta-learner's seed is derived from (root, method, 'meta').
 */
export async function fitMetaCombiner(
  method: 'stacking' | 'blending',
  preds: OofPredictions,
  input: CombinerFitInput,
  params: MetaParams,
  ctx: FitContext,
): Promise<{ combiner: MetaCombiner; state: MetaCombinerState; meta: MetaLearner }> {
  const k = preds.classes
  if (preds.rows.length === 0) throw new Error(`${method}: no training row received a member prediction to fit on`)
  const y = classLabelsAt(input.y, preds.rows, k, `${method} meta-learner targets`)
  const extra = input.extra ? { names: input.extra.names, values: input.extra.values(preds.rows) } : undefined
  const x = metaFeatures(preds.p, preds.members, k, extra)
  const meta = await fitMetaLearner(params.meta_learner, params.meta_params, x, y, k, {
    ...ctx,
    seed: deriveSeed(ctx.seed, method, 'meta'),
  })
  const state: MetaCombinerState = {
    format: 'mlfactory.combiner',
    version: 1,
    method,
    classes: k,
    members: [...preds.members],
    meta_learner: params.meta_learner,
    meta_params: { ...params.meta_params },
    meta_inputs: 'log_probabilities',
    prob_floor: PROB_FLOOR,
    extra_features: [...(input.extra?.names ?? [])],
    selected: { kind: 'meta' },
    guard: null,
  }
  return { combiner: metaCombiner(state, meta), state, meta }
}

/** Meta-learner fitted, members refitted on the whole window, then the guard on the validation rows. */
export async function finishMetaCombiner(
  fitted: { combiner: MetaCombiner; state: MetaCombinerState; meta: MetaLearner },
  preds: OofPredictions,
  input: CombinerFitInput,
  params: MetaParams,
  ctx: FitContext,
): Promise<CombinerFit> {
  const members = await refitMembers(input, ctx)
  const guarded = guardOnValidation(fitted.combiner, members, input, params.guard, (j, report) =>
    selectMember(fitted.combiner, fitted.state, fitted.meta, j, report),
  )
  let combiner = guarded.combiner
  // The guard's report travels in the artifact whichever is kept.
  if (guarded.guard && combiner === fitted.combiner)
    combiner = metaCombiner({ ...fitted.state, guard: guarded.guard }, fitted.meta)
  return { combiner, members, oof: preds, ...(guarded.guard ? { guard: guarded.guard } : {}) }
}

/**
 * Stacking: members' purged out-of-fold probabilities train the meta-learner, then the members are refitted on the
 * whole training window (the meta-learner learned how members fitted on ~(k-1)/k of it behave; the refit members
 * are what it combines at prediction).
 */
export async function fitStacking(
  params: StackingParams,
  input: CombinerFitInput,
  ctx: FitContext,
): Promise<CombinerFit> {
  const k = classesOf(input.task, 'stacking')
  const oof = await combinerOutOfFold(input, params.oof, k, ctx)
  const fitted = await fitMetaCombiner('stacking', oof, input, params, ctx)
  return finishMetaCombiner(fitted, oof, input, params, ctx)
}

/** Load a stacking or blending combiner: its meta-learner through the model registry. */
export async function loadMetaCombiner(dir: string, method: 'stacking' | 'blending'): Promise<MetaCombiner> {
  const state = await readJson(dir, COMBINER_FILE, metaCombinerFile)
  if (state.method !== method)
    throw new Error(`${join(dir, COMBINER_FILE)}: method is "${state.method}", expected "${method}"`)
  if (state.selected.kind === 'member' && !state.members.includes(state.selected.member)) {
    throw new Error(`${join(dir, COMBINER_FILE)}: selected member "${state.selected.member}" is not one of its members`)
  }
  parseWith(metaParamsSchemas[state.meta_learner], state.meta_params, `${join(dir, COMBINER_FILE)} meta_params`)
  return metaCombiner(state, await loadMetaLearner(state.meta_learner, dir, state.classes))
}

/** Whether the chosen meta-learner's engine is installed. */
export function metaAvailability(params: MetaParams) {
  return registry.get(params.meta_learner)!.available()
}

export const stackingEntry: CombinerEntry<StackingParams> = {
  name: 'stacking',
  params: stackingParams,
  available: metaAvailability,
  fit: fitStacking,
  load: (dir) => loadMetaCombiner(dir, 'stacking'),
}
