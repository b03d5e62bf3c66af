import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { DataView, FeatureMatrixView } from '../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, Outputs, Task } from '../../models/contract.js'
import { loadBooster, type Booster, type BoosterParams, type ImportanceType } from './booster.js'
import { isSubsetView } from '../../features/views/shared.js'
import { createDMatrix, setLabels, sliceDMatrix, withDMatrix, type DMatrix, type DMatrixInput } from './dmatrix.js'
import { trainBooster } from './train.js'
import { fitThreads, scoringThreads } from '../threads.js'

/**
 * The adapter shared by every model trained with XGBoost (xgboost, xgboost_leafwise, random_forest): the model files
 * only decide booster parameters; fitting, prediction, SHAP, importance and persistence live here once.
 */
export interface XgbTrainPlan {
  /** Booster parameters apart from objective, seed and threads (which come from the task and FitContext). */
  readonly booster: BoosterParams
  readonly rounds: number
  readonly earlyStoppingRounds?: number
  readonly evalMetric?: string
}

export interface XgbModel extends Model {
  /** SHAP contributions, row-major (n, groups, f + 1): one group per class for multiclass, last column is the bias. */
  contributions(x: DataView): { values: Float64Array; shape: readonly number[] }
  /** The untransformed margin, row-major (n, groups): what a row's contributions sum to. */
  margins(x: DataView): Float64Array
  /** Importance per feature column (gain by default), zero for features never split on. */
  importance(type?: ImportanceType): Float64Array
  /** Rounds kept after early stopping. */
  readonly rounds: number
}

const MODEL_FILE = 'model.ubj'
const META_FILE = 'model.meta.json'

interface Meta {
  readonly format: 'mlfactory.xgboost/1'
  readonly model: string
  readonly task: Task
  readonly params: unknown
  readonly rounds: number
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  readonly seed: number
  readonly threads: number
}

const count = z.number().int().positive()

/** model.meta.json as load accepts it (the booster file itself is checked by XGBoost). */
const metaSchema = z
  .object({
    format: z.literal('mlfactory.xgboost/1'),
    model: z.string(),
    task: z.union([
      z.object({ kind: z.enum(['binary', 'regression']) }).strict(),
      z.object({ kind: z.literal('multiclass'), classes: z.number().int().min(2) }).strict(),
      z.object({ kind: z.literal('quantile'), quantiles: z.array(z.number().gt(0).lt(1)).min(1) }).strict(),
    ]),
    params: z.unknown(),
    rounds: count,
    nFeatures: count,
    featureNames: z.array(z.string()),
    seed: z.number().int().nonnegative(),
    threads: count,
  })
  .strict()
  .refine((m) => m.featureNames.length === 0 || m.featureNames.length === m.nFeatures, {
    message: 'featureNames and nFeatures disagree',
    path: ['featureNames'],
  })

export function objectiveFor(task: Task): BoosterParams {
  switch (task.kind) {
    case 'binary':
      return { objective: 'binary:logistic' }
    case 'multiclass':
      if (!Number.isInteger(task.classes) || task.classes < 2) throw new Error(`multiclass task needs classes >= 2`)
      return { objective: 'multi:softprob', num_class: task.classes }
    case 'regression':
      return { objective: 'reg:squarederror' }
    default:
      throw new Error(`XGBoost models do not support task "${task.kind}"`)
  }
}

export function featureMatrix(x: DataView, who: string): FeatureMatrixView {
  if (x.kind !== 'feature_matrix') throw new Error(`${who} takes a feature_matrix view, got ${x.kind}`)
  return x
}

function checkLabels(y: Float64Array, task: Task, who: string): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]
    if (!Number.isFinite(v)) throw new Error(`${who}: label y[${i}] is not finite (${v})`)
    if (task.kind === 'binary' && v !== 0 && v !== 1)
      throw new Error(`${who}: binary label y[${i}] = ${v}, expected 0 or 1`)
    if (task.kind === 'multiclass' && (!Number.isInteger(v) || v < 0 || v >= task.classes)) {
      throw new Error(`${who}: class label y[${i}] = ${v}, expected an integer in 0..${task.classes - 1}`)
    }
  }
}

function dmInput(ds: Dataset | DataView, who: string, nthread: number): DMatrixInput {
  const x = featureMatrix('x' in ds ? ds.x : ds, who)
  const base = { data: x.data, rows: x.n, cols: x.f, nthread }
  return 'x' in ds ? { ...base, label: ds.y, weight: ds.weight } : base
}

