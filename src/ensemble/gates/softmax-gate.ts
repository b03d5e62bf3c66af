/**
 * softmax_gate: a small network (libtorch, through the project's binding and the neural models' module system and
 * training loop) mapping the gate's features (context_features and the ensemble regime's filtered probabilities,
 * standardised on the training rows) to softmax member weights, trained on the members' purged out-of-fold
 * predictions by the log-loss of the mixture they weigh:
 *
 *     w(x) = softmax(net(x)),    loss = -mean_t log sum_j w_j(x_t) p_tj(y_t)
 *
 * (the members' own out-of-fold loss enters through p_tj(y_t), floored at PROB_FLOOR). The latest val_fraction of
 * the out-of-fold rows early-stops it (the best epoch kept). Once trained, its weights are read out as plain
 * numbers: prediction is a few small matrix-vector products in TypeScript, the same in the run and in scoring
 * (whatever rows are scored together), and a bundle scores without libtorch.
 */
import { z } from 'zod'
import { torch, torchAvailability, type Tensor } from '../../engines/torch/index.js'
import { fitThreads } from '../../engines/threads.js'
import type { FitContext } from '../../models/contract.js'
import { addChild, createModule, disposeModule, stateDict } from '../../models/neural/nn.js'
import { linear, type Layer } from '../../models/neural/layers.js'
import { trainLoop, type LoopData } from '../../models/neural/train.js'
import type { CombinerEntry } from '../combiner.js'
import { PROB_FLOOR } from '../stacking.js'
import {
  contextShape,
  fitGate,
  gateShape,
  loadGate,
  type GateLearner,
  type GateRows,
  type GateTraining,
} from './gate.js'

export const softmaxGateParams = z
  .strictObject({
    ...gateShape('softmax_gate'),
    ...contextShape('the network reads'),
    hidden: z
      .array(z.int().min(1).max(256))
      .max(2, 'a gate network is small: at most 2 hidden layers')
      .default([16])
      .describe('Widths of the hidden (tanh) layers; [] maps the features to the weights linearly'),
    epochs: z.int().min(1).max(5000).default(200).describe('Passes over the out-of-fold rows at most'),
    batch_size: z.int().min(1).default(512).describe('Rows per gradient step'),
    lr: z.number().positive().max(1).default(0.01).describe('Learning rate (Adam)'),
    weight_decay: z.number().min(0).default(1e-4).describe('L2 penalty on the weights'),
    patience: z
      .int()
      .min(0)
      .default(20)
      .describe('Epochs without a better early-stopping loss before stopping; 0: run every epoch'),
    val_fraction: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.2)
      .describe('Share of the out-of-fold rows, the latest, that early-stops the training'),
  })
  .superRefine((p, ctx) => {
    if (!p.regime && p.context_features.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['context_features'],
        message: 'softmax_gate maps features to member weights: give a regime or context_features',
      })
  })
export type SoftmaxGateParams = z.output<typeof softmaxGateParams>

const vector = z.array(z.number().refine(Number.isFinite, 'must be finite'))
const stateSchema = z.strictObject({
  center: vector,
  scale: vector.refine((v) => v.every((s) => s > 0), 'scales must be > 0'),
  /** The network's layers, input first: weight (out, in) and bias (out); tanh between layers. */
  layers: z.array(z.strictObject({ weight: z.array(vector).min(1), bias: vector })).min(1),
  epochs: z.int().min(0),
  best_epoch: z.int().min(0),
  best_loss: z.number().nullable(),
})
export type SoftmaxGateState = z.infer<typeof stateSchema>

/** The weights (n, M) of the saved network at features x (n, e), standardised as in training. */
export function gateNetworkWeights(state: SoftmaxGateState, extra: Float64Array, n: number): Float64Array {
  const e = state.center.length
  const last = state.layers[state.layers.length - 1]
  const M = last.bias.length
  const out = new Float64Array(n * M)
  let h = new Float64Array(e)
  for (let i = 0; i < n; i++) {
    h = new Float64Array(e)
    for (let j = 0; j < e; j++) h[j] = (extra[i * e + j] - state.center[j]) / state.scale[j]
    state.layers.forEach((layer, l) => {
      const next = new Float64Array(layer.bias.length)
      for (let o = 0; o < next.length; o++) {
        let s = layer.bias[o]
        const w = layer.weight[o]
        for (let j = 0; j < h.length; j++) s += w[j] * h[j]
        next[o] = l < state.layers.length - 1 ? Math.tanh(s) : s
      }
      h = next
    })
    let top = -Infinity
    for (let j = 0; j < M; j++) top = Math.max(top, h[j])
    let sum = 0
    for (let j = 0; j < M; j++) sum += out[i * M + j] = Math.exp(h[j] - top)
    for (let j = 0; j < M; j++) out[i * M + j] /= sum
  }
  return out
}

/** The network: linear layers with tanh between them, logits out. */
function network(e: number, hidden: readonly number[], M: number) {
  const m = createModule()
  const widths = [e, ...hidden, M]
  const layers: Layer[] = widths.slice(1).map((w, l) => addChild(m, `fc${l}`, linear(widths[l], w)))
  return Object.assign(m, {
    layers,
    forward: (x: Tensor) =>
      layers.reduce((h, layer, l) => (l < layers.length - 1 ? layer.forward(h).tanh() : layer.forward(h)), x),
  })
}

