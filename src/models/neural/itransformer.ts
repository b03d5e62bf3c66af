import { z } from 'zod'
import type { Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { dropout, layerNorm, linear } from './layers.js'
import { encoderLayer } from './attention.js'
import { neuralEntry, trainingParams } from './model.js'

export const itransformerParams = z.strictObject({
  ...trainingParams,
  dModel: z
    .number()
    .int()
    .min(4)
    .max(1024)
    .default(64)
    .describe('Width of the token embedding of each feature (variate)'),
  heads: z.number().int().min(1).max(32).default(4).describe('Attention heads'),
  layers: z.number().int().min(1).max(12).default(2).describe('Transformer encoder layers'),
  ff: z.number().int().min(4).max(4096).default(128).describe('Hidden width of the feed-forward blocks'),
})

/**
 * iTransformer: the transformer is inverted, each variate (feature) is one token: its whole window is embedded by
 * a linear map, attention runs across variates (learning how they relate), the feed-forward block within each
 * token, and the tokens' final states are flattened into the head. Attention is over variates, not time, so it is
 * not masked; the window itself only looks back.
 */
export const itransformerEntry = neuralEntry(
  {
    name: 'itransformer',
    family: 'transformer',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  itransformerParams,
  (p, layout, outDim) => {
    if (layout.kind !== 'window_tensor') throw new Error(`itransformer takes a window_tensor view, got ${layout.kind}`)
    const m = createModule()
    const embed = addChild(m, 'embed', linear(layout.steps, p.dModel))
    const layers = Array.from({ length: p.layers }, (_, l) =>
      addChild(
        m,
        `layer${l}`,
        encoderLayer({ d: p.dModel, heads: p.heads, ff: p.ff, dropout: p.dropout, causal: false }),
      ),
    )
    const norm = addChild(m, 'norm', layerNorm(p.dModel))
    const head = addChild(m, 'head', linear(layout.f * p.dModel, outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => {
        const tokens = embed.forward(x.transpose(1, 2)) // (B, f, dModel)
        const h = norm.forward(layers.reduce((z, l) => l.forward(z), dropout(m, tokens, p.dropout)))
        return head.forward(dropout(m, h.flatten(1), p.dropout))
      },
    })
  },
)
