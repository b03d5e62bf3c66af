import { z } from 'zod'
import type { Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { dropout, gru, linear, lstm } from './layers.js'
import { neuralEntry, trainingParams } from './model.js'

export const quantileRnnParams = z.strictObject({
  ...trainingParams,
  cell: z.enum(['lstm', 'gru']).default('lstm').describe('Recurrent cell'),
  hidden: z.number().int().min(1).max(4096).default(64).describe('Hidden units per recurrent layer'),
  layers: z.number().int().min(1).max(8).default(1).describe('Stacked recurrent layers'),
})

/**
 * Quantile RNN: a recurrent encoder over the window whose last hidden state feeds the non-crossing quantile head
 * (q50 plus softplus increments to q05 and q95), trained with the pinball loss of q05/q50/q95.
 */
export const quantileRnnEntry = neuralEntry(
  {
    name: 'quantile_rnn',
    family: 'probabilistic',
    inputView: 'window_tensor',
    outputs: ['q05', 'q50', 'q95'],
    tasks: ['quantile'],
    causal: true,
    zeroShot: false,
  },
  quantileRnnParams,
  (p, layout, outDim) => {
    const m = createModule()
    const o = { inputSize: layout.f, hidden: p.hidden, layers: p.layers, dropout: p.layers > 1 ? p.dropout : 0 }
    const rnn = addChild(m, 'rnn', p.cell === 'lstm' ? lstm(o) : gru(o))
    const head = addChild(m, 'head', linear(p.hidden, outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => head.forward(dropout(m, rnn.forward(x).select(1, -1), p.dropout)),
    })
  },
)
