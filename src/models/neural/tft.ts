import { z } from 'zod'
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addChild, constantParameter, createModule, uniformParameter, type Module } from './nn.js'
import { dropout, layerNorm, linear, type Layer } from './layers.js'
import { lowerTriangle } from './attention.js'
import type { InputLayout } from './data.js'
import { neuralEntry, trainingParams } from './model.js'

export const tftParams = z.strictObject({
  ...trainingParams,
  hidden: z
    .number()
    .int()
    .min(2)
    .max(1024)
    .default(32)
    .describe('Hidden width of the gated residual networks and the LSTM'),
  heads: z.number().int().min(1).max(16).default(4).describe('Attention heads'),
  /**
   * Indices of features that are static per sample (e.g. instrument or regime descriptors): read from the window's
   * last row, they feed the static encoders that condition selection, the LSTM's initial state and enrichment.
   * Every other feature is an observed input of the encoder.
   */
  staticFeatures: z
    .array(z.number().int().min(0))
    .max(64)
    .default([])
    .describe("Indices of per-sample static features (read from the window's last row) that condition the network"),
})

type TftParams = z.infer<typeof tftParams>

/** Gated linear unit: sigmoid(W4 x) * (W5 x). */
function glu(m: Module, name: string, din: number, dout: number): Layer {
  const g = addChild(m, name, createModule())
  const gate = addChild(g, 'gate', linear(din, dout))
  const value = addChild(g, 'value', linear(din, dout))
  return Object.assign(g, { forward: (x: Tensor) => gate.forward(x).sigmoid().mul(value.forward(x)) })
}

interface Grn extends Module {
  run(a: Tensor, context?: Tensor): Tensor
}

/**
 * Gated residual network: LayerNorm(skip(a) + GLU(W1 ELU(W2 a + W3 c))), the TFT's basic block; the context c is
 * optional and broadcast over any leading dims of a it lacks.
 */
function grn(din: number, d: number, dout: number, p: number, contextDim = 0): Grn {
  const m = createModule()
  const w2 = addChild(m, 'fc2', linear(din, d))
  const w3 = contextDim > 0 ? addChild(m, 'context', linear(contextDim, d, false)) : null
  const w1 = addChild(m, 'fc1', linear(d, d))
  const gate = glu(m, 'glu', d, dout)
  const skip = din !== dout ? addChild(m, 'skip', linear(din, dout)) : null
  const norm = addChild(m, 'norm', layerNorm(dout))
  return Object.assign(m, {
    run: (a: Tensor, context?: Tensor) => {
      let h = w2.forward(a)
      if (w3 && context) h = h.add(w3.forward(context))
      const eta = dropout(m, w1.forward(h.elu()), p)
      return norm.forward((skip ? skip.forward(a) : a).add(gate.forward(eta)))
    },
  })
}

/**
 * Variable selection network over v variables already embedded to (..., v, d): a GRN on their concatenation (with
 * an optional static context) gives softmax weights (..., v); each variable goes through its own GRN (weights
 * stacked per variable and applied by a broadcast matmul); the output is the weighted sum (..., d).
 */
