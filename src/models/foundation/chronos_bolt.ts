import type { OnnxSession } from '../../engines/onnx/session.js'
import { fixedDim, foundationEntry, requireTensor, type FoundationAdapter } from './common.js'

export const CHRONOS_BOLT_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const
const EPS = 1e-5

/**
 * Chronos-Bolt (Amazon) zero-shot, from an ONNX export of its network with input `context` float32
 * [batch, context_length] (already scaled) and output `quantile_preds` float32 [batch, 9, prediction_length] at
 * levels 0.1..0.9. The scaling is Chronos-Bolt's own instance normalisation, done here: subtract the context mean,
 * divide by its root-mean-square deviation (|mean| + 1e-5 when the context is flat); forecasts are mapped back.
 */
export const chronosBoltAdapter: FoundationAdapter = {
  spec: {
    name: 'chronos_bolt',
    family: 'foundation',
    inputView: 'foundation',
    outputs: ['p_up', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'regression', 'quantile'],
    causal: true,
    zeroShot: true,
  },
  levels: CHRONOS_BOLT_LEVELS,
  checkGraph(s: OnnxSession, source: string): void {
    requireTensor(s.inputs, 'context', 2, 'input', source)
    requireTensor(s.outputs, 'quantile_preds', 3, 'output', source)
    const extra = s.inputs.filter((x) => x.name !== 'context').map((x) => x.name)
    if (extra.length)
      throw new Error(`${source}: unexpected graph inputs ${extra.join(', ')} (expected only "context")`)
    const q = fixedDim(s.outputs, 'quantile_preds', 1)
    if (q !== null && q !== CHRONOS_BOLT_LEVELS.length)
      throw new Error(`${source}: quantile_preds has ${q} quantiles, Chronos-Bolt emits ${CHRONOS_BOLT_LEVELS.length}`)
  },
  scale(context: Float32Array): (v: number) => number {
    const n = context.length
    let loc = 0
    for (let i = 0; i < n; i++) loc += context[i]
    loc /= n
    let ss = 0
    for (let i = 0; i < n; i++) ss += (context[i] - loc) ** 2
    let scale = Math.sqrt(ss / n)
    if (scale === 0) scale = Math.abs(loc) + EPS
    for (let i = 0; i < n; i++) context[i] = (context[i] - loc) / scale
    return (v) => v * scale + loc
  },
  run(s, contexts, b, length, horizon, source) {
    const out = s.run({ context: { data: contexts, dims: [b, length] } }).quantile_preds
    const [rb, k, h] = out.dims
    if (rb !== b || k !== CHRONOS_BOLT_LEVELS.length) {
      throw new Error(
        `${source}: quantile_preds has shape [${out.dims}], expected [${b}, ${CHRONOS_BOLT_LEVELS.length}, horizon]`,
      )
    }
    if (horizon > h) throw new Error(`${source}: horizon ${horizon} is beyond the model's prediction_length ${h}`)
    const q = new Float64Array(b * k)
    for (let r = 0; r < b; r++) for (let j = 0; j < k; j++) q[r * k + j] = out.data[(r * k + j) * h + horizon - 1]
    return { quantiles: q }
  },
}

export const chronosBoltEntry = foundationEntry(chronosBoltAdapter)
