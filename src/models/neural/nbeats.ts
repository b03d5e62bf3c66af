import { z } from 'zod'
import type { Tensor } from '../../engines/torch/index.js'
import { addBuffer, addChild, createModule, type Module } from './nn.js'
import { dropout, linear, type Layer } from './layers.js'
import type { InputLayout } from './data.js'
import { neuralEntry, trainingParams } from './model.js'
import { channelSeries, fcStack, fourierBasis, polynomialBasis } from './basis.js'

export const NBEATS_STACKS = ['trend', 'seasonality', 'generic'] as const
export type NbeatsStack = (typeof NBEATS_STACKS)[number]

export const nbeatsParams = z.strictObject({
  ...trainingParams,
  /** Stacks in order; the interpretable configuration is trend then seasonality, a generic stack takes the rest. */
  stacks: z
    .array(z.enum(NBEATS_STACKS))
    .min(1)
    .max(8)
    .default(['trend', 'seasonality', 'generic'])
    .describe('Stacks in order (interpretable: trend, then seasonality; generic takes the rest)'),
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
  trendDegree: z.number().int().min(0).max(8).default(2).describe('Polynomial degree of the trend basis'),
  harmonics: z.number().int().min(1).max(32).default(3).describe('Fourier harmonics of the seasonality basis'),
})

export type NbeatsParams = z.infer<typeof nbeatsParams>

interface Block extends Module {
  /** (S, L) residual series -> backcast (S, L) and forecast (S, H). */
  run(x: Tensor): { backcast: Tensor; forecast: Tensor }
}

function block(kind: NbeatsStack, p: NbeatsParams, steps: number): Block {
  const m = createModule()
  const body = addChild(m, 'fc', fcStack(steps, p.units, p.fcLayers, p.dropout))
  if (kind === 'generic') {
    const back = addChild(m, 'backcast', linear(p.units, steps))
    const fore = addChild(m, 'forecast', linear(p.units, p.horizon))
    return Object.assign(m, {
      run: (x: Tensor) => {
        const h = body.forward(x)
        return { backcast: back.forward(h), forecast: fore.forward(h) }
      },
    })
  }
  // Interpretable blocks: theta are coefficients of a fixed basis (polynomial trend or Fourier seasonality).
  const basisOf = (len: number): Tensor =>
    kind === 'trend' ? polynomialBasis(p.trendDegree, len) : fourierBasis(p.harmonics, len)
  const backBasis = addBuffer(m, 'backcast_basis', basisOf(steps))
  const foreBasis = addBuffer(m, 'forecast_basis', basisOf(p.horizon))
  const thetaB = addChild(m, 'theta_backcast', linear(p.units, backBasis.shape[0], false))
  const thetaF = addChild(m, 'theta_forecast', linear(p.units, foreBasis.shape[0], false))
  return Object.assign(m, {
    run: (x: Tensor) => {
      const h = body.forward(x)
      return { backcast: thetaB.forward(h).matmul(backBasis), forecast: thetaF.forward(h).matmul(foreBasis) }
    },
  })
}

/**
 * N-BEATS on each channel (feature) of the window as a univariate series: stacks of blocks, each fitting a backcast
 * that is subtracted from its input (doubly residual) and adding a forecast over a latent horizon. Trend blocks
 * use a polynomial basis and seasonality blocks a Fourier basis, so their forecasts are an interpretable
 * decomposition (`decompose`); generic blocks learn their bases. The summed per-channel forecasts feed the head.
 */
export function nbeatsNetwork(
  p: NbeatsParams,
  layout: InputLayout,
  outDim: number,
): Layer & { decompose(x: Tensor): Record<string, Tensor> } {
  if (layout.kind !== 'window_tensor') throw new Error(`nbeats takes a window_tensor view, got ${layout.kind}`)
  const m = createModule()
  const steps = layout.steps
  const blocks: { kind: NbeatsStack; stack: number; b: Block }[] = []
  p.stacks.forEach((kind, s) => {
    for (let k = 0; k < p.blocksPerStack; k++)
      blocks.push({ kind, stack: s, b: addChild(m, `stack${s}_block${k}`, block(kind, p, steps)) })
  })
  const head = addChild(m, 'head', linear(layout.f * p.horizon, outDim))
  /** Per-stack forecasts (B*C, H), in stack order. */
  const stackForecasts = (x: Tensor): Tensor[] => {
    let residual = channelSeries(x)
    const out: Tensor[] = p.stacks.map(() => null as unknown as Tensor)
    for (const { stack, b } of blocks) {
      const { backcast, forecast } = b.run(residual)
      residual = residual.sub(backcast)
      out[stack] = out[stack] ? out[stack].add(forecast) : forecast
    }
    return out
  }
  return Object.assign(m, {
    decompose: (x: Tensor) => {
      const [b, , c] = x.shape
      const parts = stackForecasts(x)
      const named: Record<string, Tensor> = {}
      p.stacks.forEach((kind, s) => {
        const v = parts[s].reshape([b, c, p.horizon])
        const key = named[kind] ? `${kind}${s}` : kind
        named[key] = v
      })
      return named
    },
    forward: (x: Tensor) => {
      const b = x.shape[0]
      const total = stackForecasts(x).reduce((a, f) => a.add(f))
      return head.forward(dropout(m, total.reshape([b, layout.f * p.horizon]), p.dropout))
    },
  })
}

export const nbeatsEntry = neuralEntry(
  {
    name: 'nbeats',
    family: 'mlp',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  nbeatsParams,
  nbeatsNetwork,
)
