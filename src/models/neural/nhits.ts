import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addBuffer, addChild, createModule, type Module } from './nn.js'
import { dropout, linear, type Layer } from './layers.js'
import type { InputLayout } from './data.js'
import { neuralEntry, trainingParams } from './model.js'
import { channelSeries, fcStack, interpolationMatrix } from './basis.js'

export const nhitsParams = z.strictObject({
  ...trainingParams,
  /** Max-pooling kernel of each stack's input (multi-rate sampling: coarse first). */
  poolKernels: z
    .array(z.number().int().min(1).max(256))
    .min(1)
    .max(8)
    .default([4, 2, 1])
    .describe("Max-pooling kernel of each stack's input (coarse first)"),
  /** Each stack emits horizon/downsample forecast coefficients, interpolated up to the horizon. */
  downsample: z
    .array(z.number().int().min(1).max(256))
    .min(1)
    .max(8)
    .default([4, 2, 1])
    .describe('Per stack: the forecast path is horizon/downsample coefficients, interpolated up'),
  blocksPerStack: z.number().int().min(1).max(8).default(1).describe('Blocks in each stack'),
  /** Length of the latent forecast path each channel produces (mapped to the task's outputs by the head). */
  horizon: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(8)
    .describe("Length of the latent forecast path (mapped to the task's outputs by the head)"),
  units: z
    .number()
    .int()
    .min(1)
    .max(2048)
    .default(64)
    .describe('Hidden units of the fully connected layers of a block'),
  fcLayers: z.number().int().min(1).max(8).default(2).describe('Fully connected layers per block'),
})

export type NhitsParams = z.infer<typeof nhitsParams>

interface Block extends Module {
  run(x: Tensor): { backcast: Tensor; forecast: Tensor }
}

/** Max pool over the last dim with kernel = stride = k; the oldest steps are padded with the first value. */
export function maxPoolLast(x: Tensor, k: number): Tensor {
  if (k === 1) return x
  const [s, len] = x.shape
  const pooled = Math.ceil(len / k)
  const pad = pooled * k - len
  const joined = pad > 0 ? torch().cat([x.narrow(1, 0, 1).expand([s, pad]), x], 1) : x
  return joined.reshape([s, pooled, k]).max(-1)
}

function block(p: NhitsParams, steps: number, kernel: number, down: number): Block {
  const m = createModule()
  const body = addChild(m, 'fc', fcStack(Math.ceil(steps / kernel), p.units, p.fcLayers, p.dropout))
  const coefficients = Math.max(1, Math.floor(p.horizon / down))
  const back = addChild(m, 'backcast', linear(p.units, steps))
  const fore = addChild(m, 'forecast', linear(p.units, coefficients))
  const interp = addBuffer(m, 'interpolation', interpolationMatrix(coefficients, p.horizon))
  return Object.assign(m, {
    run: (x: Tensor) => {
      const h = body.forward(maxPoolLast(x, kernel))
      return { backcast: back.forward(h), forecast: fore.forward(h).matmul(interp) }
    },
  })
}

/**
 * N-HiTS on each channel of the window as a univariate series: every stack max-pools its input at its own rate
 * (multi-rate sampling), an MLP emits a full backcast (subtracted, doubly residual) and a few forecast
 * coefficients that are linearly interpolated to the horizon (hierarchical interpolation: coarse stacks shape the
 * slow part of the path, fine stacks the detail). Summed per-channel forecasts feed the head.
 */
export function nhitsNetwork(
  p: NhitsParams,
  layout: InputLayout,
  outDim: number,
): Layer & { stackForecasts(x: Tensor): Tensor[] } {
  if (layout.kind !== 'window_tensor') throw new Error(`nhits takes a window_tensor view, got ${layout.kind}`)
  if (p.poolKernels.length !== p.downsample.length) {
    throw new Error(
      `nhits: poolKernels (${p.poolKernels.length}) and downsample (${p.downsample.length}) need one entry per stack`,
    )
  }
  const m = createModule()
  const steps = layout.steps
  const stacks = p.poolKernels.map((k, s) =>
    Array.from({ length: p.blocksPerStack }, (_, j) =>
      addChild(m, `stack${s}_block${j}`, block(p, steps, Math.min(k, steps), p.downsample[s])),
    ),
  )
  const head = addChild(m, 'head', linear(layout.f * p.horizon, outDim))
  const stackForecasts = (x: Tensor): Tensor[] => {
    let residual = channelSeries(x)
    return stacks.map((blocks) => {
      let f: Tensor | null = null
      for (const b of blocks) {
        const o = b.run(residual)
        residual = residual.sub(o.backcast)
        f = f ? f.add(o.forecast) : o.forecast
      }
      return f as Tensor
    })
  }
  return Object.assign(m, {
    stackForecasts,
    forward: (x: Tensor) => {
      const b = x.shape[0]
      const total = stackForecasts(x).reduce((a, f) => a.add(f))
      return head.forward(dropout(m, total.reshape([b, layout.f * p.horizon]), p.dropout))
    },
  })
}

export const nhitsEntry = neuralEntry(
  {
    name: 'nhits',
    family: 'mlp',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  nhitsParams,
  nhitsNetwork,
)