function variableSelection(
  v: number,
  d: number,
  p: number,
  contextDim: number,
): Module & {
  run(e: Tensor, context?: Tensor): { out: Tensor; weights: Tensor }
} {
  const m = createModule()
  const selector = addChild(m, 'selector', grn(v * d, d, v, p, contextDim))
  const bound = 1 / Math.sqrt(d)
  // Per-variable GRN (no context): W2 (v, d, d), W1 (v, d, d), GLU gate/value (v, d, d), then LayerNorm.
  const w2 = uniformParameter(m, 'var_fc2_weight', [v, d, d], bound)
  const b2 = uniformParameter(m, 'var_fc2_bias', [v, d], bound)
  const w1 = uniformParameter(m, 'var_fc1_weight', [v, d, d], bound)
  const b1 = uniformParameter(m, 'var_fc1_bias', [v, d], bound)
  const wg = uniformParameter(m, 'var_gate_weight', [v, d, d], bound)
  const bg = uniformParameter(m, 'var_gate_bias', [v, d], bound)
  const wv = uniformParameter(m, 'var_value_weight', [v, d, d], bound)
  const bv = uniformParameter(m, 'var_value_bias', [v, d], bound)
  const lnW = constantParameter(m, 'var_norm_weight', [d], 1)
  const lnB = constantParameter(m, 'var_norm_bias', [d], 0)
  /** (..., v, d) @ per-variable (v, d, d) -> (..., v, d). */
  const perVar = (x: Tensor, w: Tensor, b: Tensor): Tensor => x.unsqueeze(-2).matmul(w).squeeze(-2).add(b)
  return Object.assign(m, {
    run: (e: Tensor, context?: Tensor) => {
      const flat = e.flatten(-2)
      const weights = torch().softmax(selector.run(flat, context), -1) // (..., v)
      const eta = dropout(m, perVar(perVar(e, w2, b2).elu(), w1, b1), p)
      const gated = perVar(eta, wg, bg)
        .sigmoid()
        .mul(perVar(eta, wv, bv))
      const processed = torch().layerNorm(e.add(gated), [d], lnW, lnB, 1e-5)
      return { out: processed.mul(weights.unsqueeze(-1)).sum(-2), weights }
    },
  })
}

/**
 * Temporal Fusion Transformer (Lim et al. 2021) over a window: every scalar input gets its own linear embedding;
 * static features (from the window's last row) pass a static variable selection network and four static GRN
 * encoders (selection context, enrichment context, LSTM initial hidden and cell state); the observed features are
 * selected per step by a variable selection network conditioned on the static context; an LSTM encoder with a
 * gated skip connection, static enrichment, interpretable multi-head attention (heads share the value projection,
 * their weights are averaged; causal mask), a position-wise GRN and a final gated skip give the last step's state,
 * which feeds the task head (p_up, E_r or non-crossing quantiles). `explain(x)` returns the variable-selection
 * weights (static and per step) and the attention weights.
 */
