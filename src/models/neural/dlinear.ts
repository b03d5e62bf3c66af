import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addBuffer, addChild, createModule } from './nn.js'
import { dropout, linear } from './layers.js'
import { neuralEntry, trainingParams } from './model.js'

export const dlinearParams = z.strictObject({
  ...trainingParams,
  // A linear model takes larger steps than the deep ones (as in the DLinear paper's setup).
  lr: z
    .number()
    .positive()
    .max(10)
    .default(1e-2)
    .describe("Learning rate (larger than the deep models', as in the DLinear paper)"),
  /** Moving-average length of the trend (clipped to the window length). */
  kernel: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(25)
    .describe('Moving-average length of the trend (clipped to the window length)'),
})

/**
 * DLinear: each feature's window is split into a trend (trailing moving average, left edge padded with the first
 * value) and a remainder; one linear map over time per part (shared across features) gives a value per feature,
 * and a linear head maps the features to the outputs.
 */
export const dlinearEntry = neuralEntry(
  {
    name: 'dlinear',
    family: 'linear',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r'],
    tasks: ['binary', 'multiclass', 'regression'],
    causal: true,
    zeroShot: false,
  },
  dlinearParams,
  (p, layout, outDim) => {
    const t = torch()
    const m = createModule()
    const steps = layout.steps
    const k = Math.min(p.kernel, steps)
    const f = layout.f
    const avg = addBuffer(m, 'trend_kernel', t.full([f, 1, k], 1 / k))
    const trendMap = addChild(m, 'trend', linear(steps, 1))
    const seasonalMap = addChild(m, 'seasonal', linear(steps, 1))
    const head = addChild(m, 'head', linear(f, outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => {
        const xt = x.transpose(1, 2) // (B, f, L)
        const b = xt.shape[0]
        const padded = k > 1 ? t.cat([xt.narrow(2, 0, 1).expand([b, f, k - 1]), xt], 2) : xt
        const trend = t.conv1d(padded, avg, null, 1, 0, 1, f)
        const seasonal = xt.sub(trend)
        const perFeature = trendMap.forward(trend).add(seasonalMap.forward(seasonal)).squeeze(-1) // (B, f)
        return head.forward(dropout(m, perFeature, p.dropout))
      },
    })
  },
)
