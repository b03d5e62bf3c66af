/**
 * The Model contract for every neural network: a model file supplies its spec, its own zod parameters (merged with
 * the shared training parameters below) and a builder for its network; this file does fitting, prediction,
 * persistence and the per-task heads (binary: one logit -> p_up; multiclass: K logits -> p; regression: E_r;
 * quantile: non-crossing q05/q50/q95 trained with the pinball loss). A model may bring its own head (e.g. a
 * likelihood) and may accept the multi_res view.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { noGrad, tidy, torch, torchAvailability, type Tensor } from '../../engines/torch/index.js'
import { fitThreads } from '../../engines/threads.js'
import type { DataView, ViewKind } from '../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, OutputName, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import {
  asNeuralView,
  checkLayout,
  fitStandardizer,
  gatherInputs,
  prepareForEpochs,
  layoutOf,
  sampleWidth,
  type InputLayout,
  type NeuralView,
  type Standardizer,
} from './data.js'
import { monotoneQuantiles, type Layer } from './layers.js'
import { disposeModule, loadStateDict, setTraining, stateDict } from './nn.js'
import { trainLoop, type LoopData, type LossFn, type LoopResult } from './train.js'
import { loadTensors, saveTensors } from './weights.js'
import { readModelJson, savedModelFields } from '../persist.js'

/** Training parameters shared by all neural models. */

/** Rows per prediction batch (a fixed shape; see predict). */
const PREDICT_BATCH = 256

/** Absolute bar index of each sample's last step, when the view has one (window and multi-resolution views). */
function sampleAnchors(v: DataView): Int32Array | null {
  if (v.kind === 'window_tensor') return v.end
  if (v.kind === 'multi_res' && v.parts.length > 0) return v.parts[0].end
  return null
}

export const trainingParams = {
  epochs: z.number().int().min(1).max(10000).default(20).describe('Maximum passes over the training set'),
  batchSize: z.number().int().min(1).default(256).describe('Samples per gradient step'),
  lr: z.number().positive().max(10).default(1e-3).describe('Learning rate'),
  optimizer: z.enum(['adam', 'adamw', 'sgd']).default('adam').describe('Gradient optimizer'),
  weightDecay: z.number().min(0).default(0).describe('Weight decay (L2 penalty; decoupled with adamw)'),
  momentum: z.number().min(0).max(1).default(0.9).describe('Momentum of sgd (unused by adam and adamw)'),
  clipNorm: z.number().min(0).default(1).describe('Gradient-norm clip per step; 0: no clipping'),
  schedule: z.enum(['constant', 'cosine']).default('constant').describe('Learning-rate schedule over the steps'),
  warmupSteps: z.number().int().min(0).default(0).describe('Steps of linear learning-rate warm-up'),
  patience: z
    .number()
    .int()
    .min(0)
    .default(5)
    .describe('Epochs without a validation improvement before stopping; 0: no early stopping'),
  minDelta: z.number().min(0).default(0).describe('Smallest validation-loss decrease that counts as an improvement'),
  dropout: z.number().min(0).max(0.9).default(0).describe('Dropout rate'),
  seq_len: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Window steps the model reads: the last seq_len of the window view (default: all views.window_steps)'),
  /** Resumable per-epoch checkpoints go here when set. */
  checkpointDir: z
    .string()
    .min(1)
    .optional()
    .describe('Directory for resumable per-epoch checkpoints; none when unset'),
}

export type TrainingParams = z.infer<z.ZodObject<typeof trainingParams>>

/** Builds a network mapping a batch (B, steps, f) or (B, f) to (B, outDim). */
export type NetBuilder<P> = (params: P, layout: InputLayout, outDim: number) => Layer

const FORMAT = 'mlf-neural/1'

interface Meta {
  readonly format: string
  readonly name: string
  readonly params: unknown
  readonly task: Task
  readonly layout: InputLayout
  readonly mean: number[]
  readonly std: number[]
  readonly target: { readonly mean: number; readonly std: number }
}

