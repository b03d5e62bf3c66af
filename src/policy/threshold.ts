import { z } from 'zod'
import type { PolicyEntry } from './contract.js'

export const thresholdPolicySchema = z
  .object({
    kind: z.literal('threshold').default('threshold'),
    /** Go long when P(up) is at least this (and above P(down)). */
    long: z.number().gt(0).lte(1).default(0.55).describe('Go long when P(up) is at least this (and above P(down))'),
    /** Go short when P(down) is at least this (and above P(up)); 1 disables shorts. */
    short: z
      .number()
      .gt(0)
      .lte(1)
      .default(0.55)
      .describe('Go short when P(down) is at least this (and above P(up)); 1 disables shorts'),
  })
  .strict()

export type ThresholdPolicy = z.infer<typeof thresholdPolicySchema>

/**
 * Positions from calibrated probabilities: +1 long, -1 short, 0 flat, one per row. `p` is row-major (n, k); for 3
 * classes the columns are (down, flat, up), for 2 classes (not up, up) and shorts never fire.
 */
export function thresholdSignals(p: Float64Array, k: number, policy: ThresholdPolicy): Int8Array {
  const n = p.length / k
  const out = new Int8Array(n)
  for (let i = 0; i < n; i++) {
    const up = p[i * k + k - 1]
    const down = k === 3 ? p[i * k] : 0
    if (up >= policy.long && up > down) out[i] = 1
    else if (k === 3 && down >= policy.short && down > up) out[i] = -1
  }
  return out
}

/** The whole capital long or short when a probability clears its threshold. */
export const thresholdEntry: PolicyEntry<ThresholdPolicy> = {
  kind: 'threshold',
  params: thresholdPolicySchema,
  needs: () => ['p'],
  decide: (inputs, _market, params) => Float64Array.from(thresholdSignals(inputs.p, 3, params)),
}
