/**
 * Kullback-Leibler divergence KL(p || q) = sum over bins of p ln(p / q), in nats (scipy.stats.entropy(p, q) on
 * normalised inputs). The drift monitor reports KL(window || reference): how surprising the window's distribution is
 * under the reference. Both must be positive (smoothed) proportions over the same bins.
 */
export const klTerm = (p: number, q: number): number => p * Math.log(p / q)

export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error(`kl divergence: ${p.length} and ${q.length} bins`)
  let sum = 0
  for (let k = 0; k < p.length; k++) sum += klTerm(p[k], q[k])
  return sum
}
