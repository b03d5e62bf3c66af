/**
 * Population stability index between reference proportions `p` and window proportions `q` over the same bins:
 * sum over bins of (q - p) ln(q / p), the symmetric KL divergence KL(q || p) + KL(p || q). Common reading: below 0.1
 * stable, 0.1 to 0.25 a moderate shift, above 0.25 a significant one. Both must be positive (smoothed) proportions.
 */
export const psiTerm = (p: number, q: number): number => (q - p) * Math.log(q / p)

export function psi(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error(`psi: ${p.length} reference bins and ${q.length} window bins`)
  let sum = 0
  for (let k = 0; k < p.length; k++) sum += psiTerm(p[k], q[k])
  return sum
}
