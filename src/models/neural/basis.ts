/**
 * Fixed bases and channel-independent plumbing for the N-BEATS / N-HiTS family: polynomial (trend) and Fourier
 * (seasonality) bases, linear interpolation matrices, and the fully connected stack each block starts with.
 */
import { torch, type Tensor } from '../../engines/torch/index.js'
import { addChild, createModule } from './nn.js'
import { dropout, linear, type Layer } from './layers.js'

/** (degree+1, len) polynomial basis over t = i/len: rows t^0, t^1, ... */
export function polynomialBasis(degree: number, len: number): Tensor {
  const a = new Float32Array((degree + 1) * len)
  for (let k = 0; k <= degree; k++) for (let i = 0; i < len; i++) a[k * len + i] = (i / len) ** k
  return torch().tensor(a, [degree + 1, len])
}

/** (1 + 2*harmonics, len) Fourier basis over t = i/len: a constant, then cos and sin of 2*pi*k*t for k = 1..harmonics. */
export function fourierBasis(harmonics: number, len: number): Tensor {
  const rows = 1 + 2 * harmonics
  const a = new Float32Array(rows * len)
  for (let i = 0; i < len; i++) {
    const t = i / len
    a[i] = 1
    for (let k = 1; k <= harmonics; k++) {
      a[(2 * k - 1) * len + i] = Math.cos(2 * Math.PI * k * t)
      a[2 * k * len + i] = Math.sin(2 * Math.PI * k * t)
    }
  }
  return torch().tensor(a, [rows, len])
}

/** (from, to) matrix M with coarse @ M = linear interpolation of `from` equally spaced points onto `to` points. */
export function interpolationMatrix(from: number, to: number): Tensor {
  const a = new Float32Array(from * to)
  for (let j = 0; j < to; j++) {
    if (from === 1) {
      a[j] = 1
      continue
    }
    const pos = to === 1 ? from - 1 : (j * (from - 1)) / (to - 1)
    const lo = Math.min(Math.floor(pos), from - 2)
    const w = pos - lo
    a[lo * to + j] += 1 - w
    a[(lo + 1) * to + j] += w
  }
  return torch().tensor(a, [from, to])
}

/** Fully connected stack (linear, ReLU, dropout) x layers: the body of every N-BEATS/N-HiTS block. */
export function fcStack(input: number, units: number, layers: number, p: number): Layer {
  const m = createModule()
  const fcs = Array.from({ length: layers }, (_, i) => addChild(m, `fc${i}`, linear(i === 0 ? input : units, units)))
  return Object.assign(m, {
    forward: (x: Tensor) => fcs.reduce((h, fc) => dropout(m, fc.forward(h).relu(), p), x),
  })
}

/** (B, L, C) windows -> (B*C, L) univariate series, channel-major within a sample. */
export function channelSeries(x: Tensor): Tensor {
  const [b, steps, c] = x.shape
  return x.transpose(1, 2).reshape([b * c, steps])
}
