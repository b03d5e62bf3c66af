import type { OnnxSession } from '../../engines/onnx/session.js'
import { fixedDim, foundationEntry, requireTensor, type FoundationAdapter } from './common.js'

export const TIMESFM_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const

/**
 * TimesFM (Google) zero-shot, from an ONNX export of its decoder with inputs `input_ts` float32
 * [batch, context_length] (already scaled) and `input_padding` float32 [batch, context_length] (1 = padded), the
 * frequency fixed to 0 (high frequency) in the export, and output `forecast` float32 [batch, horizon, 10]: the mean
 * forecast, then levels 0.1..0.9. The scaling is TimesFM's input normalisation (`forecast(..., normalize=True)`),
 * done here: z-score by the context's mean and standard deviation (1 when flat); forecasts are mapped back. The
 * decoder's own per-patch normalisation stays inside the graph.
 */
export const timesfmAdapter: FoundationAdapter = {
  spec: {
    name: 'timesfm',
    family: 'foundation',
    inputView: 'foundation',
    outputs: ['p_up', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'regression', 'quantile'],
    causal: true,
    zeroShot: true,
  },
  levels: TIMESFM_LEVELS,
  checkGraph(s: OnnxSession, source: string): void {
    requireTensor(s.inputs, 'input_ts', 2, 'input', source)
    requireTensor(s.inputs, 'input_padding', 2, 'input', source)
    requireTensor(s.outputs, 'forecast', 3, 'output', source)
    const extra = s.inputs.filter((x) => x.name !== 'input_ts' && x.name !== 'input_padding').map((x) => x.name)
    if (extra.length) {
      throw new Error(
        `${source}: unexpected graph inputs ${extra.join(', ')} (fix freq in the export; see docs/foundation-models.md)`,
      )
    }
    const w = fixedDim(s.outputs, 'forecast', 2)
    if (w !== null && w !== TIMESFM_LEVELS.length + 1)
      throw new Error(
        `${source}: forecast has ${w} values per step, expected ${TIMESFM_LEVELS.length + 1} (mean + 9 quantiles)`,
      )
  },
  scale(context: Float32Array): (v: number) => number {
    const n = context.length
    let mean = 0
    for (let i = 0; i < n; i++) mean += context[i]
    mean /= n
    let ss = 0
    for (let i = 0; i < n; i++) ss += (context[i] - mean) ** 2
    const sd = Math.sqrt(ss / n) || 1
    for (let i = 0; i < n; i++) context[i] = (context[i] - mean) / sd
    return (v) => v * sd + mean
  },
  run(s, contexts, b, length, horizon, source) {
    const padding = new Float32Array(b * length) // every step observed: the view only builds full contexts
    const out = s.run({
      input_ts: { data: contexts, dims: [b, length] },
      input_padding: { data: padding, dims: [b, length] },
    }).forecast
    const [rb, h, w] = out.dims
    const k = TIMESFM_LEVELS.length
    if (rb !== b || w !== k + 1)
      throw new Error(`${source}: forecast has shape [${out.dims}], expected [${b}, horizon, ${k + 1}]`)
    if (horizon > h) throw new Error(`${source}: horizon ${horizon} is beyond the exported horizon ${h}`)
    const q = new Float64Array(b * k)
    const mean = new Float64Array(b)
    for (let r = 0; r < b; r++) {
      const o = (r * h + horizon - 1) * w
      mean[r] = out.data[o]
      for (let j = 0; j < k; j++) q[r * k + j] = out.data[o + 1 + j]
    }
    return { quantiles: q, mean }
  },
}

export const timesfmEntry = foundationEntry(timesfmAdapter)
