/** Gradient checks: libtorch's analytic gradients of every op family against central finite differences (float64). */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { tidy, torch, torchUnavailableReason, type Tensor } from '../../../src/engines/torch/index.js'

const reason = torchUnavailableReason()

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float64Array {
  let s = seed >>> 0
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s / 4294967296) * 2 - 1
  })
}

interface Input {
  readonly shape: number[]
  /** Custom values (default: pseudo-random in [-1, 1)). */
  readonly data?: Float64Array
}

/**
 * Compare d(sum(f(x) * R))/dx from autograd with central differences for every element of every input, where R is
 * a fixed random projection of the output (so every output element matters).
 */
function gradCheck(name: string, inputs: Input[], f: (xs: Tensor[]) => Tensor, tol = 1e-6): void {
  const t = torch()
  tidy(() => {
    const data = inputs.map(
      (inp, k) =>
        inp.data ??
        values(
          inp.shape.reduce((a, b) => a * b, 1),
          17 + k * 31,
        ),
    )
    const build = (arrays: Float64Array[], grad: boolean): Tensor[] =>
      arrays.map((a, k) => {
        const x = t.tensor(a, inputs[k].shape, 'float64')
        return grad ? x.setRequiresGrad(true) : x
      })
    const xs = build(data, true)
    const out0 = f(xs)
    const proj = t.tensor(values(out0.numel(), 99), out0.shape, 'float64')
    out0.mul(proj).sum().backward()
    const eps = 1e-6
    const scalar = (arrays: Float64Array[]): number => tidy(() => f(build(arrays, false)).mul(proj).sum().item())
    data.forEach((arr, k) => {
      const g = xs[k].grad
      assert.ok(g, `${name}: input ${k} has no gradient`)
      const analytic = g.toArray() as Float64Array
      for (let i = 0; i < arr.length; i++) {
        const plus = data.map((a) => a.slice())
        const minus = data.map((a) => a.slice())
        plus[k][i] += eps
        minus[k][i] -= eps
        const numeric = (scalar(plus) - scalar(minus)) / (2 * eps)
        const err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric))
        assert.ok(err < tol, `${name}: d/dx${k}[${i}] analytic ${analytic[i]} vs numeric ${numeric}`)
      }
    })
  })
}

const positive = (n: number, seed: number): Float64Array => values(n, seed).map((v) => 0.5 + Math.abs(v))

