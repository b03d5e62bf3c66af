import type { FeatureFrame } from '../frame.js'
import { beyondFloat32, checkRows, columnIndices, infiniteFeatureError } from './matrix.js'
import type { WindowTensorView } from './types.js'

/** 1m features a sequence model sees by default (about 25 with the wavelet levels); absent ones are skipped. */
export const DEFAULT_WINDOW_FEATURES = [
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
  'vwap_dist',
  'obv_slope',
  'vol_ratio',
  'vol_z',
  'cs_spread',
  'tick_share',
  'body',
  'vol_regime',
  'trend_regime',
  'wav_d1',
  'wav_d2',
  'wav_d3',
  'wav_a3_slope',
  'ret_mean',
  'ret_std',
  'minute_sin',
  'minute_cos',
].map((b) => `${b}_1m`)

/** Row-major (T, f) float32 copy of the chosen columns: the one base array every window indexes into. */
export function baseMatrix(columns: readonly Float64Array[], length: number): Float32Array {
  const f = columns.length
  const base = new Float32Array(length * f)
  for (let j = 0; j < f; j++) {
    const c = columns[j]
    for (let t = 0; t < length; t++) base[t * f + j] = c[t]
  }
  return base
}

/**
 * (n, steps, f) windows that only look back: sample i covers rows rows[i]-steps+1 .. rows[i]. Default samples are
 * the rows whose whole window is past warm-up. Nothing is copied per sample: windows are slices of one base array.
 */
export function windowTensor(
  frame: FeatureFrame,
  spec: { steps: number; names?: readonly string[]; rows?: Int32Array },
): WindowTensorView & { readonly rows: Int32Array } {
  const { steps } = spec
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`window_tensor: steps must be a positive integer, got ${steps}`)
  const names = spec.names ?? DEFAULT_WINDOW_FEATURES.filter((n) => frame.names.includes(n))
  const cols = columnIndices(frame, names)
  let rows = spec.rows
  if (rows) {
    checkRows(rows, frame.length, 'window_tensor')
    for (let i = 0; i < rows.length; i++) {
      if (rows[i] < steps - 1)
        throw new Error(
          `window_tensor: sample ${i} ends at row ${rows[i]}, which has fewer than ${steps} rows of history`,
        )
    }
  } else {
    const out: number[] = []
    for (let r = steps - 1; r < frame.length; r++) if (frame.usable[r - steps + 1]) out.push(r)
    rows = Int32Array.from(out)
  }
  const base = baseMatrix(
    [...cols].map((k) => frame.columns[k]),
    frame.length,
  )
  const f = cols.length
  for (let k = 0; k < base.length; k++) {
    if (beyondFloat32(base[k])) {
      const row = Math.floor(k / f)
      throw infiniteFeatureError('window_tensor', frame, names[k % f], row, frame.columns[cols[k % f]][row])
    }
  }
  return { kind: 'window_tensor', n: rows.length, steps, f: cols.length, base, end: rows, names: [...names], rows }
}

/** Sample i as a (steps, f) row-major slice of the base (no copy). */
export function windowOf(view: WindowTensorView, i: number): Float32Array {
  const e = view.end[i]
  return view.base.subarray((e - view.steps + 1) * view.f, (e + 1) * view.f)
}
