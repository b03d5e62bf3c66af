import { kernelDef, type KernelDef } from './kernel.js'

/**
 * Causal a trous (stationary, undecimated) Haar decomposition of log close, three levels: A_j(t) = (A_{j-1}(t) +
 * A_{j-1}(t - 2^(j-1))) / 2 and D_j = A_{j-1} - A_j, with A_0 = ln close. Only past samples enter, so no level
 * is ever revised when later bars arrive (unlike a centred or FFT-based transform). A3 itself is a price level, so it
 * is reported as its one-bar change (wav_a3_slope).
 */
export function waveletDef(): KernelDef {
  return kernelDef('wavelet', ['wav_d1', 'wav_d2', 'wav_d3', 'wav_a3_slope'], 9, {}, () => {
    // rings of the last 2^(j-1)+1 values of A_{j-1} for j = 1..3, plus the previous A3
    const a0 = new Float64Array(2)
    const a1 = new Float64Array(3)
    const a2 = new Float64Array(5)
    let count = 0
    let prevA3 = Number.NaN
    return {
      update(bar, out, at) {
        const i = count++
        const x0 = Math.log(bar.close)
        a0[i % 2] = x0
        const x1 = i >= 1 ? (x0 + a0[(i - 1) % 2]) / 2 : Number.NaN
        a1[i % 3] = x1
        const x2 = i >= 3 ? (x1 + a1[(i - 2) % 3]) / 2 : Number.NaN
        a2[i % 5] = x2
        const x3 = i >= 7 ? (x2 + a2[(i - 4) % 5]) / 2 : Number.NaN
        out[at] = x0 - x1
        out[at + 1] = x1 - x2
        out[at + 2] = x2 - x3
        out[at + 3] = x3 - prevA3
        prevA3 = x3
      },
    }
  })
}
