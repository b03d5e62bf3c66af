import { combinations } from './cpcv.js'

export type PboMetric = 'sharpe' | 'mean'

export interface PboResult {
  /** Probability of backtest overfitting: share of IS/OOS combinations whose IS-best is at or below the OOS median. */
  readonly pbo: number
  /** Logit of the IS-best's relative OOS rank, per combination. */
  readonly logits: Float64Array
  /** IS-best configuration per combination. */
  readonly best: Int32Array
}

/**
 * PBO by combinatorially symmetric cross-validation (Bailey, Borwein, López de Prado, Zhu). `performance[t][j]` is
 * configuration j's return in period t. The T rows are cut into `partitions` (even) contiguous blocks; every choice of
 * half the blocks is in-sample, the rest out-of-sample. Per combination: the IS-best configuration's OOS rank r in
 * 1..N (ties count half), w = r / (N + 1), logit = ln(w / (1 - w)); PBO = share of logits <= 0.
 */
export function pboCscv(
  performance: readonly Float64Array[],
  partitions = 16,
  metric: PboMetric = 'sharpe',
): PboResult {
  const T = performance.length
  if (!Number.isInteger(partitions) || partitions < 2 || partitions % 2) {
    throw new Error(`PBO partitions must be an even integer >= 2, got ${partitions}`)
  }
  if (T < partitions) throw new Error(`PBO needs at least ${partitions} periods, got ${T}`)
  const N = performance[0].length
  if (N < 2) throw new Error(`PBO needs at least 2 configurations, got ${N}`)
  performance.forEach((r, t) => {
    if (r.length !== N) throw new Error(`PBO: period ${t} has ${r.length} values, expected ${N}`)
  })
  // Per block sums of x and x^2 per configuration, so each combination costs O(partitions * N).
  const size = Math.floor(T / partitions)
  const blockOf = (t: number) => Math.min(partitions - 1, Math.floor(t / size))
  const cnt = new Float64Array(partitions)
  const s1 = new Float64Array(partitions * N)
  const s2 = new Float64Array(partitions * N)
  for (let t = 0; t < T; t++) {
    const b = blockOf(t)
    cnt[b]++
    for (let j = 0; j < N; j++) {
      const v = performance[t][j]
      s1[b * N + j] += v
      s2[b * N + j] += v * v
    }
  }
  const score = (blocks: readonly number[], out: Float64Array) => {
    let m = 0
    for (const b of blocks) m += cnt[b]
    for (let j = 0; j < N; j++) {
      let a = 0
      let q = 0
      for (const b of blocks) {
        a += s1[b * N + j]
        q += s2[b * N + j]
      }
      const mean = a / m
      if (metric === 'mean') out[j] = mean
      else {
        const v = (q - m * mean * mean) / (m - 1)
        out[j] = v > 0 ? mean / Math.sqrt(v) : mean > 0 ? Infinity : mean < 0 ? -Infinity : 0
      }
    }
  }
  const combos = combinations(partitions, partitions / 2)
  const logits = new Float64Array(combos.length)
  const best = new Int32Array(combos.length)
  const is = new Float64Array(N)
  const oos = new Float64Array(N)
  let below = 0
  combos.forEach((inSample, c) => {
    const outSample = [...Array(partitions).keys()].filter((b) => !inSample.includes(b))
    score(inSample, is)
    score(outSample, oos)
    let n = 0
    for (let j = 1; j < N; j++) if (is[j] > is[n]) n = j
    let rank = 1
    for (let j = 0; j < N; j++) {
      if (j === n) continue
      if (oos[j] < oos[n]) rank += 1
      else if (oos[j] === oos[n]) rank += 0.5
    }
    const w = rank / (N + 1)
    logits[c] = Math.log(w / (1 - w))
    best[c] = n
    if (logits[c] <= 0) below++
  })
  return { pbo: below / combos.length, logits, best }
}
