import type { FeatureFrame, TimeframeSeries } from '../frame.js'
import { checkRows } from './matrix.js'
import type { MultiResView, WindowTensorView } from './types.js'
import { baseMatrix } from './window.js'

/** Feature kinds computed on every ladder timeframe by the default set, usable for stacked views. */
export const DEFAULT_MULTI_RES_FEATURES = [
  'rsi',
  'macd_hist',
  'stoch_k',
  'adx',
  'roc',
  'atr',
  'parkinson',
  'bb_width',
  'bb_pctb',
  'rv',
]

export const DEFAULT_MULTI_RES_PARTS = [
  { timeframe: '1m', steps: 60 },
  { timeframe: '5m', steps: 12 },
  { timeframe: '15m', steps: 4 },
  { timeframe: '1h', steps: 1 },
] as const

export interface MultiResSpec {
  readonly parts?: readonly { readonly timeframe: string; readonly steps: number }[]
  /** feature kinds without the timeframe suffix (e.g. 'rsi'); each must exist on every part's timeframe */
  readonly features?: readonly string[]
  readonly layout?: 'concatenated' | 'stacked'
  readonly rows?: Int32Array
}

type Part = WindowTensorView & { readonly timeframe: string }

/** Index of the latest bar of `series` emitted at or before 1m row `row` (-1 if none): what row `row` may see. */
function latestAt(series: TimeframeSeries, row: number): number {
  let lo = 0
  let hi = series.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (series.availableAt[mid] <= row) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

/**
 * Multi-resolution windows: for each timeframe, the last `steps` of its closed bars as seen from the sample's 1m row
 * (a higher bar enters only from the row where it closed). Each part is a window tensor over that timeframe's own
 * bar series, so nothing is rebuilt per sample. Default samples: rows where every part's window is past warm-up.
 */
export function multiResView(
  frame: FeatureFrame,
  spec: MultiResSpec = {},
): MultiResView & { readonly rows: Int32Array } {
  const parts = spec.parts ?? DEFAULT_MULTI_RES_PARTS
  const layout = spec.layout ?? 'concatenated'
  if (layout === 'stacked' && new Set(parts.map((p) => p.steps)).size > 1) {
    throw new Error(
      `multi_res stacked: every part needs the same steps, got ${parts.map((p) => `${p.timeframe}x${p.steps}`).join(', ')}`,
    )
  }
  const kinds = spec.features ?? DEFAULT_MULTI_RES_FEATURES
  const warmOf = new Map(frame.specs.map((c) => [c.name, c.warmup]))
  const built = parts.map((p) => {
    const series = frame.timeframes.find((s) => s.timeframe === p.timeframe)
    if (!series)
      throw new Error(
        `multi_res: timeframe ${p.timeframe} has no features in this frame (have ${frame.timeframes.map((s) => s.timeframe).join(', ')})`,
      )
    const names = kinds.map((k) => `${k}_${p.timeframe}`)
    const cols = names.map((n) => {
      const j = series.names.indexOf(n)
      if (j < 0) throw new Error(`multi_res: feature ${n} is not computed on ${p.timeframe}`)
      return series.columns[j]
    })
    // first bar index whose value is past warm-up for every chosen feature
    const firstWarm = Math.max(...names.map((n) => warmOf.get(n) ?? 1)) - 1
    return { p, series, names, base: baseMatrix(cols, series.length), firstWarm }
  })
  let rows = spec.rows
  if (rows) checkRows(rows, frame.length, 'multi_res')
  else {
    const keep: number[] = []
    for (let r = 0; r < frame.length; r++) {
      if (built.every((b) => latestAt(b.series, r) - b.p.steps + 1 >= b.firstWarm)) keep.push(r)
    }
    rows = Int32Array.from(keep)
  }
  const sampleRows = rows
  const out: Part[] = built.map((b) => {
    const end = new Int32Array(sampleRows.length)
    for (let i = 0; i < sampleRows.length; i++) {
      const k = latestAt(b.series, sampleRows[i])
      if (k < b.p.steps - 1) {
        throw new Error(
          `multi_res: sample ${i} (row ${sampleRows[i]}) sees only ${k + 1} closed ${b.p.timeframe} bars, needs ${b.p.steps}`,
        )
      }
      end[i] = k
    }
    return {
      kind: 'window_tensor',
      timeframe: b.p.timeframe,
      n: sampleRows.length,
      steps: b.p.steps,
      f: b.names.length,
      base: b.base,
      end,
      names: b.names,
    }
  })
  return { kind: 'multi_res', n: sampleRows.length, parts: out, layout, rows: sampleRows }
}

/** Sample i of a stacked view as (n_tf, steps, f) row-major into `out`. */
export function readStacked(view: MultiResView, i: number, out: Float32Array): Float32Array {
  let o = 0
  for (const part of view.parts) {
    const e = part.end[i]
    const w = part.base.subarray((e - part.steps + 1) * part.f, (e + 1) * part.f)
    out.set(w, o)
    o += w.length
  }
  return out
}
