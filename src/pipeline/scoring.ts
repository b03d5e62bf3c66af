/**
 * Scoring through a bundle's chain: the final model (with its feature columns), the post-processors, the other heads
 * and the policy, over chosen rows of a feature frame. `mlf predict` scores a file's frame with it and `mlf serve` the
 * live feature engine's row, so both give the same answer for the same bar by construction.
 */
import type { Bars } from '../data/bars.js'
import type { RowOutcomes } from '../features/views/types.js'
import { computeFeatures, type FeatureFrame } from '../features/frame.js'
import { baseInterval, originMs } from '../config/schema.js'
import { applyPostProcessors, postProcessorRegistry } from '../inference/post-processors.js'
import type { Outputs } from '../models/contract.js'
import { policyList } from '../policy/registry.js'
import { thresholdSignals, type ThresholdPolicy } from '../policy/threshold.js'
import { volatility } from '../labels/volatility.js'
import { decidePositions } from './positions.js'
import type { BundleHead, LoadedBundle } from './bundle.js'
import {
  K,
  modelOutputs,
  sampleMask,
  viewNeeds,
  viewOptions,
  type GateWeights,
  type PolicyPositions,
  type ViewOptions,
} from './predict.js'
import { postProcess } from './stages/post-process.js'
import { predictMembers, strip } from './stages/heads.js'
import { predictResamples } from './stages/head-resamples.js'
import { configTargets, predictTargetMembers } from './stages/target-heads.js'
import { barLabels, labelsOf, outcomeTimeline, rowOutcomes } from './dataset.js'
import { onlineCombiner, type CombinedModel } from '../ensemble/combined.js'

/**
 * A fitted chain as scoring runs it: a loaded bundle, or the chain a run has in memory when it packs one (whose drift
 * reference is scored through here too).
 */
export type ScoringChain = Pick<
  LoadedBundle,
  'model' | 'features' | 'postProcessors' | 'heads' | 'targets' | 'config' | 'policyStates'
>

/** What a head's post-processors read besides its outputs: the resamples' predictions, the outcome timeline. */
function postProcessorInputs(
  bundle: ScoringChain,
  h: BundleHead,
  scored: { frame: FeatureFrame; vopts: ViewOptions; bars?: Bars },
  rows: Int32Array,
): Partial<Outputs> {
  const resamples = h.resamples?.map((members) =>
    members.map((m) => ({ model: m.model, features: m.features ?? undefined })),
  )
  const online = h.postProcessors.filter((pp) => postProcessorRegistry.get(pp.name)?.online)
  if (online.length && !scored.bars)
    throw new Error(`${online[0].name} learns outcomes from the bars; scoring without them cannot replay its stream`)
  return {
    ...(resamples
      ? { resampled: predictResamples(resamples, h.head, { lf: { frame: scored.frame }, vopts: scored.vopts }, rows) }
      : {}),
    // Outcomes come from the scored bars themselves, through the labels the run trained on.
    ...(online.length
      ? { timeline: outcomeTimeline(scored.bars!.ts, barLabels(scored.bars!, bundle.config), rows) }
      : {}),
  }
}

export interface ChainScores {
  p: Float64Array
  /** Conformal prediction sets, row-major (n, 3), when the bundle's chain has an uncertainty method. */
  sets?: Uint8Array
  /** The other heads' outputs (E_r, q_lo, q_hi, q05, q50, q95), when the bundle has such heads. */
  heads?: Outputs
  /** A gate's member weights at each scored row, when the bundle's combiner is a gate. */
  weights?: GateWeights
  /** The primary policy's target positions in [-1, 1]. */
  signals: Float64Array
  /** With the bars and a list of policies: the others' positions, in the list's order (none without the bars). */
  otherPolicies: readonly PolicyPositions[]
}

/**
 * A combiner that learns online meets the outcomes as their labels close, from the scored bars themselves; it cannot
 * score feature rows without the bars behind them.
 */
function combinerOutcomes(bundle: ScoringChain, rows: Int32Array, bars?: Bars): RowOutcomes | undefined {
  if (!onlineCombiner(bundle.model)) return undefined
  if (!bars)
    throw new Error(`${bundle.model.spec.name} learns outcomes from the bars; score bars, not feature rows alone`)
  const { labels } = labelsOf(bars, bundle.config)
  return rowOutcomes(labels, bars.ts, rows, bundle.config.labels.tripleBarrier.maxHolding)
}

