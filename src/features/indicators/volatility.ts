import { kernelDef, type KernelDef } from './kernel.js'
import { createRollingSums, pushRolling, rollingMean, rollingVariance } from './rolling.js'

/** Wilder ATR divided by close. */
export function atrDef(n: number): KernelDef {
  return kernelDef('atr', ['atr'], n, { n }, () => {
    let count = 0
    let prevClose = 0
    let sum = 0
    let atr = 0
    return {
      update(bar, out, at) {
        const tr =
          count === 0
            ? bar.high - bar.low
            : Math.max(bar.high - bar.low, Math.abs(bar.high - prevClose), Math.abs(bar.low - prevClose))
        prevClose = bar.close
        count++
        if (count <= n) {
          sum += tr
          atr = sum / count
        } else {
          atr = (atr * (n - 1) + tr) / n
        }
        out[at] = atr / bar.close
      },
    }
  })
}

const LN2 = Math.log(2)
const GK_C = 2 * LN2 - 1

/** Range-based volatility estimators over `n` bars (per-bar units): Parkinson, Garman-Klass, Rogers-Satchell. */
export function rangeVolDef(n: number): KernelDef {
  return kernelDef('range_vol', ['parkinson', 'garman_klass', 'rogers_satchell'], n, { n }, () => {
    const pk = createRollingSums(n)
    const gk = createRollingSums(n)
    const rs = createRollingSums(n)
    return {
      update(bar, out, at) {
        const { open, high, low, close } = bar
        const hl = Math.log(high / low)
        const co = Math.log(close / open)
        pushRolling(pk, hl * hl)
        pushRolling(gk, 0.5 * hl * hl - GK_C * co * co)
        pushRolling(rs, Math.log(high / close) * Math.log(high / open) + Math.log(low / close) * Math.log(low / open))
        const mpk = rollingMean(pk)
        const mgk = rollingMean(gk)
        const mrs = rollingMean(rs)
        out[at] = Math.sqrt(mpk / (4 * LN2))
        out[at + 1] = Math.sqrt(mgk > 0 ? mgk : 0)
        out[at + 2] = Math.sqrt(mrs > 0 ? mrs : 0)
      },
    }
  })
}

/** Bollinger band width ((upper - lower) / middle) and %B (0.5 when the band has no width). */
export function bollingerDef(n: number, k: number): KernelDef {
  return kernelDef('bollinger', ['bb_width', 'bb_pctb'], n, { n, k }, () => {
    const closes = createRollingSums(n, 2)
    return {
      update(bar, out, at) {
        pushRolling(closes, bar.close)
        const m = rollingMean(closes)
        const sd = Math.sqrt(rollingVariance(closes))
        out[at] = (2 * k * sd) / m
        out[at + 1] = sd > 0 ? (bar.close - (m - k * sd)) / (2 * k * sd) : 0.5
      },
    }
  })
}

/** Realized volatility: square root of the sum of squared log returns over `n` bars. */
export function realizedVolDef(n: number): KernelDef {
  return kernelDef('realized_vol', ['rv'], n + 1, { n }, () => {
    const r2 = createRollingSums(n)
    let prev = Number.NaN
    return {
      update(bar, out, at) {
        if (prev === prev) {
          const r = Math.log(bar.close / prev)
          pushRolling(r2, r * r)
        }
        prev = bar.close
        out[at] = r2.filled > 0 ? Math.sqrt(r2.s1 > 0 ? r2.s1 : 0) : Number.NaN
      },
    }
  })
}
