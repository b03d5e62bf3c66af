/**
 * Probability quality metrics over row-major (n, k) class probabilities and integer labels 0..k-1. All are defined
 * for any split, including one that holds a single class (no division by a class count that may be zero).
 */

const EPS = 1e-15
/** How far a probability may stray outside [0, 1] by floating-point rounding before it is an error. */
const ROUNDING = 1e-9

export interface ReliabilityBin {
  lo: number
  hi: number
  meanPredicted: number
  observed: number
  count: number
}

export interface CalibrationStats {
  ece: number
  brier: number
  logLoss: number
  reliability: ReliabilityBin[]
}

/** Mean negative log-likelihood of the true class, probabilities clipped to [1e-15, 1]. */
export function logLoss(p: Float64Array, y: Float64Array, k: number): number {
  const n = y.length
  if (n === 0) return 0
  let sum = 0
  for (let i = 0; i < n; i++) sum -= Math.log(Math.max(EPS, p[i * k + y[i]]))
  return sum / n
}

/** Multi-class Brier score: mean over rows of the squared distance to the one-hot label, summed over classes. */
export function brier(p: Float64Array, y: Float64Array, k: number): number {
  const n = y.length
  if (n === 0) return 0
  let sum = 0
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const d = p[i * k + c] - (y[i] === c ? 1 : 0)
      sum += d * d
    }
  }
  return sum / n
}

/**
 * Calibration measured in `bins` equal-width bins of a predicted probability: per bin the mean prediction and the
 * observed frequency of the event it predicts. Defined for any set, a single-class or empty one included: ECE and MCE
 * are taken over the non-empty bins (0 when there are none), and `emptyBins` says how many bins had nothing to judge,
 * since an ECE over a tiny set rests on few bins.
 */
export interface BinnedCalibration {
  /** Count-weighted mean |observed - mean predicted| over the non-empty bins. */
  readonly ece: number
  /** Largest |observed - mean predicted| over the non-empty bins. */
  readonly mce: number
  readonly emptyBins: number
  readonly rows: number
  readonly bins: ReliabilityBin[]
}

/**
 * Bins of `predicted(i)` (a probability) against `happened(i)`. Edges are [b/bins, (b+1)/bins), the last bin closed
 * at 1. A prediction outside [0, 1] beyond rounding (or NaN) is an error naming its row, never a silent bin.
 */
function binnedCalibration(
  n: number,
  bins: number,
  predicted: (i: number) => number,
  happened: (i: number) => boolean,
  what: string,
): BinnedCalibration {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`calibration bins must be an integer >= 1, got ${bins}`)
  const count = new Float64Array(bins)
  const sum = new Float64Array(bins)
  const hits = new Float64Array(bins)
  for (let i = 0; i < n; i++) {
    const raw = predicted(i)
    // Renormalised rows may stray from [0, 1] by rounding; anything more (or NaN) is a bug upstream.
    if (!(raw >= -ROUNDING && raw <= 1 + ROUNDING))
      throw new Error(`${what}: row ${i} has probability ${raw}, outside [0, 1]`)
    const q = Math.min(1, Math.max(0, raw))
    const b = Math.min(bins - 1, Math.floor(q * bins))
    count[b]++
    sum[b] += q
    if (happened(i)) hits[b]++
  }
  let ece = 0
  let mce = 0
  let emptyBins = 0
  const out: ReliabilityBin[] = []
  for (let b = 0; b < bins; b++) {
    const m = count[b]
    const meanPredicted = m ? sum[b] / m : 0
    const observed = m ? hits[b] / m : 0
    out.push({ lo: b / bins, hi: (b + 1) / bins, meanPredicted, observed, count: m })
    if (m === 0) {
      emptyBins++
      continue
    }
    const gap = Math.abs(observed - meanPredicted)
    ece += (m / n) * gap
    if (gap > mce) mce = gap
  }
  return { ece, mce, emptyBins, rows: n, bins: out }
}

function topClass(p: Float64Array, k: number, i: number): number {
  let best = 0
  for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c
  return best
}

/** Top-label calibration: the confidence of the predicted class against how often it is the true one. */
export function topLabelCalibration(p: Float64Array, y: Float64Array, k: number, bins = 10): BinnedCalibration {
  return binnedCalibration(
    y.length,
    bins,
    (i) => p[i * k + topClass(p, k, i)],
    (i) => topClass(p, k, i) === y[i],
    'top-label calibration',
  )
}

/**
 * One class's calibration: P(class c) against the frequency of class c. For two classes, class 1 gives the binary
 * ECE (on the frequency of positives).
 */
export function classCalibration(p: Float64Array, y: Float64Array, k: number, c: number, bins = 10): BinnedCalibration {
  if (!(Number.isInteger(c) && c >= 0 && c < k)) throw new Error(`class calibration: no class ${c} among ${k}`)
  return binnedCalibration(
    y.length,
    bins,
    (i) => p[i * k + c],
    (i) => y[i] === c,
    `class ${c} calibration`,
  )
}

/** Classwise calibration: every class's own, with their mean ECE (classwise ECE) and the largest MCE. */
export function classwiseCalibration(
  p: Float64Array,
  y: Float64Array,
  k: number,
  bins = 10,
): { ece: number; mce: number; perClass: BinnedCalibration[] } {
  const perClass = Array.from({ length: k }, (_, c) => classCalibration(p, y, k, c, bins))
  return {
    ece: perClass.reduce((s, r) => s + r.ece, 0) / k,
    mce: Math.max(...perClass.map((r) => r.mce)),
    perClass,
  }
}

/**
 * Reliability of the top-class confidence in `bins` equal-width bins, and the expected calibration error
 * (count-weighted mean |observed accuracy - mean confidence|). Empty bins are kept with count 0.
 */
export function reliability(
  p: Float64Array,
  y: Float64Array,
  k: number,
  bins = 10,
): { ece: number; bins: ReliabilityBin[] } {
  const r = topLabelCalibration(p, y, k, bins)
  return { ece: r.ece, bins: r.bins }
}

export function calibrationStats(p: Float64Array, y: Float64Array, k: number, bins = 10): CalibrationStats {
  const r = reliability(p, y, k, bins)
  return { ece: r.ece, brier: brier(p, y, k), logLoss: logLoss(p, y, k), reliability: r.bins }
}

export function accuracy(p: Float64Array, y: Float64Array, k: number): number {
  const n = y.length
  if (n === 0) return 0
  let hits = 0
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c
    if (best === y[i]) hits++
  }
  return hits / n
}

/**
 * Area under the ROC curve of `score` for `positive` (1) vs the rest, with ties given half credit (Mann-Whitney).
 * Returns 0.5 when one side is empty: no ranking can be judged.
 */
export function auc(score: Float64Array, positive: Uint8Array): number {
  const n = score.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a] - score[b])
  let pos = 0
  let rankSum = 0
  for (let i = 0; i < n;) {
    let j = i
    while (j + 1 < n && score[order[j + 1]] === score[order[i]]) j++
    const avgRank = (i + j) / 2 + 1
    for (let t = i; t <= j; t++) {
      if (positive[order[t]]) {
        pos++
        rankSum += avgRank
      }
    }
    i = j + 1
  }
  const neg = n - pos
  if (pos === 0 || neg === 0) return 0.5
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}
