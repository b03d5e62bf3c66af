/**
 * Layers built on nn.ts. Initialisation follows PyTorch's defaults (uniform in +-1/sqrt(fan_in)) so that the same
 * architecture trains alike in both. Parameter names follow PyTorch's, so state dicts are easy to compare.
 */
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addChild, createModule, uniformParameter, constantParameter, type Module } from './nn.js'

export interface Layer extends Module {
  forward(x: Tensor): Tensor
}

/** y = x W^T + b over the last dimension. */
export function linear(inFeatures: number, outFeatures: number, bias = true): Layer {
  const m = createModule()
  const bound = 1 / Math.sqrt(inFeatures)
  const w = uniformParameter(m, 'weight', [outFeatures, inFeatures], bound)
  const b = bias ? uniformParameter(m, 'bias', [outFeatures], bound) : null
  return Object.assign(m, { forward: (x: Tensor) => torch().linear(x, w, b) })
}

export interface RecurrentOptions {
  readonly inputSize: number
  readonly hidden: number
  readonly layers: number
  /** Dropout between stacked layers (training only). */
  readonly dropout: number
}

/** Recurrent layer weights in libtorch's order: w_ih, w_hh, b_ih, b_hh per layer; `gates` is 4 for LSTM, 3 for GRU. */
function recurrentParams(m: Module, o: RecurrentOptions, gates: number): Tensor[] {
  const bound = 1 / Math.sqrt(o.hidden)
  const ps: Tensor[] = []
  for (let l = 0; l < o.layers; l++) {
    const inSize = l === 0 ? o.inputSize : o.hidden
    ps.push(uniformParameter(m, `weight_ih_l${l}`, [gates * o.hidden, inSize], bound))
    ps.push(uniformParameter(m, `weight_hh_l${l}`, [gates * o.hidden, o.hidden], bound))
    ps.push(uniformParameter(m, `bias_ih_l${l}`, [gates * o.hidden], bound))
    ps.push(uniformParameter(m, `bias_hh_l${l}`, [gates * o.hidden], bound))
  }
  return ps
}

/** LSTM over batch-first (B, L, inputSize) input; forward returns the top layer's outputs (B, L, hidden). */
export function lstm(o: RecurrentOptions): Layer {
  const m = createModule()
  const ps = recurrentParams(m, o, 4)
  return Object.assign(m, {
    forward: (x: Tensor) => torch().lstm(x, null, ps, true, o.layers, o.dropout, m.training, false, true)[0],
  })
}

/** GRU over batch-first (B, L, inputSize) input; forward returns (B, L, hidden). */
export function gru(o: RecurrentOptions): Layer {
  const m = createModule()
  const ps = recurrentParams(m, o, 3)
  return Object.assign(m, {
    forward: (x: Tensor) => torch().gru(x, null, ps, true, o.layers, o.dropout, m.training, false, true)[0],
  })
}

/**
 * Causal dilated 1-d convolution over (B, C, L): the input is padded on the left only, so output step t sees input
 * steps t - (kernel-1)*dilation .. t and never a later one.
 */
export function causalConv1d(inChannels: number, outChannels: number, kernel: number, dilation: number): Layer {
  const m = createModule()
  const bound = 1 / Math.sqrt(inChannels * kernel)
  const w = uniformParameter(m, 'weight', [outChannels, inChannels, kernel], bound)
  const b = uniformParameter(m, 'bias', [outChannels], bound)
  const left = (kernel - 1) * dilation
  return Object.assign(m, {
    forward: (x: Tensor) => torch().conv1d(left > 0 ? x.pad([left, 0]) : x, w, b, 1, 0, dilation, 1),
  })
}

export function layerNorm(features: number, eps = 1e-5): Layer {
  const m = createModule()
  const w = constantParameter(m, 'weight', [features], 1)
  const b = constantParameter(m, 'bias', [features], 0)
  return Object.assign(m, { forward: (x: Tensor) => torch().layerNorm(x, [features], w, b, eps) })
}

/** Dropout that is active only while `owner` is in training mode. */
export function dropout(owner: Module, x: Tensor, p: number): Tensor {
  return p > 0 && owner.training ? torch().dropout(x, p, true) : x
}

/** A stack of layers applied in order (children named "0", "1", ...). */
export function sequential(layers: readonly Layer[]): Layer {
  const m = createModule()
  layers.forEach((l, i) => addChild(m, String(i), l))
  return Object.assign(m, { forward: (x: Tensor) => layers.reduce((h, l) => l.forward(h), x) })
}

/**
 * Non-crossing quantiles from unconstrained outputs (B, Q), quantiles in increasing order: column `median` is taken
 * as is, and every other quantile is its neighbour towards the median plus (above) or minus (below) a softplus
 * increment, so q_0 < q_1 < ... < q_{Q-1} by construction.
 */
export function monotoneQuantiles(raw: Tensor, median: number): Tensor {
  const q = raw.shape[raw.shape.length - 1]
  const cols: Tensor[] = new Array<Tensor>(q)
  cols[median] = raw.narrow(-1, median, 1)
  for (let j = median + 1; j < q; j++) cols[j] = cols[j - 1].add(raw.narrow(-1, j, 1).softplus())
  for (let j = median - 1; j >= 0; j--) cols[j] = cols[j + 1].sub(raw.narrow(-1, j, 1).softplus())
  return torch().cat(cols, -1)
}
