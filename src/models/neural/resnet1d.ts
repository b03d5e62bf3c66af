import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addBuffer, addChild, constantParameter, createModule, uniformParameter, type Module } from './nn.js'
import { linear, type Layer } from './layers.js'
import { neuralEntry, trainingParams } from './model.js'

/**
 * Batch normalisation over (B, C, L) with running statistics (buffers, saved with the weights): batch statistics
 * while training, the running ones at inference, as in PyTorch's BatchNorm1d.
 */
export function batchNorm1d(channels: number, momentum = 0.1, eps = 1e-5): Layer {
  const m = createModule()
  const w = constantParameter(m, 'weight', [channels], 1)
  const b = constantParameter(m, 'bias', [channels], 0)
  const mean = addBuffer(m, 'running_mean', torch().zeros([channels]))
  const variance = addBuffer(m, 'running_var', torch().ones([channels]))
  return Object.assign(m, {
    forward: (x: Tensor) => torch().batchNorm(x, w, b, mean, variance, m.training, momentum, eps),
  })
}

/** 1-d convolution over (B, C, L) with 'same' length output (odd kernels pad both sides equally). */
export function conv1dSame(m: Module, name: string, cin: number, cout: number, kernel: number, bias = true): Layer {
  const c = createModule()
  const bound = 1 / Math.sqrt(cin * kernel)
  const w = uniformParameter(c, 'weight', [cout, cin, kernel], bound)
  const b = bias ? uniformParameter(c, 'bias', [cout], bound) : null
  const left = Math.floor((kernel - 1) / 2)
  const right = kernel - 1 - left
  addChild(m, name, c)
  return Object.assign(c, {
    forward: (x: Tensor) => torch().conv1d(kernel > 1 ? x.pad([left, right]) : x, w, b, 1, 0, 1, 1),
  })
}

export const resnet1dParams = z.strictObject({
  ...trainingParams,
  /** Channels of each residual block. */
  channels: z
    .array(z.number().int().min(1).max(1024))
    .min(1)
    .max(8)
    .default([64, 128, 128])
    .describe('Channels of each residual block'),
  /** Kernel sizes of the three convolutions inside a block. */
  kernels: z
    .array(z.number().int().min(1).max(31))
    .length(3)
    .default([7, 5, 3])
    .describe('Kernel sizes of the three convolutions inside a block'),
})

/**
 * ResNet for time series (Wang et al. 2017): residual blocks of three convolutions (kernels 8/5/3 in the paper;
 * odd 7/5/3 here so 'same' padding is symmetric) with batch norm and ReLU, a 1x1 shortcut when widths change,
 * then global average pooling over time and a linear head.
 */
export const resnet1dEntry = neuralEntry(
  {
    name: 'resnet1d',
    family: 'convolutional',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  resnet1dParams,
  (p, layout, outDim) => {
    const m = createModule()
    const blocks = p.channels.map((c, i) => {
      const cin = i === 0 ? layout.f : p.channels[i - 1]
      const b = createModule()
      addChild(m, `block${i}`, b)
      const convs = p.kernels.map((k, j) => conv1dSame(b, `conv${j}`, j === 0 ? cin : c, c, k, false))
      const norms = p.kernels.map((_, j) => addChild(b, `bn${j}`, batchNorm1d(c)))
      const shortcut = cin !== c ? conv1dSame(b, 'shortcut', cin, c, 1, false) : null
      const shortcutNorm = shortcut ? addChild(b, 'shortcut_bn', batchNorm1d(c)) : null
      return (x: Tensor): Tensor => {
        let h = x
        convs.forEach((conv, j) => {
          h = norms[j].forward(conv.forward(h))
          if (j < convs.length - 1) h = h.relu()
        })
        const s = shortcut && shortcutNorm ? shortcutNorm.forward(shortcut.forward(x)) : x
        return h.add(s).relu()
      }
    })
    const head = addChild(m, 'head', linear(p.channels[p.channels.length - 1], outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => head.forward(blocks.reduce((h, b) => b(h), x.transpose(1, 2)).mean(2)),
    })
  },
)