const SHARED_KEY = 'xgboost.dmatrix'

interface HeldMatrix {
  readonly dm: DMatrix
  /** Frees the matrix unless a shared matrix owns it. */
  release(): void
}

const ownedMatrix = (dm: DMatrix): HeldMatrix => ({ dm, release: () => dm.free() })

/**
 * The XGBoost copy of a shared matrix's base (made once) and of `x`'s rows within it, or null when `x` is no subset
 * of a live shared matrix. `keep` asks the shared matrix to hold the subset's copy (a training subset that the next
 * model may reuse, with the quantised matrix XGBoost keeps inside it); otherwise the caller owns it.
 */
function sharedMatrixFor(x: FeatureMatrixView, nthread: number, keep: boolean): HeldMatrix | null {
  if (!isSubsetView(x)) return null
  const { shared, positions } = x.subsetOf
  const { base } = shared
  const free = (dm: DMatrix) => dm.free()
  const whole = shared.engineCopy(
    base,
    SHARED_KEY,
    () => createDMatrix({ data: base.data, rows: base.n, cols: base.f, nthread }),
    free,
  )
  if (!whole) return null
  const held = (dm: DMatrix): HeldMatrix => ({ dm, release: () => {} })
  if (positions.length === base.n) return held(whole)
  if (!keep) return ownedMatrix(sliceDMatrix(whole, positions))
  return held(shared.engineCopy(x, SHARED_KEY, () => sliceDMatrix(whole, positions), free)!)
}

/**
 * The training matrix. Unweighted fits on a subset of a shared matrix take a slice of its XGBoost copy, and a model
 * fitted next on the same subset reuses that slice with new labels (weights change XGBoost's quantiles, so weighted
 * fits build their own).
 */
function trainMatrix(train: Dataset, who: string, nthread: number): HeldMatrix {
  const x = featureMatrix(train.x, who)
  const shared = train.weight ? null : sharedMatrixFor(x, nthread, true)
  if (!shared) return ownedMatrix(createDMatrix(dmInput(train, who, nthread)))
  setLabels(shared.dm, train.y)
  return shared
}

function scoringMatrix(x: FeatureMatrixView, who: string, nthread: number): HeldMatrix {
  return sharedMatrixFor(x, nthread, false) ?? ownedMatrix(createDMatrix(dmInput(x, who, nthread)))
}

function toOutputs(values: Float32Array, n: number, task: Task): Outputs {
  const v = Float64Array.from(values)
  if (task.kind === 'binary') return { n, p_up: v }
  if (task.kind === 'multiclass') return { n, p: v, classes: task.classes }
  return { n, E_r: v }
}

/** A fresh, unfitted XGBoost-backed model. `params` are the validated model parameters, saved alongside. */
export function createXgbModel(spec: ModelSpec, task: Task, params: unknown, plan: XgbTrainPlan): XgbModel {
  return xgbModel(spec, task, params, plan, undefined)
}

