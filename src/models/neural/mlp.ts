import { z } from 'zod'
import type { Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { dropout, linear, type Layer } from './layers.js'
import { neuralEntry, trainingParams } from './model.js'

export const mlpParams = z.strictObject({
  ...trainingParams,
  /** Widths of the hidden layers. */
  hidden: z
    .array(z.number().int().min(1).max(8192))
    .min(1)
    .max(16)
    .default([64, 32])
    .describe('Widths of the hidden layers'),
})

/** Multi-layer perceptron baseline on the feature matrix: (linear, ReLU, dropout) per hidden layer, linear head. */
export const mlpEntry = neuralEntry(
  {
    name: 'mlp',
    family: 'mlp',
    inputView: 'feature_matrix',
    outputs: ['p_up', 'p', 'E_r'],
    tasks: ['binary', 'multiclass', 'regression'],
    causal: true,
    zeroShot: false,
  },
  mlpParams,
  (p, layout, outDim) => {
    const m = createModule()
    const widths = [layout.f, ...p.hidden]
    const hidden: Layer[] = p.hidden.map((w, i) => addChild(m, `fc${i}`, linear(widths[i], w)))
    const head = addChild(m, 'head', linear(widths[widths.length - 1], outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => head.forward(hidden.reduce((h, l) => dropout(m, l.forward(h).relu(), p.dropout), x)),
    })
  },
)
