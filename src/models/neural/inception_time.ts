import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { linear } from './layers.js'
import { neuralEntry, trainingParams } from './model.js'
import { batchNorm1d, conv1dSame } from './resnet1d.js'

export const inceptionTimeParams = z.strictObject({
  ...trainingParams,
  /** Filters per parallel branch; a module outputs 4x this many channels. */
  filters: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(32)
    .describe('Filters per parallel branch (a module outputs 4x as many channels)'),
  /** Kernel sizes of the parallel convolutions (odd, longest first as in the paper's 39/19/9 family). */
  kernels: z
    .array(z.number().int().min(1).max(63))
    .min(1)
    .max(4)
    .default([39, 19, 9])
    .describe('Kernel sizes of the parallel convolutions, longest first'),
  bottleneck: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(32)
    .describe('Channels of the 1x1 bottleneck before the convolutions'),
  /** Inception modules; a residual shortcut is added after every third. */
  depth: z
    .number()
    .int()
    .min(1)
    .max(12)
    .default(6)
    .describe('Inception modules (a residual shortcut after every third)'),
})

type P = z.infer<typeof inceptionTimeParams>

/**
 * InceptionTime (Fawaz et al. 2020): inception modules made of a 1x1 bottleneck feeding parallel convolutions of
 * several kernel lengths plus a max-pool branch with its own 1x1 conv, concatenated, batch-normed and ReLU'd;
 * a residual shortcut (1x1 conv + batch norm) every three modules; global average pooling and a linear head.
 * Kernel lengths are clipped to the window (kept odd) so short windows work too.
 */
export const inceptionTimeEntry = neuralEntry(
  {
    name: 'inception_time',
    family: 'convolutional',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  inceptionTimeParams,
  (p: P, layout, outDim) => {
    const t = torch()
    const m = createModule()
    const width = p.filters * (p.kernels.length + 1)
    const odd = (k: number): number => {
      const c = Math.min(k, layout.steps % 2 === 1 ? layout.steps : layout.steps - 1)
      return c % 2 === 1 ? c : c - 1
    }
    const modules = Array.from({ length: p.depth }, (_, i) => {
      const cin = i === 0 ? layout.f : width
      const mod = addChild(m, `inception${i}`, createModule())
      const bottleneck = cin > 1 ? conv1dSame(mod, 'bottleneck', cin, p.bottleneck, 1, false) : null
      const bin = bottleneck ? p.bottleneck : cin
      const branches = p.kernels.map((k, j) => conv1dSame(mod, `conv${j}`, bin, p.filters, Math.max(1, odd(k)), false))
      const poolConv = conv1dSame(mod, 'pool_conv', cin, p.filters, 1, false)
      const bn = addChild(mod, 'bn', batchNorm1d(width))
      return (x: Tensor): Tensor => {
        const z = bottleneck ? bottleneck.forward(x) : x
        // Max-pool branch: kernel 3, stride 1, 'same' length (edges padded by repetition).
        const len = x.shape[2]
        const padded = t.cat([x.narrow(2, 0, 1), x, x.narrow(2, len - 1, 1)], 2)
        const pooled = t.stack([padded.narrow(2, 0, len), padded.narrow(2, 1, len), padded.narrow(2, 2, len)], 0).max(0)
        const out = t.cat([...branches.map((b) => b.forward(z)), poolConv.forward(pooled)], 1)
        return bn.forward(out).relu()
      }
    })
    const shortcuts = Array.from({ length: Math.floor(p.depth / 3) }, (_, s) => {
      const cin = s === 0 ? layout.f : width
      const conv = conv1dSame(m, `shortcut${s}_conv`, cin, width, 1, false)
      const bn = addChild(m, `shortcut${s}_bn`, batchNorm1d(width))
      return (x: Tensor): Tensor => bn.forward(conv.forward(x))
    })
    const head = addChild(m, 'head', linear(width, outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => {
        let h = x.transpose(1, 2)
        let residual = h
        modules.forEach((mod, i) => {
          h = mod(h)
          if (i % 3 === 2) {
            h = h.add(shortcuts[Math.floor(i / 3)](residual)).relu()
            residual = h
          }
        })
        return head.forward(h.mean(2))
      },
    })
  },
)
