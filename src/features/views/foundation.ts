import type { Bars } from '../../data/bars.js'
import { checkRows } from './matrix.js'
import type { FoundationView } from './types.js'

/** 1m OHLC context windows (default 512 bars) ending at each sample row; windows only look back. */
export function foundationView(
  bars: Bars,
  spec: { context?: number; rows?: Int32Array } = {},
): FoundationView & { readonly rows: Int32Array } {
  const context = spec.context ?? 512
  if (!Number.isInteger(context) || context < 2)
    throw new Error(`foundation: context must be an integer >= 2, got ${context}`)
  const n = bars.length
  const base = new Float64Array(n * 4)
  for (let t = 0; t < n; t++) {
    base[t * 4] = bars.open[t]
    base[t * 4 + 1] = bars.high[t]
    base[t * 4 + 2] = bars.low[t]
    base[t * 4 + 3] = bars.close[t]
  }
  let rows = spec.rows
  if (rows) {
    checkRows(rows, n, 'foundation')
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] < context - 1)
        throw new Error(`foundation: sample ${i} ends at row ${rows[i]}, fewer than ${context} bars of history`)
    }
  } else {
    rows = Int32Array.from({ length: Math.max(0, n - context + 1) }, (_, i) => i + context - 1)
  }
  return { kind: 'foundation', n: rows.length, context, base, end: rows, rows }
}

/**
 * Sample i as a (context, 4) window z-normalized by the mean and standard deviation of its own OHLC values (so the
 * scale never comes from outside the window); a flat window becomes all zeros.
 */
export function foundationWindow(view: FoundationView, i: number, out: Float64Array): Float64Array {
  const len = view.context * 4
  if (out.length < len) throw new Error(`foundationWindow: out holds ${out.length} values, needs ${len}`)
  const start = (view.end[i] - view.context + 1) * 4
  let s = 0
  for (let k = 0; k < len; k++) s += view.base[start + k]
  const mean = s / len
  let ss = 0
  for (let k = 0; k < len; k++) {
    const d = view.base[start + k] - mean
    ss += d * d
  }
  const sd = Math.sqrt(ss / len)
  const inv = sd > 0 ? 1 / sd : 0
  for (let k = 0; k < len; k++) out[k] = (view.base[start + k] - mean) * inv
  return out
}
