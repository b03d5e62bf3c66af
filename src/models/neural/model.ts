/**
 * The Model contract for every neural network: a model file supplies its spec, its own zod parameters (merged with
 * the shared training parameters below) and a builder for its network; this file does fitting, prediction,
 * persistence and the per-task heads (binary: one logit -> p_up; multiclass: K logits -> p; regression: E_r).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { noGrad, tidy, torch, torchAvailability, type Tensor } from '../../engines/torch/index.js'
import type { DataView } from '../../features/views/types.js'
import type { ArtifactRefs, Dataset, FitContext, Model, ModelSpec, Outputs, Task } from '../contract.js'
import type { ModelEntry } from '../registry.js'
import {
  asNeuralView,
  checkLayout,
  fitStandardizer,
  gatherInputs,
  layoutOf,
  type InputLayout,
  type NeuralView,
  type Standardizer,
} from './data.js'
import type { Layer } from './layers.js'
import { disposeModule, loadStateDict, setTraining, stateDict } from './nn.js'
import { trainLoop, type LoopData, type LossFn, type LoopResult } from './train.js'
import { loadTensors, saveTensors } from './weights.js'

/** Training parameters shared by all neural models. */
export const trainingParams = {
  epochs: z.number().int().min(1).max(10000).default(20),
  batchSize: z.number().int().min(1).default(256),
  lr: z.number().positive().max(10).default(1e-3),
  optimizer: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
  weightDecay: z.number().min(0).default(0),
  momentum: z.number().min(0).max(1).default(0.9),
  clipNorm: z.number().min(0).default(1),
  schedule: z.enum(['constant', 'cosine']).default('constant'),
  warmupSteps: z.number().int().min(0).default(0),
  patience: z.number().int().min(0).default(5),
  minDelta: z.number().min(0).default(0),
  dropout: z.number().min(0).max(0.9).default(0),
  /** Resumable per-epoch checkpoints go here when set. */
  checkpointDir: z.string().min(1).optional(),
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

function outDimOf(task: Task): number {
  if (task.kind === 'multiclass') return task.classes
  if (task.kind === 'binary' || task.kind === 'regression') return 1
  throw new Error(`neural models support binary, multiclass and regression tasks, not ${task.kind}`)
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

function lossFor(task: Task): LossFn {
  const t = torch()
  // Sample weights give a weighted mean of per-sample losses.
  const weighted = (per: Tensor, w?: Tensor): Tensor => (w ? per.mul(w).sum().div(w.sum()) : per.mean())
  if (task.kind === 'binary') return (out, y, w) => weighted(t.bceWithLogits(out.squeeze(-1), y, null, 'none'), w)
  if (task.kind === 'multiclass') return (out, y, w) => weighted(t.crossEntropy(out, y, null, 'none'), w)
  return (out, y, w) => weighted(t.mse(out.squeeze(-1), y, 'none'), w)
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
  const per = layoutOf(v).steps * v.f
  const xbuf = new Float32Array(batchSize * per)
  return {
    n: v.n,
    batch(idx, from, to) {
      const x = gatherInputs(v, s, idx, from, to, xbuf)
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

function createNeuralModel<P extends TrainingParams>(
  spec: ModelSpec,
  params: P,
  task: Task,
  build: NetBuilder<P>,
): NeuralModel & {
  restore(meta: Meta, dir: string): void
} {
  outDimOf(task)
  let net: Layer | null = null
  let meta: Meta | null = null
  let lastFit: LoopResult | null = null

  const install = (m: Meta): Layer => {
    if (net) disposeModule(net)
    meta = m
    net = build(params, m.layout, outDimOf(task))
    return net
  }

  return {
    spec,
    task,
    get lastFit() {
      return lastFit
    },
    async fit(train: Dataset, val: Dataset | undefined, ctx: FitContext): Promise<void> {
      const t = torch()
      const tv = asNeuralView(train.x, spec.name)
      checkTargets(train.y, tv.n, task, spec.name)
      const vv = val ? asNeuralView(val.x, spec.name) : undefined
      if (val && vv) {
        checkLayout(vv, layoutOf(tv), spec.name)
        checkTargets(val.y, vv.n, task, spec.name)
      }
      checkLayout(tv, layoutOf(tv), spec.name)
      t.setNumThreads(Math.max(1, ctx.threads))
      t.manualSeed(ctx.seed)
      const s = fitStandardizer(tv)
      let target = { mean: 0, std: 1 }
      if (task.kind === 'regression') {
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
        lossFor(task),
        loopData(tv, train, task, s, target, params.batchSize),
        vv && val ? loopData(vv, val, task, s, target, params.batchSize) : undefined,
        { ...params, seed: ctx.seed, progress: ctx.progress, signal: ctx.signal },
      )
    },
    predict(x: DataView): Outputs {
      if (!net || !meta) throw new Error(`model "${spec.name}" is not fitted`)
      const layer = net
      const m = meta
      const v = asNeuralView(x, spec.name)
      checkLayout(v, m.layout, spec.name)
      const s: Standardizer = { mean: Float64Array.from(m.mean), std: Float64Array.from(m.std) }
      const k = outDimOf(task)
      const raw = new Float64Array(v.n * k)
      const idx = Int32Array.from({ length: v.n }, (_, i) => i)
      const bs = 1024
      const buf = new Float32Array(bs * m.layout.steps * v.f)
      setTraining(layer, false)
      noGrad(() => {
        for (let from = 0; from < v.n; from += bs) {
          const to = Math.min(v.n, from + bs)
          const out = tidy(() => {
            const logits = layer.forward(gatherInputs(v, s, idx, from, to, buf))
            if (task.kind === 'binary') return logits.sigmoid().to('float64').toArray()
            if (task.kind === 'multiclass') return torch().softmax(logits, -1).to('float64').toArray()
            return logits.to('float64').toArray()
          }) as Float64Array
          raw.set(out, from * k)
        }
      })
      for (let i = 0; i < raw.length; i++) {
        if (!Number.isFinite(raw[i]))
          throw new Error(`model "${spec.name}" produced a non-finite output at row ${Math.floor(i / k)}`)
      }
      if (task.kind === 'binary') return { n: v.n, p_up: raw }
      if (task.kind === 'multiclass') return { n: v.n, p: raw, classes: k }
      for (let i = 0; i < raw.length; i++) raw[i] = raw[i] * m.target.std + m.target.mean
      return { n: v.n, E_r: raw }
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
}

/**
 * A registry entry for a neural model. `schema` is the model's strict zod object: `trainingParams` plus its own
 * architecture parameters.
 */
export function neuralEntry<P extends TrainingParams>(
  spec: ModelSpec,
  schema: z.ZodType<P>,
  build: NetBuilder<P>,
): ModelEntry<P> {
  return {
    spec,
    params: schema,
    available: torchAvailability,
    create: (params: P, task: Task) => createNeuralModel(spec, params, task, build),
    async load(dir: string): Promise<Model> {
      const path = join(dir, 'model.json')
      const m = JSON.parse(readFileSync(path, 'utf8')) as Meta
      if (m.format !== FORMAT) throw new Error(`${path}: format "${m.format}" is not ${FORMAT}`)
      if (m.name !== spec.name) throw new Error(`${path}: holds model "${m.name}", not "${spec.name}"`)
      const parsed = schema.safeParse(m.params)
      if (!parsed.success)
        throw new Error(`${path}: invalid params: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
      const model = createNeuralModel(spec, parsed.data, m.task, build)
      model.restore(m, dir)
      return model
    },
  }
}