const finite = z.number().finite()
const positive = z.number().finite().positive()
const count = z.number().int().positive()

const isRecord = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x)

/**
 * Models saved while CQR lived inside neural models. One with a margin (`conformal` in model.json) predicted a
 * conformalized band, which this model no longer gives: it is refused, never loaded with a silently narrower band.
 * One without (a classifier, or no validation set, or `conformal: none`) predicts exactly as before; only its
 * params still name the retired `conformal` option, which is dropped.
 */
function retiredConformal(raw: unknown, ctx: z.RefinementCtx): unknown {
  if (!isRecord(raw)) return raw
  const { conformal, ...rest } = raw
  if (conformal !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['conformal'],
      message:
        'this model was saved with a conformal (CQR) margin inside it; neural models no longer conformalize their ' +
        'band themselves: re-run, wrapping the quantile model in the conformal wrapper (conformalized, ' +
        'inference/conformal/model.ts), to get a calibrated band',
    })
    return rest
  }
  if (isRecord(raw.params) && 'conformal' in raw.params) {
    const { conformal: _retired, ...params } = raw.params
    return { ...raw, params }
  }
  return raw
}

/** model.json as load() accepts it: standardisation with positive scales, a layout of positive sizes. */
const metaSchema = z.preprocess(
  retiredConformal,
  z
    .object({
      ...savedModelFields,
      layout: z
        .object({
          kind: z.enum(['window_tensor', 'multi_res', 'foundation', 'feature_matrix']),
          steps: count,
          f: count,
          parts: z.array(z.object({ timeframe: z.string(), steps: count, f: count }).strict()).optional(),
        })
        .strict(),
      mean: z.array(finite),
      std: z.array(positive),
      target: z.object({ mean: finite, std: positive }).strict(),
    })
    .strict()
    .refine((m) => m.mean.length === m.std.length, 'mean and std differ in length'),
)

/** The quantiles a quantile task must ask for: the ones the Outputs contract names. */
export const CONTRACT_QUANTILES = [0.05, 0.5, 0.95] as const

export function checkQuantileTask(task: Task, model: string): void {
  if (task.kind !== 'quantile') return
  const q = task.quantiles
  if (q.length !== 3 || q.some((v, i) => Math.abs(v - CONTRACT_QUANTILES[i]) > 1e-12)) {
    throw new Error(
      `model "${model}": quantile task must ask for [0.05, 0.5, 0.95] (outputs q05/q50/q95), got [${q.join(', ')}]`,
    )
  }
}

/**
 * How network outputs become a task's loss and outputs. Return-like columns (E_r, q05, q50, q95) are in standardised
 * target units inside the network; the model maps them back. Multiclass emits `p` with one column per class.
 */
export interface Head {
  /** Network output width. */
  width(task: Task): number
  loss(task: Task): LossFn
  /** Output names in the column order of `decode` (multiclass: ['p'], K columns). */
  columns(task: Task): readonly OutputName[]
  /** (B, width) network output -> (B, columns) in output units (standardised for return-like columns). */
  decode(out: Tensor, task: Task): Tensor
  /**
   * Optional last step in plain numbers: decoded rows (b, d) row-major -> (b, columns). For outputs that need what
   * the tensor surface does not offer (e.g. sorting samples into quantiles).
   */
  finish?(decoded: Float64Array, b: number, task: Task): Float64Array
}

const RETURN_LIKE: ReadonlySet<OutputName> = new Set(['E_r', 'q05', 'q50', 'q95'])

/** Sample weights give a weighted mean of per-sample losses. */
export function weightedMean(per: Tensor, w?: Tensor): Tensor {
  return w ? per.mul(w).sum().div(w.sum()) : per.mean()
}

