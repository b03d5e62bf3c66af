import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import type { Task } from '../contract.js'
import { addChild, createModule } from './nn.js'
import { dropout, gru, linear, lstm } from './layers.js'
import { rng } from './data.js'
import { neuralEntry, trainingParams, weightedMean, type Head } from './model.js'

export const deeparParams = z.strictObject({
  ...trainingParams,
  cell: z.enum(['lstm', 'gru']).default('lstm').describe('Recurrent cell'),
  hidden: z.number().int().min(1).max(4096).default(40).describe('Hidden units per recurrent layer'),
  layers: z.number().int().min(1).max(8).default(2).describe('Stacked recurrent layers'),
  likelihood: z
    .enum(['gaussian', 'student_t'])
    .default('gaussian')
    .describe('Distribution of the next value the network outputs'),
  /** Samples drawn per prediction to read off the quantiles. */
  samples: z
    .number()
    .int()
    .min(50)
    .max(20000)
    .default(1000)
    .describe('Sample paths drawn per prediction to read the quantiles off'),
})

type DeeparParams = z.infer<typeof deeparParams>

const MIN_SCALE = 1e-3

/** Distribution parameters from the network's raw outputs: location, scale > 0 and (Student-t) df > 2. */
function distribution(out: Tensor, studentT: boolean): { mu: Tensor; scale: Tensor; df: Tensor | null } {
  return {
    mu: out.narrow(1, 0, 1).squeeze(1),
    scale: out.narrow(1, 1, 1).squeeze(1).softplus().add(MIN_SCALE),
    df: studentT ? out.narrow(1, 2, 1).squeeze(1).softplus().add(2) : null,
  }
}

/**
 * Common random numbers for sampling: the same standard-normal draws for every row and call, so predictions are
 * deterministic. A Student-t draw is z / sqrt(V/df) with V/df from a second normal draw through the Wilson-Hilferty
 * approximation of the chi-square (accurate for the df > 2 used here).
 */
function draws(count: number): { z: Float64Array; w: Float64Array } {
  const u = rng(0x5eed)
  const normal = (): number => Math.sqrt(-2 * Math.log(Math.max(u(), 1e-300))) * Math.cos(2 * Math.PI * u())
  return { z: Float64Array.from({ length: count }, normal), w: Float64Array.from({ length: count }, normal) }
}

/** Empirical quantile of sorted samples (linear between order statistics). */
function sortedQuantile(s: Float64Array, q: number): number {
  const pos = q * (s.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, s.length - 1)
  return s[lo] + (pos - lo) * (s[hi] - s[lo])
}

function deeparHead(p: DeeparParams): Head {
  const studentT = p.likelihood === 'student_t'
  const { z, w } = draws(p.samples)
  const buf = new Float64Array(p.samples)
  return {
    width: () => (studentT ? 3 : 2),
    loss: () => {
      const t = torch()
      return (out, y, wt) => {
        const d = distribution(out, studentT)
        const per = d.df
          ? t.studentTNll(d.mu, d.scale.log(), d.df, y, 'none')
          : t.gaussianNll(d.mu, d.scale.log().mul(2), y, 'none')
        return weightedMean(per, wt)
      }
    },
    columns: (task: Task) => (task.kind === 'quantile' ? ['q05', 'q50', 'q95', 'E_r'] : ['E_r']),
    decode: (out) => {
      const d = distribution(out, studentT)
      return torch().stack(d.df ? [d.mu, d.scale, d.df] : [d.mu, d.scale], 1)
    },
    finish: (decoded, b, task) => {
      const k = studentT ? 3 : 2
      if (task.kind !== 'quantile') return Float64Array.from({ length: b }, (_, r) => decoded[r * k])
      const res = new Float64Array(b * 4)
      for (let r = 0; r < b; r++) {
        const mu = decoded[r * k]
        const scale = decoded[r * k + 1]
        const df = studentT ? decoded[r * k + 2] : 0
        const c = df > 0 ? 2 / (9 * df) : 0
        for (let s = 0; s < p.samples; s++) {
          let x = z[s]
          if (df > 0) x /= Math.sqrt(Math.max(1e-3, (1 - c + w[s] * Math.sqrt(c)) ** 3))
          buf[s] = mu + scale * x
        }
        buf.sort()
        res[r * 4] = sortedQuantile(buf, 0.05)
        res[r * 4 + 1] = sortedQuantile(buf, 0.5)
        res[r * 4 + 2] = sortedQuantile(buf, 0.95)
        res[r * 4 + 3] = mu // the mean of both likelihoods (df > 2)
      }
      return res
    },
  }
}

/**
 * DeepAR-style probabilistic RNN (Salinas et al.): a stacked LSTM/GRU reads the window and its last state gives the
 * parameters of a Gaussian or Student-t likelihood for the target, trained by negative log-likelihood; quantiles
 * are read off samples drawn from it (common random numbers, so predictions are deterministic), E_r is its mean.
 * The window's past values are the conditioning inputs and one step is forecast (the tasks here are one-step), so
 * the paper's multi-step ancestral sampling is not used.
 */
export const deeparEntry = neuralEntry(
  {
    name: 'deepar',
    family: 'probabilistic',
    inputView: 'window_tensor',
    outputs: ['E_r', 'q05', 'q50', 'q95'],
    tasks: ['regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  deeparParams,
  (p, layout, outDim) => {
    const m = createModule()
    const o = { inputSize: layout.f, hidden: p.hidden, layers: p.layers, dropout: p.layers > 1 ? p.dropout : 0 }
    const rnn = addChild(m, 'rnn', p.cell === 'lstm' ? lstm(o) : gru(o))
    const head = addChild(m, 'head', linear(p.hidden, outDim))
    return Object.assign(m, {
      forward: (x: Tensor) => head.forward(dropout(m, rnn.forward(x).select(1, -1), p.dropout)),
    })
  },
  { head: deeparHead },
)
