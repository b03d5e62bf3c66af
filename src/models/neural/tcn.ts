import { z } from 'zod'
import type { Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { causalConv1d, dropout, linear, type Layer } from './layers.js'
import type { InputLayout } from './data.js'
import { neuralEntry, trainingParams } from './model.js'

export const tcnParams = z.strictObject({
  ...trainingParams,
  channels: z.number().int().min(1).max(1024).default(64).describe('Channels of each causal convolution'),
  kernel: z.number().int().min(1).max(16).default(3).describe('Kernel size of each causal convolution'),
  /** One causal conv layer per dilation. */
  dilations: z
    .array(z.number().int().min(1).max(1024))
    .min(1)
    .max(16)
    .default([1, 2, 4])
    .describe('One causal convolution layer per dilation'),
})

/**
 * Temporal convolutional network: stacked dilated causal convolutions (ReLU, residual when widths match), then the
 * last step's channels feed a linear head. Each conv only looks back, so step t never sees a later step.
 */
export function tcnNetwork(
  p: z.infer<typeof tcnParams>,
  layout: InputLayout,
  outDim: number,
): Layer & { sequence(x: Tensor): Tensor } {
  const m = createModule()
  const convs: Layer[] = p.dilations.map((d, i) =>
    addChild(m, `conv${i}`, causalConv1d(i === 0 ? layout.f : p.channels, p.channels, p.kernel, d)),
  )
  const head = addChild(m, 'head', linear(p.channels, outDim))
  /** (B, L, f) -> (B, channels, L): every step's features after the conv stack. */
  const sequence = (x: Tensor): Tensor =>
    convs.reduce(
      (h, conv, i) => {
        const y = dropout(m, conv.forward(h).relu(), p.dropout)
        return i === 0 && layout.f !== p.channels ? y : h.add(y)
      },
      x.transpose(1, 2),
    )
  return Object.assign(m, {
    sequence,
    forward: (x: Tensor) => head.forward(sequence(x).select(2, -1)),
  })
}

export const tcnEntry = neuralEntry(
  {
    name: 'tcn',
    family: 'convolutional',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r'],
    tasks: ['binary', 'multiclass', 'regression'],
    causal: true,
    zeroShot: false,
  },
  tcnParams,
  tcnNetwork,
)