/** The head every neural model uses unless it brings its own. */
export const defaultHead: Head = {
  width(task) {
    if (task.kind === 'multiclass') return task.classes
    if (task.kind === 'quantile') return CONTRACT_QUANTILES.length
    return 1
  },
  loss(task) {
    const t = torch()
    if (task.kind === 'binary') return (out, y, w) => weightedMean(t.bceWithLogits(out.squeeze(-1), y, null, 'none'), w)
    if (task.kind === 'multiclass') return (out, y, w) => weightedMean(t.crossEntropy(out, y, null, 'none'), w)
    if (task.kind === 'quantile') {
      const qs = [...CONTRACT_QUANTILES]
      return (out, y, w) => weightedMean(t.pinball(monotoneQuantiles(out, 1), y, qs, 'none').mean(1), w)
    }
    return (out, y, w) => weightedMean(t.mse(out.squeeze(-1), y, 'none'), w)
  },
  columns(task) {
    if (task.kind === 'binary') return ['p_up']
    if (task.kind === 'multiclass') return ['p']
    if (task.kind === 'quantile') return ['q05', 'q50', 'q95']
    return ['E_r']
  },
  decode(out, task) {
    if (task.kind === 'binary') return out.sigmoid()
    if (task.kind === 'multiclass') return torch().softmax(out, -1)
    if (task.kind === 'quantile') return monotoneQuantiles(out, 1)
    return out
  },
}

function decodedWidth(head: Head, task: Task): number {
  return task.kind === 'multiclass' ? task.classes : head.columns(task).length
}

function checkTargets(y: Float64Array, n: number, task: Task, name: string): void {
  if (y.length !== n) throw new Error(`model "${name}": ${y.length} targets for ${n} samples`)
  for (let i = 0; i < n; i++) {
    const v = y[i]
    if (!Number.isFinite(v)) throw new Error(`model "${name}": target at row ${i} is ${v}`)
    if (task.kind === 'binary' && v !== 0 && v !== 1)
      throw new Error(`model "${name}": binary target at row ${i} is ${v}, expected 0 or 1`)
    if (task.kind === 'multiclass' && (!Number.isInteger(v) || v < 0 || v >= task.classes)) {
      throw new Error(`model "${name}": class at row ${i} is ${v}, expected an integer in [0, ${task.classes - 1}]`)
    }
  }
}

function loopData(
  v: NeuralView,
  d: Dataset,
  task: Task,
  s: Standardizer,
  target: Meta['target'],
  batchSize: number,
): LoopData {
  const t = torch()
  const per = sampleWidth(layoutOf(v))
  const xbuf = new Float32Array(batchSize * per)
  const inputs = prepareForEpochs(v, s)
  return {
    n: v.n,
    batch(idx, from, to) {
      const x = gatherInputs(inputs.view, inputs.s, idx, from, to, xbuf)
      const b = to - from
      const yb = task.kind === 'multiclass' ? new Int32Array(b) : new Float32Array(b)
      for (let k = 0; k < b; k++) yb[k] = (d.y[idx[from + k]] - target.mean) / target.std
      const y = task.kind === 'multiclass' ? t.tensor(yb, [b], 'int64') : t.tensor(yb, [b])
      if (!d.weight) return { x, y }
      const wb = new Float32Array(b)
      for (let k = 0; k < b; k++) wb[k] = d.weight[idx[from + k]]
      return { x, y, w: t.tensor(wb, [b]) }
    },
  }
}

interface NeuralModel extends Model {
  /** The last fit's per-epoch history (for reports and tests). */
  readonly lastFit: LoopResult | null
}

/** Options of a neural registry entry beyond spec, params and network. */
export interface NeuralOptions<P = never> {
  /** Accept the multi_res view (the network then receives flattened parts; see InputLayout). */
  readonly multiRes?: boolean
  /** The model's own head, or a function of its params giving one (e.g. a likelihood chosen by a parameter). */
  readonly head?: Head | ((params: P) => Head)
}