export function tftNetwork(
  p: TftParams,
  layout: InputLayout,
  outDim: number,
): Layer & { explain(x: Tensor): { observed: Tensor; static: Tensor | null; attention: Tensor } } {
  if (layout.kind !== 'window_tensor') throw new Error(`tft takes a window_tensor view, got ${layout.kind}`)
  const t = torch()
  const d = p.hidden
  if (d % p.heads !== 0) throw new Error(`tft: hidden ${d} is not divisible by ${p.heads} heads`)
  const f = layout.f
  const staticIdx = [...new Set(p.staticFeatures)].sort((a, b) => a - b)
  for (const j of staticIdx) if (j >= f) throw new Error(`tft: staticFeatures index ${j} is beyond the ${f} features`)
  const observedIdx = Array.from({ length: f }, (_, j) => j).filter((j) => !staticIdx.includes(j))
  if (observedIdx.length === 0) throw new Error('tft: every feature is static; at least one observed feature is needed')
  const index = (ix: number[]): Tensor => t.tensor(BigInt64Array.from(ix.map(BigInt)), [ix.length], 'int64')

  const m = createModule()
  const bound = 1
  const embW = uniformParameter(m, 'embed_weight', [f, d], bound)
  const embB = uniformParameter(m, 'embed_bias', [f, d], bound)
  const hasStatic = staticIdx.length > 0
  const staticVsn = hasStatic
    ? addChild(m, 'static_selection', variableSelection(staticIdx.length, d, p.dropout, 0))
    : null
  const staticEnc = hasStatic
    ? (['selection', 'enrichment', 'state_h', 'state_c'] as const).map((k) =>
        addChild(m, `static_context_${k}`, grn(d, d, d, p.dropout)),
      )
    : null
  const vsn = addChild(m, 'observed_selection', variableSelection(observedIdx.length, d, p.dropout, hasStatic ? d : 0))
  const lstmBound = 1 / Math.sqrt(d)
  const lstmParams = [
    uniformParameter(m, 'lstm_weight_ih_l0', [4 * d, d], lstmBound),
    uniformParameter(m, 'lstm_weight_hh_l0', [4 * d, d], lstmBound),
    uniformParameter(m, 'lstm_bias_ih_l0', [4 * d], lstmBound),
    uniformParameter(m, 'lstm_bias_hh_l0', [4 * d], lstmBound),
  ]
  const lstmGate = glu(m, 'lstm_glu', d, d)
  const lstmNorm = addChild(m, 'lstm_norm', layerNorm(d))
  const enrich = addChild(m, 'enrichment', grn(d, d, d, p.dropout, hasStatic ? d : 0))
  const dh = d / p.heads
  const query = addChild(m, 'attn_query', linear(d, d))
  const key = addChild(m, 'attn_key', linear(d, d))
  const value = addChild(m, 'attn_value', linear(d, dh)) // shared by every head: interpretable attention
  const attnOut = addChild(m, 'attn_out', linear(dh, d))
  const attnGate = glu(m, 'attn_glu', d, d)
  const attnNorm = addChild(m, 'attn_norm', layerNorm(d))
  const positionwise = addChild(m, 'positionwise', grn(d, d, d, p.dropout))
  const finalGate = glu(m, 'final_glu', d, d)
  const finalNorm = addChild(m, 'final_norm', layerNorm(d))
  const head = addChild(m, 'head', linear(d, outDim))

  const run = (x: Tensor): { state: Tensor; observed: Tensor; static: Tensor | null; attention: Tensor } => {
    const [b, L] = x.shape
    const embedded = x.unsqueeze(-1).mul(embW).add(embB) // (B, L, f, d)
    let cs: Tensor | undefined
    let ce: Tensor | undefined
    let hx: [Tensor, Tensor] | null = null
    let staticWeights: Tensor | null = null
    if (staticVsn && staticEnc) {
      const last = embedded.select(1, L - 1).indexSelect(1, index(staticIdx)) // (B, s, d)
      const sel = staticVsn.run(last)
      staticWeights = sel.weights
      const [c1, c2, c3, c4] = staticEnc.map((g) => g.run(sel.out))
      cs = c1.unsqueeze(1) // broadcast over steps
      ce = c2.unsqueeze(1)
      hx = [c3.unsqueeze(0), c4.unsqueeze(0)]
    }
    const observed = embedded.indexSelect(2, index(observedIdx)) // (B, L, o, d)
    const sel = vsn.run(observed, cs)
    const input = sel.out // (B, L, d)
    const [seq] = t.lstm(input, hx, lstmParams, true, 1, 0, m.training, false, true)
    const temporal = lstmNorm.forward(input.add(lstmGate.forward(dropout(m, seq, p.dropout))))
    const enriched = enrich.run(temporal, ce)
    const q = query.forward(enriched).reshape([b, L, p.heads, dh]).transpose(1, 2) // (B, H, L, dh)
    const k = key.forward(enriched).reshape([b, L, p.heads, dh]).transpose(1, 2)
    const future = t.ones([L, L]).sub(lowerTriangle(L)).mul(1e9)
    const weights = t.softmax(q.matmul(k.transpose(-2, -1)).div(Math.sqrt(dh)).sub(future), -1).mean(1) // (B, L, L)
    const attended = attnOut.forward(weights.matmul(value.forward(enriched)))
    const afterAttn = attnNorm.forward(enriched.add(attnGate.forward(dropout(m, attended, p.dropout))))
    const deep = positionwise.run(afterAttn)
    const out = finalNorm.forward(temporal.add(finalGate.forward(deep)))
    return { state: out.select(1, L - 1), observed: sel.weights, static: staticWeights, attention: weights }
  }
  return Object.assign(m, {
    explain: (x: Tensor) => {
      const r = run(x)
      return { observed: r.observed, static: r.static, attention: r.attention }
    },
    forward: (x: Tensor) => head.forward(dropout(m, run(x).state, p.dropout)),
  })
}

export const tftEntry = neuralEntry(
  {
    name: 'tft',
    family: 'transformer',
    inputView: 'window_tensor',
    outputs: ['p_up', 'p', 'E_r', 'q05', 'q50', 'q95'],
    tasks: ['binary', 'multiclass', 'regression', 'quantile'],
    causal: true,
    zeroShot: false,
  },
  tftParams,
  tftNetwork,
)
