/**
 * Attention building blocks shared by the transformer models: multi-head self-attention and a pre-norm transformer
 * encoder layer over (B, N, d) token sequences. With `causal`, token i attends only to tokens 0..i, and every other
 * operation is per token, so output token i depends on input tokens 0..i only.
 */
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { dropout, layerNorm, linear, type Layer } from './layers.js'

export interface AttentionOptions {
  readonly d: number
  readonly heads: number
  readonly dropout: number
  readonly causal: boolean
}

/** Multi-head self-attention (B, N, d) -> (B, N, d); `weights(x)` gives the head-averaged attention (B, N, N). */
export function multiHeadAttention(o: AttentionOptions): Layer & { weights(x: Tensor): Tensor } {
  if (o.d % o.heads !== 0) throw new Error(`attention: d_model ${o.d} is not divisible by ${o.heads} heads`)
  const m = createModule()
  const qkv = addChild(m, 'in_proj', linear(o.d, 3 * o.d))
  const out = addChild(m, 'out_proj', linear(o.d, o.d))
  const dh = o.d / o.heads
  /** (B, N, d) -> three (B, heads, N, dh) tensors. */
  const project = (x: Tensor): Tensor[] => {
    const [b, n] = x.shape
    return qkv
      .forward(x)
      .reshape([b, n, 3, o.heads, dh])
      .permute([2, 0, 3, 1, 4])
      .chunk(3, 0)
      .map((t) => t.squeeze(0))
  }
  return Object.assign(m, {
    forward: (x: Tensor) => {
      const [b, n] = x.shape
      const [q, k, v] = project(x)
      const y = torch().attention(q, k, v, o.causal, o.dropout, m.training) // (B, heads, N, dh)
      return out.forward(y.transpose(1, 2).reshape([b, n, o.d]))
    },
    weights: (x: Tensor) => {
      const [q, k] = project(x)
      let scores = q.matmul(k.transpose(-2, -1)).div(Math.sqrt(dh))
      if (o.causal) {
        const n = x.shape[1]
        const t = torch()
        const later = t.ones([n, n]).sub(lowerTriangle(n)) // 1 where key j > query i
        scores = scores.sub(later.mul(1e9))
      }
      return torch().softmax(scores, -1).mean(1)
    },
  })
}

/** (n, n) float tensor with ones on and below the diagonal. */
export function lowerTriangle(n: number): Tensor {
  const a = new Float32Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = 1
  return torch().tensor(a, [n, n])
}

export interface EncoderOptions extends AttentionOptions {
  /** Width of the feed-forward block. */
  readonly ff: number
}

/** Pre-norm encoder layer: x + attn(norm(x)), then + ff(norm(.)) with GELU; dropout on both residual branches. */
export function encoderLayer(o: EncoderOptions): Layer {
  const m = createModule()
  const norm1 = addChild(m, 'norm1', layerNorm(o.d))
  const attn = addChild(m, 'attn', multiHeadAttention(o))
  const norm2 = addChild(m, 'norm2', layerNorm(o.d))
  const ff1 = addChild(m, 'ff1', linear(o.d, o.ff))
  const ff2 = addChild(m, 'ff2', linear(o.ff, o.d))
  return Object.assign(m, {
    forward: (x: Tensor) => {
      const h = x.add(dropout(m, attn.forward(norm1.forward(x)), o.dropout))
      return h.add(dropout(m, ff2.forward(dropout(m, ff1.forward(norm2.forward(h)).gelu(), o.dropout)), o.dropout))
    },
  })
}
