/**
 * Probability quality metrics over row-major (n, k) class probabilities and integer labels 0..k-1. All are defined
 * for any split, including one that holds a single class (no division by a class count that may be zero).
 */

const EPS = 1e-15

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
 * Reliability of the top-class confidence in `bins` equal-width bins, and the expected calibration error
 * (count-weighted mean |observed accuracy - mean confidence|). Empty bins are kept with count 0.
 */
export function reliability(
  p: Float64Array,
  y: Float64Array,
  k: number,
  bins = 10,
): { ece: number; bins: ReliabilityBin[] } {
  const count = new Float64Array(bins)
  const conf = new Float64Array(bins)
  const hit = new Float64Array(bins)
  const n = y.length
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c
    const q = p[i * k + best]
    const b = Math.min(bins - 1, Math.floor(q * bins))
    count[b]++
    conf[b] += q
    if (best === y[i]) hit[b]++
  }
  let ece = 0
  const out: ReliabilityBin[] = []
  for (let b = 0; b < bins; b++) {
    const m = count[b]
    out.push({
      lo: b / bins,
      hi: (b + 1) / bins,
      meanPredicted: m ? conf[b] / m : 0,
      observed: m ? hit[b] / m : 0,
      count: m,
    })
    if (m && n) ece += (m / n) * Math.abs(hit[b] / m - conf[b] / m)
  }
  return { ece, bins: out }
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