describe('torch gradient checks (finite differences)', () => {
  if (reason) {
    it('libtorch addon', (t) => t.skip(reason))
    return
  }
  const t = torch()

  it('elementwise math and activations', () => {
    gradCheck(
      'add/mul/div/pow',
      [{ shape: [3, 4] }, { shape: [4] }, { shape: [3, 4], data: positive(12, 5) }],
      ([a, b, c]) => a.add(b).mul(a).div(c).add(c.pow(1.5)).sub(b.maximum(0.1)),
    )
    gradCheck('exp/log/sqrt/log1p', [{ shape: [5], data: positive(5, 3) }], ([a]) =>
      a.exp().add(a.log()).add(a.sqrt()).add(a.log1p()),
    )
    gradCheck('tanh/sigmoid/gelu/silu/softplus/elu', [{ shape: [2, 5] }], ([a]) =>
      t.stack([
        a.tanh(),
        a.sigmoid(),
        a.gelu(),
        a.silu(),
        a.softplus(),
        a.elu(),
        a.square(),
        a.abs().add(1).reciprocal(),
      ]),
    )
    gradCheck(
      'relu/leakyRelu/clamp',
      [{ shape: [6], data: Float64Array.from([-0.7, -0.3, 0.2, 0.5, 0.9, -0.95]) }],
      ([a]) => a.relu().add(a.leakyRelu(0.1)).add(a.clamp(-0.5, 0.6)),
    )
  })

  it('reductions', () => {
    gradCheck('sum/mean/var/logsumexp/max/norm', [{ shape: [3, 4] }], ([a]) =>
      t.cat([a.sum(1), a.mean(0), a.var(1, true), a.logsumexp(1), a.max(1), a.norm().reshape([1])]),
    )
  })

  it('matmul, bmm and linear', () => {
    gradCheck('matmul', [{ shape: [3, 4] }, { shape: [4, 2] }], ([a, b]) => a.matmul(b))
    gradCheck('bmm', [{ shape: [2, 3, 4] }, { shape: [2, 4, 2] }], ([a, b]) => a.bmm(b))
    gradCheck('linear', [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }], ([x, w, b]) => t.linear(x, w, b))
  })

  it('conv1d with stride, padding, dilation and groups', () => {
    gradCheck('conv1d dilated', [{ shape: [2, 2, 9] }, { shape: [3, 2, 3] }, { shape: [3] }], ([x, w, b]) =>
      t.conv1d(x, w, b, 1, 2, 2, 1),
    )
    gradCheck('conv1d strided grouped', [{ shape: [1, 4, 8] }, { shape: [4, 2, 2] }], ([x, w]) =>
      t.conv1d(x, w, null, 2, 0, 1, 2),
    )
  })

  it('lstm and gru (libtorch kernels)', () => {
    const H = 3
    const F = 2
    const lstmShapes = [
      { shape: [2, 4, F] },
      { shape: [4 * H, F] },
      { shape: [4 * H, H] },
      { shape: [4 * H] },
      { shape: [4 * H] },
    ]
    gradCheck('lstm', lstmShapes, ([x, ...ps]) => {
      const [out, h, c] = t.lstm(x, null, ps, true, 1, 0, true, false, true)
      return t.cat([out.flatten(), h.flatten(), c.flatten()])
    })
    const gruShapes = [
      { shape: [2, 4, F] },
      { shape: [3 * H, F] },
      { shape: [3 * H, H] },
      { shape: [3 * H] },
      { shape: [3 * H] },
    ]
    gradCheck('gru', gruShapes, ([x, ...ps]) => t.gru(x, null, ps, true, 1, 0, true, false, true)[0])
  })

  it('normalisation, softmax and embedding', () => {
    gradCheck('layerNorm', [{ shape: [3, 4] }, { shape: [4] }, { shape: [4] }], ([x, w, b]) =>
      t.layerNorm(x, [4], w, b),
    )
    gradCheck('batchNorm (training)', [{ shape: [5, 3] }, { shape: [3] }, { shape: [3] }], ([x, w, b]) =>
      t.batchNorm(x, w, b, null, null, true),
    )
    gradCheck('softmax/logSoftmax', [{ shape: [3, 4] }], ([x]) => t.softmax(x, -1).add(t.logSoftmax(x, 0)))
    gradCheck('embedding', [{ shape: [5, 3] }], ([w]) =>
      t.embedding(w, t.tensor(new Int32Array([4, 0, 4, 2]), [4], 'int64')),
    )
  })

  it('scaled dot-product attention with a causal mask', () => {
    gradCheck('attention', [{ shape: [2, 4, 3] }, { shape: [2, 4, 3] }, { shape: [2, 4, 3] }], ([q, k, v]) =>
      t.attention(q, k, v, true),
    )
  })

  it('losses', () => {
    const target01 = Float64Array.from([1, 0, 1, 1, 0])
    gradCheck('bceWithLogits', [{ shape: [5] }], ([x]) => t.bceWithLogits(x, t.tensor(target01, [5], 'float64')))
    gradCheck('crossEntropy', [{ shape: [4, 3] }], ([x]) =>
      t.crossEntropy(x, t.tensor(new Int32Array([2, 0, 1, 2]), [4], 'int64')),
    )
    gradCheck('mse', [{ shape: [6] }, { shape: [6] }], ([a, b]) => t.mse(a, b))
    gradCheck('pinball', [{ shape: [4, 3] }], ([p]) =>
      t.pinball(
        p,
        t.tensor(
          values(4, 7).map((v) => v * 3),
          [4],
          'float64',
        ),
        [0.1, 0.5, 0.9],
      ),
    )
    gradCheck('gaussianNll', [{ shape: [5] }, { shape: [5] }, { shape: [5] }], ([mu, lv, y]) =>
      t.gaussianNll(mu, lv, y),
    )
    gradCheck(
      'studentTNll',
      [{ shape: [5] }, { shape: [5] }, { shape: [5], data: positive(5, 11).map((v) => v * 4) }, { shape: [5] }],
      ([mu, ls, df, y]) => t.studentTNll(mu, ls, df, y),
    )
  })
})
