import { kernelDef, type KernelDef } from './kernel.js'
import { createRollingSums, pushRolling } from './rolling.js'

/**
 * Moments of the last `n` log returns: mean and standard deviation, plus skewness and excess kurtosis when
 * `moments` is 4 (skew, kurt 0 if the window is flat).
 */
export function returnStatsDef(n: number, moments: 2 | 4 = 4): KernelDef {
  const outputs = moments === 4 ? ['ret_mean', 'ret_std', 'ret_skew', 'ret_kurt'] : ['ret_mean', 'ret_std']
  return kernelDef('return_stats', outputs, n + 1, { n, moments }, () => {
    const r = createRollingSums(n, moments)
    let prev = Number.NaN
    return {
      update(bar, out, at) {
        if (prev === prev) pushRolling(r, Math.log(bar.close / prev))
        prev = bar.close
        const k = r.filled
        const mu = r.s1 / k
        if (moments === 2) {
          const v2 = r.s2 / k - mu * mu
          out[at] = mu
          out[at + 1] = Math.sqrt(v2 > 0 ? v2 : 0)
          return
        }
        const e2 = r.s2 / k
        const e3 = r.s3 / k
        const e4 = r.s4 / k
        const mu2 = mu * mu
        const m2 = e2 - mu2
        const m3 = e3 - 3 * mu * e2 + 2 * mu2 * mu
        const m4 = e4 - 4 * mu * e3 + 6 * mu2 * e2 - 3 * mu2 * mu2
        const v = m2 > 0 ? m2 : 0
        const sd = Math.sqrt(v)
        out[at] = mu
        out[at + 1] = sd
        // below ~1e-30 the variance is rounding noise of a flat window, not dispersion
        out[at + 2] = v > 1e-30 ? m3 / (v * sd) : 0
        out[at + 3] = v > 1e-30 ? m4 / (v * v) - 3 : 0
      },
    }
  })
}