/** Refuse a frame whose feature schema is not the one the bundle's model was trained on, naming what differs. */
export function assertFeatureSchema(bundle: LoadedBundle, hash: string, names: readonly string[]): void {
  const expected = bundle.manifest.feature_schema
  if (hash === expected.hash) return
  const missing = expected.names.filter((n) => !names.includes(n))
  const extra = names.filter((n) => !expected.names.includes(n))
  const detail =
    missing.length || extra.length
      ? ` (missing: ${missing.slice(0, 5).join(', ') || '-'}; unexpected: ${extra.slice(0, 5).join(', ') || '-'})`
      : ' (same names, different parameters or volume mode)'
  throw new Error(
    `bundle ${bundle.dir}: feature schema mismatch: data gives ${hash.slice(0, 12)}…, the model was trained on ${expected.hash.slice(0, 12)}…${detail}`,
  )
}

/** Features of `bars` through the bundle's own feature config and the volume mode its model was trained with. */
export function bundleFeatures(bundle: LoadedBundle, bars: Bars): FeatureFrame {
  return computeFeatures(
    bars,
    bundle.config.features,
    bundle.manifest.feature_schema.volume_mode,
    originMs(bundle.config),
    baseInterval(bundle.config),
  )
}

/** The frame rows the bundle can score: usable features and the history its models' views need behind them. */
export function sampleRows(bundle: LoadedBundle, frame: FeatureFrame, bars?: Bars): Int32Array {
  const mask = sampleMask(frame, viewOptions(bundle.config, bars), viewNeeds(bundle.config))
  return Int32Array.from(mask.keys()).filter((r) => mask[r] === 1)
}

/**
 * The chain's answers on `rows` of `frame`: class probabilities after the post-processors (checked valid, the error
 * naming the link, the row and its bar), prediction sets, the other heads, and the policy's signals.
 */
export function scoreRows(bundle: ScoringChain, frame: FeatureFrame, rows: Int32Array, bars?: Bars): ChainScores {
  const vopts = viewOptions(bundle.config, bars)
  const out = modelOutputs(
    bundle.model,
    frame,
    rows,
    vopts,
    bundle.features ?? undefined,
    combinerOutcomes(bundle, rows, bars),
  )
  const { p, sets } = postProcess(bundle.postProcessors, out.p, frame.ts, rows)
  const combiner = (bundle.model as Partial<CombinedModel>).combiner
  const weights = out.weights && combiner ? { members: combiner.members, w: out.weights } : undefined
  const specs = new Map(configTargets(bundle.config).map((t) => [t.column, t]))
  const targets = Object.fromEntries(
    bundle.targets.map((t) => [
      t.column,
      predictTargetMembers(
        t.members.map((m) => ({ model: m.model, features: m.features ?? undefined })),
        specs.get(t.column)!,
        frame,
        vopts,
        rows,
      ),
    ]),
  )
  const heads =
    bundle.heads.length || bundle.targets.length
      ? bundle.heads.reduce<Outputs>(
          (all, h) => {
            const members = h.members.map((m) => ({ model: m.model, features: m.features ?? undefined }))
            const out = predictMembers(members, h.head, frame, vopts, rows)
            const inputs = postProcessorInputs(bundle, h, { frame, vopts, bars }, rows)
            return { ...all, ...strip(applyPostProcessors(h.postProcessors, { ...out, ...inputs })), n: rows.length }
          },
          { n: rows.length, ...(bundle.targets.length ? { targets } : {}) },
        )
      : undefined
  const [signals, ...others] = policyPositions(bundle, p, heads, rows, bars)
  const kinds = policyList(bundle.config.policy).map((policy) => policy.kind)
  return {
    p,
    ...(sets ? { sets } : {}),
    ...(heads ? { heads } : {}),
    ...(weights ? { weights } : {}),
    signals,
    otherPolicies: others.map((positions, j) => ({ kind: kinds[j + 1], positions })),
  }
}

/**
 * Every policy's positions, the primary first. With the bars behind the rows, every policy of the list decides as the
 * run did; without them (feature rows alone) only the primary, and only if it reads nothing but the class
 * probabilities (threshold).
 */
function policyPositions(
  bundle: ScoringChain,
  p: Float64Array,
  heads: Outputs | undefined,
  rows: Int32Array,
  bars?: Bars,
): Float64Array[] {
  const { config } = bundle
  if (bars) {
    const vol = volatility(bars, config.labels.volatility.estimator, config.labels.volatility.window)
    return decidePositions(config, p, heads, bars, rows, vol, bundle.policyStates)
  }
  const policy = policyList(config.policy)[0]
  if (policy.kind !== 'threshold')
    throw new Error(`policy ${policy.kind} sizes from the bars behind each row; score bars, not feature rows alone`)
  return [Float64Array.from(thresholdSignals(p, K, policy as ThresholdPolicy))]
}
