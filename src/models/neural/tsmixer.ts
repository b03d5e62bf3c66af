import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { dropout, layerNorm, linear, type Layer } from './layers.js'
import type { InputLayout } from './data.js'
import { neuralEntry, trainingParams } from './model.js'
import { partsOf, splitParts } from './patching.js'

export const tsmixerParams = z.strictObject({
  ...trainingParams,
  /** Mixer blocks per resolution. */
  blocks: z.number().int().min(1).max(16).default(2).describe('Mixer blocks per resolution'),
  /** Hidden width of the feature-mixing MLPs. */
  ff: z.number().int().min(1).max(4096).default(64).describe('Hidden width of the feature-mixing MLPs'),
})

export type TsmixerParams = z.infer<typeof tsmixerParams>

/** One mixer block over (B, L, C): time mixing (shared across features) then feature mixing, each residual. */
function mixerBlock(p: TsmixerParams, steps: number, f: number): Layer {
  const m = createModule()
  const normT = addChild(m, 'norm_time', layerNorm(f))
  const time = addChild(m, 'time', linear(steps, steps))
  const normF = addChild(m, 'norm_feature', layerNorm(f))
  const fc1 = addChild(m, 'feature1', linear(f, p.ff))
  const fc2 = addChild(m, 'feature2', linear(p.ff, f))
  return Object.assign(m, {
    forward: (x: Tensor) => {
      const t = time.forward(normT.forward(x).transpose(1, 2)).relu().transpose(1, 2)
      const h = x.add(dropout(m, t, p.dropout))
      const g = fc2.forward(dropout(m, fc1.forward(normF.forward(h)).relu(), p.dropout))
      return h.add(dropout(m, g, p.dropout))
    },
  })
}

/**
 * TSMixer: stacked MLP blocks that alternately mix along time (one linear map over the window, shared by all
 * features) and across features, with residuals and layer norm; a temporal projection then reduces each feature's
 * window to one value and a linear head maps the features to the task. With a multi_res view every resolution has
 * its own mixer stack and projection, and a final feature-mixing MLP combines the resolutions.
 */
export function tsmixerNetwork(p: TsmixerParams, layout: InputLayout, outDim: number): Layer {
  const m = createModule()
  const parts = partsOf(layout)
  const stacks = parts.map((part, i) =>
    Array.from({ length: p.blocks }, (_, k) => addChild(m, `part${i}_block${k}`, mixerBlock(p, part.steps, part.f))),
  )
  const projections = parts.map((part, i) => addChild(m, `part${i}_projection`, linear(part.steps, 1)))
  const width = parts.reduce((s, part) => s + part.f, 0)
  const cross = parts.length > 1 ? addChild(m, 'cross', linear(width, p.ff)) : null
  const head = addChild(m, 'head', linear(cross ? p.ff : width, outDim))
  return Object.assign(m, {
    forward: (x: Tensor) => {
      const reduced = splitParts(x, layout).map((xp, i) => {
        const h = stacks[i].reduce((z, b) => b.forward(z), xp)
        return projections[i].forward(h.transpose(1, 2)).squeeze(-1) // (B, f_i)
      })
      const z = reduced.length === 1 ? reduced[0] : torch().cat(reduced, 1)
      const mixed = cross ? dropout(m, cross.forward(z).relu(), p.dropout) : z
      return head.forward(mixed)
    },
  })
}

export const tsmixerEntry = neuralEntry(
  {
    name: 'tsmixer',
    family: 'mlp',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  tsmixerParams,
  tsmixerNetwork,
  { multiRes: true },
)