function xgbModel(
  spec: ModelSpec,
  task: Task,
  params: unknown,
  plan: XgbTrainPlan | undefined,
  restored: { booster: Booster; meta: Meta } | undefined,
): XgbModel {
  if (!spec.tasks.includes(task.kind)) throw new Error(`model "${spec.name}" does not support task "${task.kind}"`)
  const objective = objectiveFor(task)
  let booster = restored?.booster
  let meta = restored?.meta
  const fitted = (): { booster: Booster; meta: Meta } => {
    if (!booster || !meta) throw new Error(`model "${spec.name}" is not fitted`)
    return { booster, meta }
  }
  // Scoring threads do not change predictions; bounded so a bundle from a larger machine scores here.
  const threadsFor = (): number => (meta ? scoringThreads(meta.threads) : 0)
  const checkWidth = (x: FeatureMatrixView): void => {
    const m = fitted().meta
    if (x.f !== m.nFeatures) throw new Error(`${spec.name}: model was fitted on ${m.nFeatures} features, got ${x.f}`)
  }

  return {
    spec,
    task,
    get rounds() {
      return fitted().meta.rounds
    },
    async fit(train: Dataset, val: Dataset | undefined, ctx: FitContext) {
      if (!plan) throw new Error(`model "${spec.name}" was loaded from disk and cannot be refitted`)
      const x = featureMatrix(train.x, spec.name)
      checkLabels(train.y, task, `${spec.name} train`)
      if (val) {
        checkLabels(val.y, task, `${spec.name} val`)
        const vx = featureMatrix(val.x, spec.name)
        if (vx.f !== x.f) throw new Error(`${spec.name}: val has ${vx.f} features, train has ${x.f}`)
      }
      const threads = fitThreads(ctx.threads, spec.name)
      const boosterParams: BoosterParams = {
        ...plan.booster,
        ...objective,
        ...(plan.evalMetric ? { eval_metric: plan.evalMetric } : {}),
        seed: ctx.seed,
        nthread: threads,
        verbosity: 0,
      }
      const dtrain = trainMatrix(train, spec.name, threads)
      let result
      try {
        const run = (dval?: Parameters<typeof trainBooster>[0]['val']) =>
          trainBooster({
            params: boosterParams,
            rounds: plan.rounds,
            train: dtrain.dm,
            val: dval,
            earlyStoppingRounds: dval ? plan.earlyStoppingRounds : undefined,
            signal: ctx.signal,
            onRound: ctx.progress
              ? (done, total, score, metric) =>
                  ctx.progress!.update(
                    done,
                    total,
                    score === undefined ? { unit: 'round' } : { unit: 'round', val: score, metric: metric ?? '' },
                  )
              : undefined,
          })
        result = val ? withDMatrix(dmInput(val, spec.name, threads), run) : run()
      } finally {
        dtrain.release()
      }
      booster?.free()
      booster = result.booster
      meta = {
        format: 'mlfactory.xgboost/1',
        model: spec.name,
        task,
        params,
        rounds: result.rounds,
        nFeatures: x.f,
        featureNames: x.names,
        seed: ctx.seed,
        threads,
      }
    },
    predict(view: DataView): Outputs {
      const x = featureMatrix(view, spec.name)
      checkWidth(x)
      const b = fitted().booster
      const input = scoringMatrix(x, spec.name, threadsFor())
      let pred
      try {
        pred = b.predict(input.dm)
      } finally {
        input.release()
      }
      return toOutputs(pred.values, x.n, task)
    },
    contributions(view: DataView) {
      const x = featureMatrix(view, spec.name)
      checkWidth(x)
      const b = fitted().booster
      const pred = withDMatrix(dmInput(x, spec.name, threadsFor()), (dm) => b.predict(dm, { kind: 'contribs' }))
      return { values: Float64Array.from(pred.values), shape: pred.shape }
    },
    margins(view: DataView) {
      const x = featureMatrix(view, spec.name)
      checkWidth(x)
      const b = fitted().booster
      const pred = withDMatrix(dmInput(x, spec.name, threadsFor()), (dm) => b.predict(dm, { kind: 'margin' }))
      return Float64Array.from(pred.values)
    },
    importance(type: ImportanceType = 'gain') {
      const f = fitted()
      return f.booster.featureScore(type, f.meta.nFeatures)
    },
    async save(dir: string): Promise<ArtifactRefs> {
      const f = fitted()
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, MODEL_FILE), f.booster.save('ubj'))
      await writeFile(join(dir, META_FILE), JSON.stringify(f.meta, null, 2) + '\n')
      return { files: [MODEL_FILE, META_FILE] }
    },
  }
}

/** Load a model written by `save(dir)`; errors name the file and the field. */
export async function loadXgbModel(spec: ModelSpec, dir: string): Promise<XgbModel> {
  const metaPath = join(dir, META_FILE)
  const modelPath = join(dir, MODEL_FILE)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(metaPath, 'utf8'))
  } catch (err) {
    throw new Error(`${metaPath}: cannot read model metadata: ${(err as Error).message}`)
  }
  const parsed = metaSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${metaPath}: field "${issue.path.join('.') || '(root)'}" is invalid: ${issue.message}`)
  }
  const meta = parsed.data as Meta
  if (meta.model !== spec.name)
    throw new Error(`${metaPath}: field "model" is ${JSON.stringify(meta.model)}, expected "${spec.name}"`)
  const booster = loadBooster(await readFile(modelPath), modelPath)
  // A saved model does not keep nthread: a loaded booster would predict on every core's OpenMP thread, which costs
  // milliseconds per small batch on a busy machine (and changes no prediction). It predicts on the threads it trained on.
  booster.setParams({ nthread: scoringThreads(meta.threads) })
  return xgbModel(spec, meta.task, meta.params, undefined, { booster, meta })
}
