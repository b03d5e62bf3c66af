/**
 * Kelly sizing: the fraction of capital that maximises the expected log growth of a bet whose outcomes are known
 * returns with known probabilities.
 */

/**
 * The classic binary Kelly stake f* = p - (1 - p) / b: the share of capital to stake on a bet that wins `b` times the
 * stake with probability `p` and loses the stake otherwise. Negative when the bet has no edge (then: do not bet).
 */
export function binaryKellyStake(p: number, b: number): number {
  return p - (1 - p) / b
}

/**
 * The binary Kelly position for a trade that returns `win` per unit of position with probability `p` and loses
 * `loss` per unit otherwise (both net of costs, as returns): the stake f* at the odds b = win / loss, scaled by the
 * loss so that a loss costs f* of capital. 0 when the edge p * win - (1 - p) * loss is not positive.
 */
export function binaryKellyPosition(p: number, win: number, loss: number): number {
  if (!(win > 0) || !(loss > 0)) return 0
  const stake = binaryKellyStake(p, win / loss)
  return stake > 0 ? stake / loss : 0
}

/** d/df of sum_k p_k log(1 + f r_k): decreasing in f wherever every 1 + f r_k is positive. */
function growthSlope(probs: ArrayLike<number>, returns: ArrayLike<number>, f: number): number {
  let s = 0
  for (let k = 0; k < probs.length; k++) s += (probs[k] * returns[k]) / (1 + f * returns[k])
  return s
}

/**
 * Multi-outcome Kelly for one position: the f in [0, limit] maximising sum_k p_k log(1 + f r_k) over exclusive
 * outcomes k with probabilities `probs` and returns per unit of position `returns` (net of costs). The objective is
 * concave, so its slope decreases: 0 when the slope at 0 (the edge, sum p_k r_k) is not positive, `limit` when it
 * is still positive there, else the root of the slope by bisection (to the last bit, so the answer is deterministic).
 */
export function growthOptimalFraction(probs: ArrayLike<number>, returns: ArrayLike<number>, limit: number): number {
  if (probs.length !== returns.length)
    throw new Error(`kelly: ${probs.length} probabilities for ${returns.length} outcomes`)
  if (!(growthSlope(probs, returns, 0) > 0) || !(limit > 0)) return 0
  // Log growth is defined while no outcome can lose all the capital: f < 1 / (largest loss per unit).
  let worst = 0
  for (let k = 0; k < returns.length; k++) if (probs[k] > 0 && -returns[k] > worst) worst = -returns[k]
  const hiLimit = worst > 0 ? Math.min(limit, (1 / worst) * (1 - 1e-12)) : limit
  if (growthSlope(probs, returns, hiLimit) >= 0) return hiLimit
  let lo = 0
  let hi = hiLimit
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi)
    if (mid <= lo || mid >= hi) break
    if (growthSlope(probs, returns, mid) > 0) lo = mid
    else hi = mid
  }
  return lo
}
