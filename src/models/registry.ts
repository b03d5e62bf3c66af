import type { z } from 'zod'
import type { Availability, Model, ModelSpec, Task } from './contract.js'
import type { ViewKind } from '../features/views/types.js'
import { didYouMean } from '../core/suggest.js'
import { xgboostEntry } from './tabular/xgboost.js'
import { xgboostLeafwiseEntry } from './tabular/xgboost_leafwise.js'
import { randomForestEntry } from './tabular/random_forest.js'
import { xgboostModelEntry } from './imported/xgboost.js'
import { lightgbmModelEntry } from './imported/lightgbm.js'
import { onnxModelEntry } from './imported/onnx.js'
import { sklearnModelEntry } from './imported/sklearn.js'
import { lstmEntry } from './neural/lstm.js'
import { gruEntry } from './neural/gru.js'
import { tcnEntry } from './neural/tcn.js'
import { dlinearEntry } from './neural/dlinear.js'
import { mlpEntry } from './neural/mlp.js'
import { patchtstEntry } from './neural/patchtst.js'
import { nhitsEntry } from './neural/nhits.js'
import { nbeatsEntry } from './neural/nbeats.js'
import { tsmixerEntry } from './neural/tsmixer.js'
import { quantileRnnEntry } from './neural/quantile_rnn.js'
import { deeparEntry } from './neural/deepar.js'
import { inceptionTimeEntry } from './neural/inception_time.js'
import { resnet1dEntry } from './neural/resnet1d.js'
import { itransformerEntry } from './neural/itransformer.js'
import { tftEntry } from './neural/tft.js'
import { chronosBoltEntry } from './foundation/chronos_bolt.js'
import { timesfmEntry } from './foundation/timesfm.js'
import { logisticEntry } from './tabular/logistic.js'
import { linearSvcEntry } from './tabular/linear_svc.js'
import { gaussianNbEntry } from './tabular/gaussian_nb.js'
import { ridgeEntry } from './tabular/ridge.js'
import { elasticNetEntry } from './tabular/elastic_net.js'
import { knnEntry } from './tabular/knn.js'

/**
 * A registered model: its spec, a zod schema of its parameters (with defaults), and how to create or load it.
 * Entries are imported explicitly below: a YAML config names a model, it can never name code to run.
 */
export interface ModelEntry<P = unknown> {
  readonly spec: ModelSpec
  readonly params: z.ZodType<P>
  /** Whether the engine behind the model is installed; when not, the hint says how to install it. */
  available(): Availability
  /** `view`: one of spec.alsoTakes, to take that view instead of spec.inputView (absent: spec.inputView). */
  create(params: P, task: Task, view?: ViewKind): Model
  load(dir: string): Promise<Model>
}

// Adding a model: one file in a family folder, one line here. (Each entry's params type differs; the registry
// erases it, and parseModelParams restores validated params before create.)
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly ModelEntry<any>[] = [
  xgboostEntry,
  xgboostLeafwiseEntry,
  randomForestEntry,
  xgboostModelEntry,
  lightgbmModelEntry,
  onnxModelEntry,
  sklearnModelEntry,
  lstmEntry,
  gruEntry,
  tcnEntry,
  dlinearEntry,
  mlpEntry,
  patchtstEntry,
  nhitsEntry,
  nbeatsEntry,
  tsmixerEntry,
  quantileRnnEntry,
  deeparEntry,
  inceptionTimeEntry,
  resnet1dEntry,
  itransformerEntry,
  tftEntry,
  chronosBoltEntry,
  timesfmEntry,
  logisticEntry,
  linearSvcEntry,
  gaussianNbEntry,
  ridgeEntry,
  elasticNetEntry,
  knnEntry,
]

export const registry: ReadonlyMap<string, ModelEntry> = new Map(entries.map((e) => [e.spec.name, e as ModelEntry]))

/** Validate `raw` parameters for `name`; errors name the config path of the bad field. */
export function parseModelParams(name: string, raw: unknown, path = `models.${name}`): unknown {
  const entry = registry.get(name)
  if (!entry) {
    throw new Error(
      `${path}: unknown model "${name}"; ${didYouMean(name, registry.keys(), ' ')}available: ${[...registry.keys()].sort().join(', ')}`,
    )
  }
  const parsed = entry.params.safeParse(raw ?? {})
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${[path, ...i.path.map(String)].join('.')}: ${i.message}`)
    throw new Error(`invalid parameters for model "${name}":\n  ${issues.join('\n  ')}`)
  }
  return Object.freeze(parsed.data)
}

/**
 * Create a model by name, failing with the install hint when its engine is missing; `view` picks another view the
 * model takes (spec.alsoTakes) instead of its own inputView.
 */
export function createModel(name: string, raw: unknown, task: Task, path?: string, view?: ViewKind): Model {
  const params = parseModelParams(name, raw, path)
  const entry = registry.get(name)!
  const availability = entry.available()
  if (!availability.ok) throw new Error(`model "${name}" is unavailable: ${availability.hint}`)
  if (!entry.spec.tasks.includes(task.kind)) {
    throw new Error(`model "${name}" does not support task "${task.kind}" (supports: ${entry.spec.tasks.join(', ')})`)
  }
  if (view === undefined || view === entry.spec.inputView) return entry.create(params, task)
  if (!entry.spec.alsoTakes?.includes(view))
    throw new Error(`model "${name}" takes ${viewsOf(entry.spec).join(' or ')}, not ${view}`)
  return entry.create(params, task, view)
}

/** The views a model can take: its own inputView, then the others it can be created to take. */
export function viewsOf(spec: ModelSpec): ViewKind[] {
  return [spec.inputView, ...(spec.alsoTakes ?? [])]
}