function createNeuralModel<P extends TrainingParams>(
  spec: ModelSpec,
  params: P,
  task: Task,
  build: NetBuilder<P>,
  options: NeuralOptions<P>,
): NeuralModel & {
  restore(meta: Meta, dir: string): void
} {
  const head = typeof options.head === 'function' ? options.head(params) : (options.head ?? defaultHead)
  if (!spec.tasks.includes(task.kind)) {
    throw new Error(`model "${spec.name}" does not support task "${task.kind}" (supports: ${spec.tasks.join(', ')})`)
  }
  checkQuantileTask(task, spec.name)
  const multiRes = options.multiRes ?? false
  let net: Layer | null = null
  let meta: Meta | null = null
  let lastFit: LoopResult | null = null

  const install = (m: Meta): Layer => {
    if (net) disposeModule(net)
    meta = m
    net = build(params, m.layout, head.width(task))
    return net
  }

  const model = {
    spec,
    task,
    get lastFit() {
      return lastFit
    },
    async fit(train: Dataset, val: Dataset | undefined, ctx: FitContext): Promise<void> {
      const t = torch()
      const tv = asNeuralView(train.x, spec.name, multiRes, params.seq_len)
      checkTargets(train.y, tv.n, task, spec.name)
      const vv = val ? asNeuralView(val.x, spec.name, multiRes, params.seq_len) : undefined
      if (val && vv) {
        checkLayout(vv, layoutOf(tv), spec.name)
        checkTargets(val.y, vv.n, task, spec.name)
      }
      checkLayout(tv, layoutOf(tv), spec.name)
      t.setNumThreads(fitThreads(ctx.threads, spec.name))
      t.manualSeed(ctx.seed)
      const s = fitStandardizer(tv)
      let target = { mean: 0, std: 1 }
      if (task.kind === 'regression' || task.kind === 'quantile') {
        let m = 0
        for (let i = 0; i < tv.n; i++) m += train.y[i]
        m /= tv.n
        let q = 0
        for (let i = 0; i < tv.n; i++) q += (train.y[i] - m) ** 2
        const sd = Math.sqrt(q / tv.n)
        target = { mean: m, std: sd > 1e-12 ? sd : 1 }
      }
      const layer = install({
        format: FORMAT,
        name: spec.name,
        params,
        task,
        layout: layoutOf(tv),
        mean: [...s.mean],
        std: [...s.std],
        target,
      })
      lastFit = await trainLoop(
        layer,
        (x) => layer.forward(x),
        head.loss(task),
        loopData(tv, train, task, s, target, params.batchSize),
        vv && val ? loopData(vv, val, task, s, target, params.batchSize) : undefined,
        { ...params, seed: ctx.seed, progress: ctx.progress, signal: ctx.signal },
      )
    },
    predict(x: DataView): Outputs {
      if (!net || !meta) throw new Error(`model "${spec.name}" is not fitted`)
      const layer = net
      const m = meta
      const v = asNeuralView(x, spec.name, multiRes, params.seq_len)
      checkLayout(v, m.layout, spec.name)
      const s: Standardizer = { mean: Float64Array.from(m.mean), std: Float64Array.from(m.std) }
      const k = decodedWidth(head, task)
      const raw = new Float64Array(v.n * k)
      // A sample's output must not depend on which other rows are scored with it (a bundle scoring a whole file must
      // reproduce the run's test predictions bit for bit). BLAS kernels block by shape and by a row's position in the
      // batch, so every batch has one fixed shape and a sample always sits at the same position: the one its absolute
      // bar index gives. Other positions carry a copy of a real sample and are discarded. Views without absolute
      // indices (feature matrices) are scored one sample at a time.
      const anchor = sampleAnchors(v)
      const bs = anchor ? PREDICT_BATCH : 1
      const buf = new Float32Array(bs * sampleWidth(m.layout))
      const idx = new Int32Array(bs)
      const blocks = new Map<number, number[]>()
      for (let i = 0; i < v.n; i++) {
        const key = anchor ? Math.floor(anchor[i] / bs) : i
        const list = blocks.get(key)
        if (list) list.push(i)
        else blocks.set(key, [i])
      }
      setTraining(layer, false)
      noGrad(() => {
        for (const members of blocks.values()) {
          idx.fill(members[0])
          for (const i of members) idx[anchor ? anchor[i] % bs : 0] = i
          const decoded = tidy(() =>
            head
              .decode(layer.forward(gatherInputs(v, s, idx, 0, bs, buf)), task)
              .to('float64')
              .contiguous()
              .toArray(),
          ) as Float64Array
          const out = head.finish ? head.finish(decoded, bs, task) : decoded
          for (const i of members) {
            const pos = anchor ? anchor[i] % bs : 0
            raw.set(out.subarray(pos * k, pos * k + k), i * k)
          }
        }
      })
      for (let i = 0; i < raw.length; i++) {
        if (!Number.isFinite(raw[i]))
          throw new Error(`model "${spec.name}" produced a non-finite output at row ${Math.floor(i / k)}`)
      }
      if (task.kind === 'multiclass') return { n: v.n, p: raw, classes: k }
      const outputs: Outputs = { n: v.n }
      head.columns(task).forEach((name, c) => {
        const col = new Float64Array(v.n)
        const scale = RETURN_LIKE.has(name) ? m.target.std : 1
        const shift = RETURN_LIKE.has(name) ? m.target.mean : 0
        for (let i = 0; i < v.n; i++) col[i] = raw[i * k + c] * scale + shift
        ;(outputs as unknown as Record<string, Float64Array>)[name] = col
      })
      return outputs
    },
    async save(dir: string): Promise<ArtifactRefs> {
      if (!net || !meta) throw new Error(`model "${spec.name}" is not fitted`)
      mkdirSync(dir, { recursive: true })
      writeFileSync(join(dir, 'model.json'), JSON.stringify(meta, null, 1) + '\n')
      const files = saveTensors(dir, 'weights', stateDict(net))
      return { files: ['model.json', ...files] }
    },
    restore(m: Meta, dir: string): void {
      const layer = install(m)
      const w = loadTensors(dir, 'weights')
      try {
        loadStateDict(layer, w)
      } finally {
        for (const x of w.values()) x.dispose()
      }
      setTraining(layer, false)
    },
  }
  return model
}

