import { kernelDef, type KernelDef } from './kernel.js'
import { createRollingRank, createRollingSums, lagged, pushRank, pushRolling, rollingVariance } from './rolling.js'

/**
 * Regime scores. vol_regime: percentile (0..1] of the current `volWindow`-bar return volatility among its own last
 * `history` values. trend_regime: signed efficiency ratio over `trendWindow` bars (net move / path length, -1..1).
 * regime_composite: trend_regime * (1 - vol_regime), high for steady trends in quiet markets, near 0 in noisy ones.
 */
export function regimeDef(volWindow: number, history: number, trendWindow: number): KernelDef {
  const warmup = Math.max(volWindow + history, trendWindow + 1)
  return kernelDef(
    'regime',
    ['vol_regime', 'trend_regime', 'regime_composite'],
    warmup,
    { volWindow, history, trendWindow },
    () => {
      const rets = createRollingSums(volWindow, 2)
      const rank = createRollingRank(history)
      const closes = createRollingSums(trendWindow + 1)
      const path = createRollingSums(trendWindow)
      let prev = Number.NaN
      return {
        update(bar, out, at) {
          const c = bar.close
          if (prev === prev) {
            pushRolling(rets, Math.log(c / prev))
            pushRolling(path, Math.abs(c - prev))
          }
          prev = c
          pushRolling(closes, c)
          let volReg = Number.NaN
          if (rets.filled === volWindow) {
            const v = Math.sqrt(rollingVariance(rets))
            if (Number.isFinite(v)) volReg = pushRank(rank, v)
          }
          let trend = Number.NaN
          if (closes.filled > trendWindow) trend = path.s1 > 0 ? (c - lagged(closes, trendWindow)) / path.s1 : 0
          out[at] = volReg
          out[at + 1] = trend
          out[at + 2] = trend * (1 - volReg)
        },
      }
    },
  )
}
