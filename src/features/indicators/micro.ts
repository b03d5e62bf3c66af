import { kernelDef, type KernelDef } from './kernel.js'
import { createRollingSums, pushRolling } from './rolling.js'

/**
 * Roll's effective spread from the negative first-order autocovariance of price changes over `n` bars, relative to
 * close (0 when the autocovariance is not negative).
 */
export function rollSpreadDef(n: number): KernelDef {
  return kernelDef('roll', ['roll_spread'], n + 2, { n }, () => {
    const x = createRollingSums(n)
    const y = createRollingSums(n)
    const xy = createRollingSums(n)
    let prevClose = Number.NaN
    let prevChange = Number.NaN
    return {
      update(bar, out, at) {
        const c = bar.close
        const d = c - prevClose
        if (d === d && prevChange === prevChange) {
          pushRolling(x, d)
          pushRolling(y, prevChange)
          pushRolling(xy, d * prevChange)
        }
        prevChange = d
        prevClose = c
        const k = x.filled
        const cov = k > 0 ? xy.s1 / k - (x.s1 / k) * (y.s1 / k) : Number.NaN
        out[at] = cov < 0 ? (2 * Math.sqrt(-cov)) / c : cov === cov ? 0 : Number.NaN
      },
    }
  })
}

const CS_DEN = 3 - 2 * Math.SQRT2

/** Corwin-Schultz high-low spread estimate from consecutive bar pairs, averaged over `n` pairs, floored at 0. */
export function corwinSchultzDef(n: number): KernelDef {
  return kernelDef('corwin_schultz', ['cs_spread'], n + 1, { n }, () => {
    const s = createRollingSums(n)
    let prevHigh = Number.NaN
    let prevLow = Number.NaN
    return {
      update(bar, out, at) {
        const { high, low } = bar
        if (prevHigh === prevHigh) {
          const a = Math.log(high / low)
          const b = Math.log(prevHigh / prevLow)
          const beta = a * a + b * b
          const g = Math.log(Math.max(high, prevHigh) / Math.min(low, prevLow))
          const gamma = g * g
          const alpha = (Math.sqrt(2 * beta) - Math.sqrt(beta)) / CS_DEN - Math.sqrt(gamma / CS_DEN)
          const e = Math.exp(alpha)
          const spread = (2 * (e - 1)) / (1 + e)
          pushRolling(s, spread > 0 ? spread : 0)
        }
        prevHigh = high
        prevLow = low
        out[at] = s.filled > 0 ? s.s1 / s.filled : Number.NaN
      },
    }
  })
}

/** Share of up-ticks minus down-ticks among the last `n` close-to-close changes, in [-1, 1]. */
export function tickShareDef(n: number): KernelDef {
  return kernelDef('tick_share', ['tick_share'], n + 1, { n }, () => {
    const s = createRollingSums(n)
    let prev = Number.NaN
    return {
      update(bar, out, at) {
        if (prev === prev) pushRolling(s, Math.sign(bar.close - prev))
        prev = bar.close
        out[at] = s.filled > 0 ? s.s1 / s.filled : Number.NaN
      },
    }
  })
}

/** Candle anatomy as shares of the bar's range: |body|, upper wick, lower wick (all 0 for a flat bar). */
export function candleDef(): KernelDef {
  return kernelDef('candle', ['body', 'upper_wick', 'lower_wick'], 1, {}, () => ({
    update(bar, out, at) {
      const { open, high, low, close } = bar
      const range = high - low
      if (range > 0) {
        out[at] = Math.abs(close - open) / range
        out[at + 1] = (high - Math.max(open, close)) / range
        out[at + 2] = (Math.min(open, close) - low) / range
      } else {
        out[at] = out[at + 1] = out[at + 2] = 0
      }
    },
  }))
}
