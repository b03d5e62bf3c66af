import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addChild, createModule, uniformParameter } from './nn.js'
import { dropout, linear, type Layer } from './layers.js'
import { encoderLayer } from './attention.js'
import type { InputLayout } from './data.js'
import { neuralEntry, trainingParams } from './model.js'
import { partsOf, patchPlan, splitParts, toPatches } from './patching.js'

export const patchtstParams = z.strictObject({
  ...trainingParams,
  /** Steps per patch and between patch starts (clipped to the window length). */
  patchLen: z.number().int().min(1).max(512).default(16).describe('Steps per patch (clipped to the window length)'),
  stride: z.number().int().min(1).max(512).default(8).describe('Steps between patch starts'),
  dModel: z.number().int().min(4).max(1024).default(128).describe('Width of the token embeddings'),
  heads: z.number().int().min(1).max(32).default(8).describe('Attention heads'),
  layers: z.number().int().min(1).max(12).default(3).describe('Transformer encoder layers'),
  ff: z.number().int().min(4).max(4096).default(256).describe('Hidden width of the feed-forward blocks'),
  /** Width each channel's flattened patch tokens are projected to before the channels are combined. */
  headDim: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(16)
    .describe("Width each channel's flattened patch tokens are projected to before the channels are combined"),
})

export type PatchtstParams = z.infer<typeof patchtstParams>

/**
 * PatchTST: every channel (feature) is its own univariate series (channel independence); it is cut into patches
 * (length 16, stride 8 by default), each patch embedded linearly with a learned position, and the patch tokens go
 * through a transformer encoder shared by all channels. Attention is causal: a patch token sees only earlier
 * patches, so token i depends on the window's steps up to the end of patch i. Each channel's tokens are flattened
 * and projected (shared weights), the channels concatenated and mapped to the task's head (p_up, E_r or
 * non-crossing quantiles). With a multi_res view each resolution is patched on its own (its own patch embedding and
 * positions, which also tell the resolutions apart) and shares the encoder.
 */
export function patchtstNetwork(
  p: PatchtstParams,
  layout: InputLayout,
  outDim: number,
): Layer & { tokens(x: Tensor, part?: number): Tensor } {
  const m = createModule()
  const parts = partsOf(layout)
  const plans = parts.map((part) => patchPlan(part.steps, p.patchLen, p.stride))
  const embeds = plans.map((plan, i) => addChild(m, `embed${i}`, linear(plan.len, p.dModel)))
  // Learned positions, as in PatchTST; per resolution, so they also mark where a token comes from.
  const positions = plans.map((plan, i) => uniformParameter(m, `pos${i}`, [plan.count, p.dModel], 0.02))
  const encoder = Array.from({ length: p.layers }, (_, l) =>
    addChild(m, `layer${l}`, encoderLayer({ d: p.dModel, heads: p.heads, ff: p.ff, dropout: p.dropout, causal: true })),
  )
  const projections = plans.map((plan, i) => addChild(m, `proj${i}`, linear(plan.count * p.dModel, p.headDim)))
  const width = parts.reduce((s, part) => s + part.f * p.headDim, 0)
  const head = addChild(m, 'head', linear(width, outDim))

  /** Encoded patch tokens of one part: (B*f, count, dModel), channel-major within a sample. */
  const encode = (xp: Tensor, i: number): Tensor => {
    const [b, steps, f] = xp.shape
    const series = xp.transpose(1, 2).reshape([b * f, steps])
    const h = embeds[i].forward(toPatches(series, plans[i])).add(positions[i])
    return encoder.reduce((z, layer) => layer.forward(z), dropout(m, h, p.dropout))
  }
  return Object.assign(m, {
    tokens: (x: Tensor, part = 0) => encode(splitParts(x, layout)[part], part),
    forward: (x: Tensor) => {
      const b = x.shape[0]
      const perPart = splitParts(x, layout).map((xp, i) =>
        projections[i].forward(encode(xp, i).flatten(1)).reshape([b, parts[i].f * p.headDim]),
      )
      const z = perPart.length === 1 ? perPart[0] : torch().cat(perPart, 1)
      return head.forward(dropout(m, z, p.dropout))
    },
  })
}

export const patchtstEntry = neuralEntry(
  {
    name: 'patchtst',
    family: 'transformer',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  patchtstParams,
  patchtstNetwork,
  { multiRes: true },
)
