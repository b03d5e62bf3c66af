/**
 * Regret of a sequence of decisions against the best fixed alternative in hindsight: with per-row losses of what
 * was done (l_t) and of each alternative j (l_jt), the best alternative is the one with the least total loss over
 * the rows, and the cumulative regret after row t is sum_{s <= t} (l_s - l_{j* s}). Negative when what was done
 * beat every alternative (a gate that switches members by regime can beat each member alone).
 */

/** Per-row log-loss of the true class, probabilities floored at 1e-15 (as the calibration metrics' log-loss). */
export function rowLogLosses(p: Float64Array, y: Float64Array, k: number): Float64Array {
  return Float64Array.from(y, (c, i) => -Math.log(Math.max(1e-15, p[i * k + c])))
}

export interface Regret {
  /** Index of the best alternative in hindsight (the first on ties). */
  readonly best: number
  /** Cumulative regret after each row. */
  readonly cumulative: Float64Array
}

export function cumulativeRegret(loss: Float64Array, alternatives: readonly Float64Array[]): Regret {
  if (alternatives.length === 0) throw new Error('regret: needs at least one alternative')
  const n = loss.length
  for (const [j, a] of alternatives.entries())
    if (a.length !== n) throw new Error(`regret: alternative ${j} has ${a.length} losses for ${n} rows`)
  let best = 0
  let bestTotal = Infinity
  alternatives.forEach((a, j) => {
    const total = a.reduce((s, v) => s + v, 0)
    if (total < bestTotal) {
      bestTotal = total
      best = j
    }
  })
  const cumulative = new Float64Array(n)
  let acc = 0
  for (let t = 0; t < n; t++) {
    acc += loss[t] - alternatives[best][t]
    cumulative[t] = acc
  }
  return { best, cumulative }
}
