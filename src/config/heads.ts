/**
 * Output heads of `base_models[].outputs` that mlf run trains, and the task each asks of a model:
 *
 * - `p`: the 3-class triple-barrier label (down, flat, up); the policy trades on it, so every run has one.
 * - `p_up`: the same label as a binary question, up against the rest (a binary model; column `p_up_binary`).
 * - `E_r`: the simple forward return from the next open to the close `labels.tripleBarrier.maxHolding` bars later.
 * - `q05`, `q50`, `q95`: quantiles of that same return, always the three together (one quantile model).
 * - `tradeable`, `direction`, `strength`, `reach`: the multi-head targets at `labels.targets.horizons`
 *   (config/targets.ts), one fit per target.
 *
 * A model listing several heads is fitted once per head. The class-probability members may form an ensemble (the
 * `ensemble` section); several members of another head are averaged (src/pipeline/stages/heads.ts).
 */
import type { z } from 'zod'
import { didYouMean } from '../core/suggest.js'
import { postProcessorRegistry } from '../inference/post-processors.js'
import type { Task } from '../models/contract.js'
import { policyList, policyNeeds, type PolicyNeed, type PolicySection } from '../policy/registry.js'
import { isTargetHead, TARGET_HEADS, targetTask, type TargetHead } from './targets.js'

export type Head = 'p' | 'p_up' | 'E_r' | 'quantiles' | TargetHead

export const QUANTILES = [0.05, 0.5, 0.95] as const
const QUANTILE_NAMES = ['q05', 'q50', 'q95']

/** The task a model fits for `head`. */
export function headTask(head: Head): Task {
  if (head === 'p') return { kind: 'multiclass', classes: 3 }
  if (head === 'p_up') return { kind: 'binary' }
  if (head === 'E_r') return { kind: 'regression' }
  if (isTargetHead(head)) return targetTask(head)
  return { kind: 'quantile', quantiles: [...QUANTILES] }
}

/** A head as configs and reports name it (the quantile head is its three levels). */
export function headName(head: Head): string {
  return head === 'quantiles' ? 'q05/q50/q95' : head
}

const NOT_YET = new Set(['regime_score', 'uncertainty'])

/** Every output name mlf run trains, in the canonical order of a resolved `outputs` list. */
const OUTPUT_NAMES = ['p', 'p_up', 'E_r', ...QUANTILE_NAMES, ...TARGET_HEADS]

function headOf(o: string): Head | null {
  if (o === 'p' || o === 'p_up' || o === 'E_r' || isTargetHead(o)) return o
  return QUANTILE_NAMES.includes(o) ? 'quantiles' : null
}

const TRAINED = `p, p_up, E_r, q05/q50/q95 and ${TARGET_HEADS.join(', ')}`

/** The heads of a resolved `outputs` list. */
export function headsOf(outputs: readonly string[]): Head[] {
  return [...new Set(outputs.map((o) => headOf(o)!))]
}

/**
 * `outputs` checked against what the model can do and resolved to a canonical list (p, p_up, E_r, q05 q50 q95: the
 * form a bundle's config holds and parses again), or a message saying what is wrong (naming the model).
 */
export function parseHeads(
  outputs: readonly string[],
  tasks: readonly Task['kind'][],
  model: string,
): string[] | string {
  const quantiles = outputs.filter((o) => QUANTILE_NAMES.includes(o))
  if (quantiles.length > 0 && new Set(quantiles).size < 3)
    return `${quantiles.join(', ')}: the quantile head is q05, q50 and q95 together (one quantile model)`
  const seen = new Set<string>()
  for (const o of outputs) {
    const head = headOf(o)
    if (!head)
      return NOT_YET.has(o)
        ? `head "${o}" is not trained by mlf run yet; it trains ${TRAINED}`
        : `unknown head "${o}"; ${didYouMean(o, OUTPUT_NAMES, ' ')}mlf run trains ${TRAINED}`
    if (seen.has(o)) return `head "${o}" is listed twice`
    seen.add(o)
    const kind = headTask(head).kind
    if (!tasks.includes(kind))
      return `model "${model}" cannot produce ${headName(head)} (a ${kind} task); it supports ${tasks.join(', ')}`
  }
  return OUTPUT_NAMES.filter((o) => seen.has(o))
}

