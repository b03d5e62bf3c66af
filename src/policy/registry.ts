import { z } from 'zod'
import { thresholdPolicySchema, thresholdSignals } from './threshold.js'
import { didYouMean } from '../core/suggest.js'

/**
 * Policies turn calibrated class probabilities into positions (+1 long, -1 short, 0 flat per row). One entry per
 * policy, keyed by its `kind` in the config's `policy` section; the params schema fills in and hashes its defaults.
 */
export interface PolicyEntry<P = unknown> {
  readonly kind: string
  readonly params: z.ZodType<P, unknown>
  /** `p` row-major (n, k) class probabilities (down, flat, up for k = 3). */
  decide(p: Float64Array, k: number, params: P): Int8Array
}

const thresholdEntry: PolicyEntry<z.infer<typeof thresholdPolicySchema>> = {
  kind: 'threshold',
  params: thresholdPolicySchema,
  decide: thresholdSignals,
}

// Adding a policy: one file, one line here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly PolicyEntry<any>[] = [thresholdEntry]

export const policyRegistry: ReadonlyMap<string, PolicyEntry> = new Map(entries.map((e) => [e.kind, e as PolicyEntry]))

/** The config's `policy` section: `kind` picks the entry (threshold by default), whose schema validates the rest. */
export const policyConfigSchema = z.unknown().transform((raw, ctx): { kind: string } & Record<string, unknown> => {
  const given = raw === undefined ? {} : raw
  const kind = (given as { kind?: unknown } | null)?.kind ?? 'threshold'
  const entry = typeof kind === 'string' ? policyRegistry.get(kind) : undefined
  if (!entry) {
    ctx.addIssue({
      code: 'custom',
      path: ['kind'],
      message: `unknown policy ${JSON.stringify(kind)}; ${didYouMean(String(kind), policyRegistry.keys(), ' ')}available: ${[...policyRegistry.keys()].join(', ')}`,
    })
    return z.NEVER
  }
  const parsed = entry.params.safeParse(given)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message } as never)
    return z.NEVER
  }
  return parsed.data as { kind: string } & Record<string, unknown>
})

export type PolicyConfig = z.infer<typeof policyConfigSchema>

/** Positions from class probabilities under the configured policy. */
export function decide(p: Float64Array, k: number, policy: PolicyConfig): Int8Array {
  const entry = policyRegistry.get(policy.kind)
  if (!entry) throw new Error(`policy.kind: no policy "${policy.kind}"`)
  return entry.decide(p, k, policy)
}