/**
 * A registry entry for a neural model. `schema` is the model's strict zod object: `trainingParams` plus its own
 * architecture parameters.
 */
export function neuralEntry<P extends TrainingParams>(
  base: ModelSpec,
  schema: z.ZodType<P>,
  build: NetBuilder<P>,
  options: NeuralOptions<P> = {},
): ModelEntry<P> {
  const spec: ModelSpec = options.multiRes ? { ...base, alsoTakes: ['multi_res'] } : base
  // A model created to take multi_res (base_models[].view) says so in its spec, so the run builds that view for it.
  const specFor = (view: ViewKind | undefined): ModelSpec => {
    if (view === undefined || view === spec.inputView) return spec
    if (view !== 'multi_res' || !options.multiRes)
      throw new Error(
        `model "${spec.name}" takes ${spec.inputView}${options.multiRes ? ' or multi_res' : ''}, not ${view}`,
      )
    return { ...spec, inputView: view }
  }
  return {
    spec,
    params: schema,
    available: torchAvailability,
    create: (params: P, task: Task, view?: ViewKind) => createNeuralModel(specFor(view), params, task, build, options),
    async load(dir: string): Promise<Model> {
      const path = join(dir, 'model.json')
      const { meta, params } = readModelJson(path, metaSchema, { format: FORMAT, name: spec.name, params: schema })
      const m = meta as Meta
      // The view it was fitted on is the one it takes (a multi_res layout: created to take multi_res).
      const model = createNeuralModel(
        specFor(m.layout.kind === 'multi_res' ? 'multi_res' : undefined),
        params,
        m.task,
        build,
        options,
      )
      model.restore(m, dir)
      return model
    },
  }
}
