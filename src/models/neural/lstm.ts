import { z } from 'zod'
import type { Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { dropout, linear, lstm } from './layers.js'
import { neuralEntry, trainingParams } from './model.js'

export const lstmParams = z.strictObject({
  ...trainingParams,
  hidden: z.number().int().min(1).max(4096).default(64).describe('Hidden units per recurrent layer'),
  layers: z.number().int().min(1).max(8).default(1).describe('Stacked recurrent layers'),
})

/** LSTM over the window; the last step's hidden state feeds a linear head. */
export const lstmEntry = neuralEntry(
  {
    name: 'lstm',
    family: 'recurrent',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r'],
    tasks: ['binary', 'multiclass', 'regression'],
    causal: true,
    zeroShot: false,
  },
  lstmParams,
  (p, layout, outDim) => {
    const m = createModule()
    const rnn = addChild(
      m,
      'rnn',
      lstm({ inputSize: layout.f, hidden: p.hidden, layers: p.layers, dropout: p.layers > 1 ? p.dropout : 0 }),
    )
    const head = addChild(m, 'head', linear(p.hidden, outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => {
        const h = rnn.forward(x)
        return head.forward(dropout(m, h.select(1, -1), p.dropout))
      },
    })
  },
)
