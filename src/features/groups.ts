import type { FeaturesConfig, GroupName } from './config.js'
import type { KernelDef } from './indicators/kernel.js'
import { adxDef, macdDef, rocDef, rsiDef, stochasticDef } from './indicators/momentum.js'
import { atrDef, bollingerDef, rangeVolDef, realizedVolDef } from './indicators/volatility.js'
import { amihudDef, obvSlopeDef, volumeStatsDef, vwapDistDef, type VolumeMode } from './indicators/volume.js'
import { candleDef, corwinSchultzDef, rollSpreadDef, tickShareDef } from './indicators/micro.js'
import { regimeDef } from './indicators/regime.js'
import { waveletDef } from './indicators/wavelet.js'
import { returnStatsDef } from './indicators/stats.js'
import { calendarDef } from './indicators/calendar.js'

type KernelGroup = Exclude<GroupName, 'interactions'>

/** Each kernel group: the kernels it runs on every one of its timeframes, from its config section. */
export const kernelGroups: ReadonlyMap<KernelGroup, (c: Readonly<FeaturesConfig>, volume: VolumeMode) => KernelDef[]> =
  new Map<KernelGroup, (c: Readonly<FeaturesConfig>, volume: VolumeMode) => KernelDef[]>([
    [
      'momentum',
      ({ momentum: m }) => [
        rsiDef(m.rsi),
        macdDef(m.macdFast, m.macdSlow, m.macdSignal),
        stochasticDef(m.stochK, m.stochD),
        adxDef(m.adx),
        rocDef(m.roc),
      ],
    ],
    [
      'volatility',
      ({ volatility: v }) => [
        atrDef(v.atr),
        rangeVolDef(v.range),
        bollingerDef(v.bollinger, v.bollingerK),
        realizedVolDef(v.realized),
      ],
    ],
    [
      'volume',
      ({ volume: v }, mode) => [
        vwapDistDef(v.window, mode),
        obvSlopeDef(v.window, mode),
        volumeStatsDef(v.window, mode),
      ],
    ],
    [
      'micro',
      ({ micro: m }, mode) => [
        rollSpreadDef(m.window),
        corwinSchultzDef(m.window),
        amihudDef(m.window, mode),
        tickShareDef(m.window),
        candleDef(),
      ],
    ],
    ['regime', ({ regime: r }) => [regimeDef(r.volWindow, r.history, r.trendWindow)]],
    ['wavelet', () => [waveletDef()]],
    ['stats', ({ stats: s }) => [returnStatsDef(s.window, s.moments)]],
    ['calendar', ({ calendar: c }) => [calendarDef(c.sessionGapMinutes)]],
  ])
