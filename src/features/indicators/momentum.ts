import { kernelDef, type KernelDef } from './kernel.js'
import { createRollingSums, lagged, pushRolling, rollingMax, rollingMin } from './rolling.js'

/** Wilder RSI in [0, 100]; 50 when the window saw no price change at all. */
export function rsiDef(n: number): KernelDef {
  return kernelDef('rsi', ['rsi'], n + 1, { n }, () => {
    let count = 0
    let prev = 0
    let sumGain = 0
    let sumLoss = 0
    let avgGain = 0
    let avgLoss = 0
    return {
      update(bar, out, at) {
        const c = bar.close
        if (count++ === 0) {
          prev = c
          out[at] = Number.NaN
          return
        }
        const ch = c - prev
        prev = c
        const gain = ch > 0 ? ch : 0
        const loss = ch < 0 ? -ch : 0
        if (count <= n + 1) {
          sumGain += gain
          sumLoss += loss
          avgGain = sumGain / n
          avgLoss = sumLoss / n
        } else {
          avgGain = (avgGain * (n - 1) + gain) / n
          avgLoss = (avgLoss * (n - 1) + loss) / n
        }
        const d = avgGain + avgLoss
        out[at] = d > 0 ? (100 * avgGain) / d : 50
      },
    }
  })
}

/** MACD line, signal and histogram, divided by close so they compare across price levels. */
export function macdDef(fast: number, slow: number, signal: number): KernelDef {
  if (fast >= slow) throw new Error(`macd: fast period (${fast}) must be shorter than slow period (${slow})`)
  return kernelDef('macd', ['macd', 'macd_signal', 'macd_hist'], slow + signal, { fast, slow, signal }, () => {
    const kf = 2 / (fast + 1)
    const ks = 2 / (slow + 1)
    const kg = 2 / (signal + 1)
    let count = 0
    let emaFast = 0
    let emaSlow = 0
    let sig = 0
    return {
      update(bar, out, at) {
        const c = bar.close
        if (count++ === 0) {
          emaFast = c
          emaSlow = c
        } else {
          emaFast += kf * (c - emaFast)
          emaSlow += ks * (c - emaSlow)
        }
        const line = (emaFast - emaSlow) / c
        sig = count === 1 ? line : sig + kg * (line - sig)
        out[at] = line
        out[at + 1] = sig
        out[at + 2] = line - sig
      },
    }
  })
}

/** Stochastic %K over `k` bars and %D its `d`-bar mean, in [0, 100]; 50 when the range is flat. */
export function stochasticDef(k: number, d: number): KernelDef {
  return kernelDef('stoch', ['stoch_k', 'stoch_d'], k + d - 1, { k, d }, () => {
    const highs = createRollingSums(k)
    const lows = createRollingSums(k)
    const ks = createRollingSums(d)
    return {
      update(bar, out, at) {
        pushRolling(highs, bar.high)
        pushRolling(lows, bar.low)
        const hh = rollingMax(highs)
        const ll = rollingMin(lows)
        const pk = hh > ll ? (100 * (bar.close - ll)) / (hh - ll) : 50
        pushRolling(ks, pk)
        out[at] = pk
        out[at + 1] = ks.s1 / ks.filled
      },
    }
  })
}

/** Wilder ADX with +DI and -DI, in [0, 100]. */
export function adxDef(n: number): KernelDef {
  return kernelDef('adx', ['adx', 'plus_di', 'minus_di'], 2 * n, { n }, () => {
    let count = 0
    let prevHigh = 0
    let prevLow = 0
    let prevClose = 0
    let tr = 0
    let pdm = 0
    let mdm = 0
    let dxSum = 0
    let adx = 0
    return {
      update(bar, out, at) {
        const { high, low, close } = bar
        if (count++ === 0) {
          prevHigh = high
          prevLow = low
          prevClose = close
          out[at] = out[at + 1] = out[at + 2] = Number.NaN
          return
        }
        const up = high - prevHigh
        const down = prevLow - low
        const trNow = Math.max(high - low, Math.abs(high - prevClose), Math.abs(low - prevClose))
        const pNow = up > down && up > 0 ? up : 0
        const mNow = down > up && down > 0 ? down : 0
        prevHigh = high
        prevLow = low
        prevClose = close
        const m = count - 1 // changes seen so far
        if (m <= n) {
          tr += trNow
          pdm += pNow
          mdm += mNow
        } else {
          tr += trNow - tr / n
          pdm += pNow - pdm / n
          mdm += mNow - mdm / n
        }
        const pdi = tr > 0 ? (100 * pdm) / tr : 0
        const mdi = tr > 0 ? (100 * mdm) / tr : 0
        const dsum = pdi + mdi
        const dx = dsum > 0 ? (100 * Math.abs(pdi - mdi)) / dsum : 0
        if (m >= n) {
          const dxCount = m - n + 1
          if (dxCount <= n) {
            dxSum += dx
            adx = dxSum / dxCount
          } else {
            adx = (adx * (n - 1) + dx) / n
          }
        }
        out[at] = adx
        out[at + 1] = pdi
        out[at + 2] = mdi
      },
    }
  })
}

/** Rate of change over `n` bars as a fraction (close / close n bars ago - 1). */
export function rocDef(n: number): KernelDef {
  return kernelDef('roc', ['roc'], n + 1, { n }, () => {
    const closes = createRollingSums(n + 1)
    return {
      update(bar, out, at) {
        pushRolling(closes, bar.close)
        out[at] = closes.filled > n ? bar.close / lagged(closes, n) - 1 : Number.NaN
      },
    }
  })
}
