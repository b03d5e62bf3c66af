import { kernelDef, type Kernel, type KernelDef } from './kernel.js'
import { createRollingSums, pushRolling, rollingMean, rollingVariance } from './rolling.js'

/**
 * `present`: the data carries traded volume. `absent_neutral`: it does not (e.g. CFD quotes, volume all 0 or NaN),
 * so every volume feature is a constant neutral value: vwap_dist 0 (price at its VWAP), obv_slope 0 (no flow),
 * vol_ratio 1 (volume at its average), vol_z 0 and amihud 0. Columns keep their names so feature sets stay aligned;
 * the mode is part of the schema hash, so a model fitted on real volume refuses neutral-volume inputs.
 */
export type VolumeMode = 'present' | 'absent_neutral'

function neutral(values: readonly number[]): () => Kernel {
  return () => ({
    update(_bar, out, at) {
      for (let k = 0; k < values.length; k++) out[at + k] = values[k]
    },
  })
}

/** Close relative to the rolling `n`-bar VWAP of typical price, minus 1 (0 while the window traded nothing). */
export function vwapDistDef(n: number, mode: VolumeMode): KernelDef {
  if (mode === 'absent_neutral') return kernelDef('vwap', ['vwap_dist'], 1, { n, mode }, neutral([0]))
  return kernelDef('vwap', ['vwap_dist'], n, { n, mode }, () => {
    const pv = createRollingSums(n)
    const v = createRollingSums(n)
    return {
      update(bar, out, at) {
        const vol = bar.volume
        pushRolling(pv, ((bar.high + bar.low + bar.close) / 3) * vol)
        pushRolling(v, vol)
        out[at] = v.s1 > 0 ? bar.close / (pv.s1 / v.s1) - 1 : 0
      },
    }
  })
}

/** Change of on-balance volume over `n` bars divided by the volume traded in them, in [-1, 1]. */
export function obvSlopeDef(n: number, mode: VolumeMode): KernelDef {
  if (mode === 'absent_neutral') return kernelDef('obv', ['obv_slope'], 1, { n, mode }, neutral([0]))
  return kernelDef('obv', ['obv_slope'], n + 1, { n, mode }, () => {
    const signed = createRollingSums(n)
    const vols = createRollingSums(n)
    let prev = Number.NaN
    return {
      update(bar, out, at) {
        if (prev === prev) {
          const d = bar.close - prev
          pushRolling(signed, d > 0 ? bar.volume : d < 0 ? -bar.volume : 0)
          pushRolling(vols, bar.volume)
        }
        prev = bar.close
        out[at] = vols.s1 > 0 ? signed.s1 / vols.s1 : 0
      },
    }
  })
}

/** Volume over its `n`-bar mean (1 when the mean is 0) and its z-score (0 when the window is constant). */
export function volumeStatsDef(n: number, mode: VolumeMode): KernelDef {
  if (mode === 'absent_neutral')
    return kernelDef('volume_stats', ['vol_ratio', 'vol_z'], 1, { n, mode }, neutral([1, 0]))
  return kernelDef('volume_stats', ['vol_ratio', 'vol_z'], n, { n, mode }, () => {
    const v = createRollingSums(n, 2)
    return {
      update(bar, out, at) {
        pushRolling(v, bar.volume)
        const m = rollingMean(v)
        const sd = Math.sqrt(rollingVariance(v))
        out[at] = m > 0 ? bar.volume / m : 1
        out[at + 1] = sd > 0 ? (bar.volume - m) / sd : 0
      },
    }
  })
}

/** Amihud illiquidity: mean |log return| per unit of quote volume over the bars of `n` that traded (0 if none). */
export function amihudDef(n: number, mode: VolumeMode): KernelDef {
  if (mode === 'absent_neutral') return kernelDef('amihud', ['amihud'], 1, { n, mode }, neutral([0]))
  return kernelDef('amihud', ['amihud'], n + 1, { n, mode }, () => {
    const ratio = createRollingSums(n)
    const traded = createRollingSums(n)
    let prev = Number.NaN
    return {
      update(bar, out, at) {
        if (prev === prev) {
          const dollar = bar.close * bar.volume
          const ok = dollar > 0
          pushRolling(ratio, ok ? Math.abs(Math.log(bar.close / prev)) / dollar : 0)
          pushRolling(traded, ok ? 1 : 0)
        }
        prev = bar.close
        out[at] = traded.s1 > 0 ? ratio.s1 / traded.s1 : 0
      },
    }
  })
}
