import type { Bars } from '../../data/bars.js'
import { didYouMean } from '../../core/suggest.js'
import { BAR_OBSERVATIONS } from './spec.js'

const LOG_RETURN = 0
const LOG_RANGE = 1
const COLUMN = 2

/**
 * What a regime model observes at each row, read one row at a time as an incremental state machine: `log_return`
 * (log of close over the previous close; missing at the first row) and `log_range` (log of high over low) from the
 * bar, any other name from the row of feature values the caller passes (a live engine row, or the frame's values).
 * Batch (`observeFrame`) is this reader replayed, so a live stream gives the same observations bit for bit.
 */
export class RegimeObserver {
  readonly dim: number
  private readonly kinds: Int8Array
  private readonly columns: Int32Array
  private prevClose = Number.NaN

  /** `features`: what to observe; `rowNames`: the names of the feature row `observe` will be given. */
  constructor(
    readonly features: readonly string[],
    rowNames: readonly string[],
  ) {
    this.dim = features.length
    const index = new Map(rowNames.map((n, k) => [n, k]))
    this.kinds = new Int8Array(features.length)
    this.columns = new Int32Array(features.length).fill(-1)
    features.forEach((name, j) => {
      const bar = (BAR_OBSERVATIONS as readonly string[]).indexOf(name)
      if (bar >= 0) {
        this.kinds[j] = bar === 0 ? LOG_RETURN : LOG_RANGE
        return
      }
      const k = index.get(name)
      if (k === undefined)
        throw new Error(
          `regime model: feature "${name}" is not a feature of this run` +
            `${didYouMean(name, [...BAR_OBSERVATIONS, ...rowNames]).replace(/^./, '; $&')} ` +
            `(${BAR_OBSERVATIONS.join(' and ')} are read from the bars)`,
        )
      this.kinds[j] = COLUMN
      this.columns[j] = k
    })
  }

  /** Feature columns it reads from the row, by name (the bar observations need none). */
  get columnFeatures(): string[] {
    return this.features.filter((_, j) => this.kinds[j] === COLUMN)
  }

  /** Back to the state before the first bar. */
  reset(): void {
    this.prevClose = Number.NaN
  }

  /** Consume the next bar and its feature row; write the `dim` observations to out[at..at + dim). */
  observe(high: number, low: number, close: number, row: ArrayLike<number>, out: Float64Array, at = 0): void {
    for (let j = 0; j < this.dim; j++) {
      const kind = this.kinds[j]
      out[at + j] =
        kind === LOG_RETURN
          ? Math.log(close / this.prevClose)
          : kind === LOG_RANGE
            ? Math.log(high / low)
            : row[this.columns[j]]
    }
    this.prevClose = close
  }
}

/**
 * Observations of every row, row-major (n, features.length): the bars replayed through one RegimeObserver, with the
 * frame's values of the columns it reads. Non-finite values stay as they are: the filters take them as missing.
 */
export function observeFrame(
  frame: { readonly length: number; readonly names: readonly string[]; readonly columns: readonly Float64Array[] },
  bars: Pick<Bars, 'length' | 'high' | 'low' | 'close'>,
  features: readonly string[],
): Float64Array {
  if (bars.length !== frame.length)
    throw new Error(`regime model: ${bars.length} bars for a frame of ${frame.length} rows`)
  // Probe which columns are read, then give the observer a row holding just those.
  const probe = new RegimeObserver(features, frame.names)
  const used = probe.columnFeatures
  const columns = used.map((name) => frame.columns[frame.names.indexOf(name)])
  const observer = new RegimeObserver(features, used)
  const d = observer.dim
  const n = frame.length
  const out = new Float64Array(n * d)
  const row = new Float64Array(used.length)
  for (let t = 0; t < n; t++) {
    for (let c = 0; c < columns.length; c++) row[c] = columns[c][t]
    observer.observe(bars.high[t], bars.low[t], bars.close[t], row, out, t * d)
  }
  return out
}
