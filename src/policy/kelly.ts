/**
 * `kelly`: the growth-optimal position from calibrated probabilities and the payoffs the triple barrier implies
 * (sizing/barrier-payoffs.ts), scaled by a Kelly fraction and capped. `method: outcomes` sizes over the three
 * exclusive outcomes of the p head (down, flat, up) with their net returns; `method: binary` over win (the side's
 * profit barrier) against loss (anything else, counted as the stop: conservative for the flat outcome), as
 * f* = p - (1 - p) / b at the odds b = win / loss. No position unless the expected return after costs is positive
 * and at least min_edge.
 */
import { z } from 'zod'
import type { PolicyEntry, PolicyInputs, MarketState } from './contract.js'
import { barrierPayoffs, sideWithEdge } from './sizing/barrier-payoffs.js'
import { binaryKellyPosition, growthOptimalFraction } from './sizing/kelly.js'
import { capParam, kellyFractionParam, minEdgeParam, shortParam } from './sizing/params.js'

export const kellyPolicySchema = z
  .object({
    kind: z.literal('kelly'),
    method: z
      .enum(['outcomes', 'binary'])
      .default('outcomes')
      .describe(
        'outcomes: maximise log growth over the three triple-barrier outcomes (down, flat, up) with their net returns; ' +
          'binary: f* = p - (1 - p) / b, win at the profit barrier against loss at the stop',
      ),
    source: z
      .enum(['p', 'p_up'])
      .default('p')
      .describe(
        "binary only: the win probability from the p head's up (long) and down (short) columns, or from the binary p_up head (long only)",
      ),
    fraction: kellyFractionParam('the growth-optimal position'),
    cap: capParam,
    min_edge: minEdgeParam,
    short: shortParam,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.source === 'p_up' && c.method !== 'binary')
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: 'source: p_up is a win probability for method: binary; method: outcomes reads the p head',
      })
    if (c.source === 'p_up' && c.short)
      ctx.addIssue({
        code: 'custom',
        path: ['short'],
        message: "the p_up head gives P(up) only, so a short's win probability is unknown; set short: false",
      })
  })

export type KellyPolicy = z.infer<typeof kellyPolicySchema>

export function kellyPositions(inputs: PolicyInputs, market: MarketState, params: KellyPolicy): Float64Array {
  const n = inputs.n
  const out = new Float64Array(n)
  const payoffs = new Float64Array(6)
  const probs = new Float64Array(3)
  const minEdge = params.min_edge * 1e-4
  const pUp = params.source === 'p_up' ? inputs.p_up : undefined
  if (params.source === 'p_up' && !pUp) throw new Error('policy kelly: source p_up, but the chain gave no p_up output')
  for (let i = 0; i < n; i++) {
    if (!barrierPayoffs(market, i, payoffs)) continue
    if (params.method === 'outcomes') {
      // At most one side has a positive edge, so without shorts a short-edged row is flat.
      const side = sideWithEdge(inputs.p, i, payoffs, minEdge)
      if (side === 0 || (side === -1 && !params.short)) continue
      probs.set(inputs.p.subarray(3 * i, 3 * i + 3))
      const returns = side === 1 ? payoffs.subarray(0, 3) : payoffs.subarray(3, 6)
      out[i] = side * params.fraction * growthOptimalFraction(probs, returns, params.cap / params.fraction)
      continue
    }
    // Binary: the long wins at the upper barrier (payoffs[2]) and loses the stop (payoffs[0]); the short mirrors.
    const longP = pUp ? pUp[i] : inputs.p[3 * i + 2]
    const shortP = inputs.p[3 * i]
    const longEdge = longP * payoffs[2] + (1 - longP) * payoffs[0]
    const shortEdge = params.short ? shortP * payoffs[3] + (1 - shortP) * payoffs[5] : -Infinity
    const side = longEdge >= shortEdge ? 1 : -1
    const edge = Math.max(longEdge, shortEdge)
    if (!(edge > 0) || edge < minEdge) continue
    const f =
      side === 1
        ? binaryKellyPosition(longP, payoffs[2], -payoffs[0])
        : binaryKellyPosition(shortP, payoffs[3], -payoffs[5])
    out[i] = side * Math.min(params.cap, params.fraction * f)
  }
  return out
}

export const kellyEntry: PolicyEntry<KellyPolicy> = {
  kind: 'kelly',
  params: kellyPolicySchema,
  needs: (params) => (params.source === 'p_up' ? ['p_up'] : ['p']),
  decide: kellyPositions,
}
