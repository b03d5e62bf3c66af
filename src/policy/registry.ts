import { z } from 'zod'
import { didYouMean } from '../core/suggest.js'
import type { MarketState, PolicyEntry, PolicyFit, PolicyFitData, PolicyInputs, PolicyNeed } from './contract.js'
import { kellyEntry } from './kelly.js'
import { quantileEntry } from './quantile.js'
import { rlEntry } from './rl/entry.js'
import { thresholdEntry } from './threshold.js'
import { volTargetEntry } from './vol-target.js'

export type {
  MarketState,
  PolicyEntry,
  PolicyFit,
  PolicyFitData,
  PolicyInputs,
  PolicyNeed,
  PolicyRows,
} from './contract.js'

// Adding a policy: one file, one line here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly PolicyEntry<any, any>[] = [thresholdEntry, kellyEntry, quantileEntry, volTargetEntry, rlEntry]

/**
 * Policies turn the chain's outputs on decision rows into target positions (a signed fraction of capital per row).
 * One entry per policy, keyed by its `kind` in the config's `policy` section; the params schema fills in and hashes
 * its defaults.
 */
export const policyRegistry: ReadonlyMap<string, PolicyEntry> = new Map(entries.map((e) => [e.kind, e as PolicyEntry]))

export type PolicyConfig = { kind: string } & Record<string, unknown>

type Issue = (path: PropertyKey[], message: string) => void

/** One policy: a kind by name, or `{ kind, ...params }` (threshold when kind is absent); params parsed in. */
function parsePolicy(raw: unknown, issue: Issue): PolicyConfig | null {
  const given = raw === undefined ? {} : typeof raw === 'string' ? { kind: raw } : raw
  const kind = (given as { kind?: unknown } | null)?.kind ?? 'threshold'
  const entry = typeof kind === 'string' ? policyRegistry.get(kind) : undefined
  if (!entry) {
    issue(
      ['kind'],
      `unknown policy ${JSON.stringify(kind)}; ${didYouMean(String(kind), policyRegistry.keys(), ' ')}available: ${[...policyRegistry.keys()].join(', ')}`,
    )
    return null
  }
  const parsed = entry.params.safeParse(given)
  if (!parsed.success) {
    for (const i of parsed.error.issues) issue(i.path, i.message)
    return null
  }
  return parsed.data as PolicyConfig
}

/**
 * The config's `policy` section: one policy (`{ kind, ...params }`, or its kind by name), or a list of them that the
 * run backtests side by side on the same predictions (`[threshold, { kind: kelly, fraction: 0.25 }]`); the first of
 * a list is the run's primary policy (its headline backtest, the predictions' `signal` column). A list of one is that
 * policy; a kind may appear once in a list.
 */
export const policyConfigSchema = z.unknown().transform((raw, ctx): PolicyConfig | readonly PolicyConfig[] => {
  const issueAt =
    (prefix: PropertyKey[]): Issue =>
    (path, message) =>
      ctx.addIssue({ code: 'custom', path: [...prefix, ...path], message })
  if (!Array.isArray(raw)) return parsePolicy(raw, issueAt([])) ?? z.NEVER
  if (raw.length === 0) {
    ctx.addIssue({ code: 'custom', path: [], message: 'an empty policy list; name at least one policy' })
    return z.NEVER
  }
  const list = raw.map((r, i) => parsePolicy(r, issueAt([i])))
  if (list.some((p) => p === null)) return z.NEVER
  const kinds = list.map((p) => p!.kind)
  const twice = kinds.find((k, i) => kinds.indexOf(k) !== i)
  if (twice) {
    ctx.addIssue({
      code: 'custom',
      path: [kinds.lastIndexOf(twice)],
      message: `policy ${twice} appears twice in the list; each kind is backtested once`,
    })
    return z.NEVER
  }
  return list.length === 1 ? list[0]! : (list as PolicyConfig[])
})

export type PolicySection = z.infer<typeof policyConfigSchema>

/** The policies of a `policy` section, the primary first. */
export function policyList(section: PolicySection): readonly PolicyConfig[] {
  return Array.isArray(section) ? section : [section as PolicyConfig]
}

function entryOf(policy: PolicyConfig): PolicyEntry {
  const entry = policyRegistry.get(policy.kind)
  if (!entry) throw new Error(`policy.kind: no policy "${policy.kind}"`)
  return entry
}

/** The chain outputs a configured policy reads. */
export function policyNeeds(policy: PolicyConfig): readonly PolicyNeed[] {
  return entryOf(policy).needs(policy)
}

/** How the backtest holds the policy's positions: for the label horizon, or as targets to the next decision. */
export function policyHolds(policy: PolicyConfig): 'horizon' | 'target' {
  return entryOf(policy).holds ?? 'horizon'
}

/** Whether the policy learns: fitted per window on validation rows, its state carried in the bundle. */
export function policyLearns(policy: PolicyConfig): boolean {
  return entryOf(policy).fit !== undefined
}

/** A learning policy's fit on a window's rows (seeded by the caller). */
export function fitPolicy(data: PolicyFitData, policy: PolicyConfig): PolicyFit {
  const entry = entryOf(policy)
  if (!entry.fit) throw new Error(`policy ${policy.kind} does not learn`)
  return entry.fit(data, policy)
}

/** A learning policy's fitted state read back (from a bundle), checked against its schema; `where` names the source. */
export function parsePolicyState(policy: PolicyConfig, state: unknown, where: string): unknown {
  const entry = entryOf(policy)
  if (!entry.state) throw new Error(`${where}: policy ${policy.kind} learns nothing, yet has a fitted state`)
  const parsed = entry.state.safeParse(state)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(
      `${where}: policy ${policy.kind}'s state is invalid at ${issue.path.join('.') || '(the state)'}: ${issue.message}`,
    )
  }
  return parsed.data
}

/**
 * Target positions of the decision rows under the configured policy: finite, in [-1, 1], or an error naming the row.
 * A policy that learns decides from its fitted `state`.
 */
export function decide(inputs: PolicyInputs, market: MarketState, policy: PolicyConfig, state?: unknown): Float64Array {
  const entry = entryOf(policy)
  if (inputs.p.length !== 3 * inputs.n || market.rows.length !== inputs.n)
    throw new Error(
      `policy ${policy.kind}: ${inputs.n} rows, ${inputs.p.length / 3} probability rows and ${market.rows.length} bars`,
    )
  if (entry.fit && state === undefined)
    throw new Error(`policy ${policy.kind}: it learns, and no fitted state was given`)
  const positions = entry.decide(inputs, market, policy, state)
  for (let i = 0; i < positions.length; i++)
    if (!(positions[i] >= -1 && positions[i] <= 1))
      throw new Error(`policy ${policy.kind} gave position ${positions[i]} for the row at bar ${market.rows[i]}`)
  return positions
}