/** -mean_t log sum_j softmax(z_t)_j q_tj, with y holding log q (the members' floored probabilities of the truth). */
function mixtureLoss(z: Tensor, logq: Tensor): Tensor {
  const logw = z.sub(z.logsumexp(1, true))
  return logw.add(logq).logsumexp(1).mean().neg()
}

/** Rows [from, to) of the standardised features and the log-probabilities of the truth, as a loop's batches. */
function loopData(x: Float32Array, logq: Float32Array, e: number, M: number, from: number, to: number): LoopData {
  const t = torch()
  return {
    n: to - from,
    batch(idx, a, b) {
      const rows = b - a
      const xb = new Float32Array(rows * e)
      const yb = new Float32Array(rows * M)
      for (let k = 0; k < rows; k++) {
        const i = from + idx[a + k]
        xb.set(x.subarray(i * e, (i + 1) * e), k * e)
        yb.set(logq.subarray(i * M, (i + 1) * M), k * M)
      }
      return { x: t.tensor(xb, [rows, e]), y: t.tensor(yb, [rows, M]) }
    },
  }
}

export const softmaxLearner: GateLearner<SoftmaxGateParams, SoftmaxGateState> = {
  online: false,
  state: stateSchema,
  async fit(params: SoftmaxGateParams, data: GateTraining, ctx: FitContext) {
    const t = torch()
    const n = data.rows.length
    const e = data.extraNames.length
    const M = data.probs.length
    const k = data.classes
    const center = new Array<number>(e).fill(0)
    const scale = new Array<number>(e).fill(0)
    for (let i = 0; i < n; i++) for (let j = 0; j < e; j++) center[j] += data.extra[i * e + j] / n
    for (let i = 0; i < n; i++) for (let j = 0; j < e; j++) scale[j] += (data.extra[i * e + j] - center[j]) ** 2 / n
    // A constant feature carries nothing: scale 1 keeps it (centred at 0) without dividing by zero.
    for (let j = 0; j < e; j++) scale[j] = scale[j] > 0 ? Math.sqrt(scale[j]) : 1
    const x = new Float32Array(n * e)
    const logq = new Float32Array(n * M)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < e; j++) x[i * e + j] = (data.extra[i * e + j] - center[j]) / scale[j]
      for (let j = 0; j < M; j++) logq[i * M + j] = Math.log(Math.max(PROB_FLOOR, data.probs[j][i * k + data.y[i]]))
    }
    const nVal = Math.floor(n * params.val_fraction)
    if (n - nVal < 1) throw new Error(`softmax_gate: ${n} out-of-fold rows leave none to train on`)
    t.setNumThreads(fitThreads(ctx.threads, 'softmax_gate'))
    t.manualSeed(ctx.seed)
    const net = network(e, params.hidden, M)
    try {
      const result = await trainLoop(
        net,
        (xs) => net.forward(xs),
        mixtureLoss,
        loopData(x, logq, e, M, 0, n - nVal),
        nVal > 0 ? loopData(x, logq, e, M, n - nVal, n) : undefined,
        {
          epochs: params.epochs,
          batchSize: params.batch_size,
          lr: params.lr,
          optimizer: 'adam',
          weightDecay: params.weight_decay,
          momentum: 0,
          clipNorm: 1,
          schedule: 'constant',
          warmupSteps: 0,
          patience: params.patience,
          minDelta: 0,
          seed: ctx.seed,
          ...(ctx.progress ? { progress: ctx.progress } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
      )
      const tensors = new Map(stateDict(net).map(([name, tensor]) => [name, [...(tensor.toArray() as Float32Array)]]))
      const widths = [e, ...params.hidden, M]
      return {
        center,
        scale,
        layers: widths.slice(1).map((w, l) => {
          const flat = tensors.get(`fc${l}.weight`)!
          return {
            weight: Array.from({ length: w }, (_, o) => flat.slice(o * widths[l], (o + 1) * widths[l])),
            bias: tensors.get(`fc${l}.bias`)!,
          }
        }),
        epochs: result.history.length,
        best_epoch: result.bestEpoch,
        best_loss: result.bestValLoss,
      }
    } finally {
      disposeModule(net)
    }
  },
  weights(state: SoftmaxGateState, rows: GateRows) {
    return gateNetworkWeights(state, rows.extra, rows.n)
  },
  check(state: SoftmaxGateState, members: number, extraWidth: number) {
    if (state.center.length !== extraWidth || state.scale.length !== extraWidth)
      throw new Error(`state.center and state.scale must hold ${extraWidth} values (one per feature)`)
    let width = extraWidth
    state.layers.forEach((layer, l) => {
      if (layer.weight.some((row) => row.length !== width) || layer.bias.length !== layer.weight.length)
        throw new Error(`state.layers[${l}] does not map ${width} inputs to ${layer.bias.length} outputs`)
      width = layer.bias.length
    })
    if (width !== members) throw new Error(`the network gives ${width} weights for ${members} members`)
  },
}

export const softmaxGateEntry: CombinerEntry<SoftmaxGateParams> = {
  name: 'softmax_gate',
  gate: true,
  params: softmaxGateParams as unknown as z.ZodType<SoftmaxGateParams, unknown>,
  available: () => torchAvailability(),
  fit: (params, input, ctx) => fitGate(params, input, ctx, softmaxLearner),
  load: (dir) => loadGate(dir, 'softmax_gate', softmaxLearner as GateLearner<unknown, SoftmaxGateState>),
}