/** Every run has a class-probability member, and each uncertainty method a member on the head it acts on. */
export function checkHeadMembers(
  c: {
    base_models: readonly { name: string; outputs: readonly string[] }[]
    inference: { fit_on: string; uncertainty: readonly { method: string }[] }
  },
  ctx: z.RefinementCtx,
): void {
  const withHead = (h: Head) => c.base_models.filter((m) => headsOf(m.outputs).includes(h)).map((m) => m.name)
  if (withHead('p').length === 0)
    ctx.addIssue({
      code: 'custom',
      path: ['base_models'],
      message: "no base model has outputs [p]: mlf run's policy trades on the class probabilities of the p head",
    })
  // Each uncertainty method acts on a head the run trains.
  const headFor = { class_probabilities: 'p', regression: 'E_r', quantiles: 'quantiles' } as const
  for (const [i, u] of c.inference.uncertainty.entries()) {
    const actsOn = postProcessorRegistry.get(u.method)!.actsOn
    const head = headFor[actsOn]
    if (withHead(head).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['inference', 'uncertainty', i, 'method'],
        message: `${u.method} acts on the ${headName(head)} head, which no base model outputs (base_models[].outputs)`,
      })
    else if (head !== 'p' && c.inference.fit_on === 'oof')
      ctx.addIssue({
        code: 'custom',
        path: ['inference', 'fit_on'],
        message: `fit_on: oof applies to the p head's post-processors; ${u.method} on ${head} is fitted on ${postProcessorRegistry.get(u.method)!.resampling ? 'its own resamples of the training window' : 'validation'}, so fit_on: oof with it is refused rather than half applied`,
      })
  }
}

/** The base models that output `head`, with their index in base_models (for error paths and seeds). */
export function membersOf<M extends { outputs: readonly string[] }>(
  config: { base_models: readonly M[] },
  head: Head,
): { index: number; spec: M }[] {
  return config.base_models.flatMap((spec, index) => (headsOf(spec.outputs).includes(head) ? [{ index, spec }] : []))
}

/** The uncertainty methods that put a conformal interval (q_lo, q_hi) around E_r. */
const E_R_INTERVALS = [...postProcessorRegistry.values()].filter((e) => e.actsOn === 'regression').map((e) => e.name)

/** What produces each output a policy may read, for the message that refuses a policy without it. */
const NEED_SOURCE: Record<PolicyNeed, string> = {
  p: 'a base model with outputs [p]',
  p_up: 'a base model with outputs [p_up]',
  E_r: 'a base model with outputs [E_r]',
  'q_lo/q_hi': `the conformal interval around E_r: a base model with outputs [E_r] and a method on it in inference.uncertainty (${E_R_INTERVALS.join(', ')})`,
}

/** The chain outputs a run with these base models and post-processors produces. */
export function runOutputs(c: {
  base_models: readonly { outputs: readonly string[] }[]
  inference: { uncertainty: readonly { method: string }[] }
}): Set<PolicyNeed> {
  const heads = new Set(c.base_models.flatMap((m) => headsOf(m.outputs)))
  const out = new Set<PolicyNeed>()
  if (heads.has('p')) out.add('p')
  if (heads.has('p_up')) out.add('p_up')
  if (heads.has('E_r')) {
    out.add('E_r')
    if (c.inference.uncertainty.some((u) => postProcessorRegistry.get(u.method)?.actsOn === 'regression'))
      out.add('q_lo/q_hi')
  }
  return out
}

/** Every configured policy reads only outputs the run produces. */
export function checkPolicyNeeds(
  c: Parameters<typeof runOutputs>[0] & { policy: PolicySection },
  ctx: z.RefinementCtx,
): void {
  const produced = runOutputs(c)
  const list = policyList(c.policy)
  list.forEach((policy, i) => {
    const missing = policyNeeds(policy).filter((n) => !produced.has(n))
    if (missing.length === 0) return
    ctx.addIssue({
      code: 'custom',
      path: Array.isArray(c.policy) ? ['policy', i] : ['policy'],
      message: `policy ${policy.kind} reads ${missing.join(', ')}, which this run does not produce; it needs ${missing.map((n) => NEED_SOURCE[n]).join('; and ')}`,
    })
  })
}
