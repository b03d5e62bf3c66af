/**
 * What every gate shares. A gate is a combiner whose answer at a row is a mixture of the members' class
 * probabilities, p = sum_j w_j p_j, with member weights w that depend on the row (its regime, its context, what the
 * gate has learned online). It is trained on the members' purged out-of-fold predictions only (as stacking is),
 * then the members are refitted on the whole training window and the guard compares it with the best member on
 * validation. Its weights travel with its probabilities (Outputs.weights), into the report and the predictions.
 *
 * A gate file supplies a learner: how to fit its state on the out-of-fold rows, and the weights at given rows.
 */
import { z } from 'zod'
import type { RowOutcomes } from '../../features/views/types.js'
import { deriveSeed } from '../../core/seeds.js'
import type { ArtifactRefs, FitContext, Outputs } from '../../models/contract.js'
import { readJson, writeJson } from '../../models/persist.js'
import { regimeModelSchema, type RegimeModelSpec } from '../../models/regime/spec.js'
import {
  COMBINER_FILE,
  classesOf,
  guardOnValidation,
  guardReportSchema,
  guardSchema,
  refitMembers,
  type Combiner,
  type CombinerFit,
  type CombinerFitInput,
  type GuardReport,
} from '../combiner.js'
import { combinerOutOfFold, oofConfigSchema } from '../oof.js'
import { checkDistributions, classLabelsAt, classProbabilitiesOf, probabilityOutputs } from '../probabilities.js'

/** The `ensemble` method of every gate; `gate` names which. */
export const GATING = 'gating'

/** Params every gate takes: `method: gating`, its name, the purged folds it is trained on, the guard. */
export function gateShape<N extends string>(name: N) {
  return {
    method: z.literal(GATING),
    gate: z.literal(name).describe('Which gate (method: gating): how the member weights are learned'),
    oof: oofConfigSchema.describe('Purged out-of-fold member predictions the gate is trained on'),
    guard: guardSchema,
  }
}

/** Params of a gate that reads features: a regime of its own and feature columns. */
export function contextShape(reads: string) {
  return {
    regime: regimeModelSchema
      .optional()
      .describe(`A regime model (fitted per training window) whose filtered probabilities ${reads}`),
    context_features: z
      .array(z.string().min(1))
      .default([])
      .refine((names) => new Set(names).size === names.length, 'a context feature is listed twice')
      .describe(`Feature columns ${reads} beside the regime probabilities (standardised on training rows)`),
  }
}

export interface GateParams {
  readonly method: typeof GATING
  readonly gate: string
  readonly oof: { readonly n_folds: number; readonly purge_bars: number; readonly embargo_bars: number }
  readonly guard: z.infer<typeof guardSchema>
  /** The ensemble regime whose filtered probabilities are the last columns of the extra features. */
  readonly regime?: RegimeModelSpec
}

/** What a learner is trained on: the members' out-of-fold probabilities and what the gate sees at those rows. */
export interface GateTraining {
  readonly members: readonly string[]
  readonly classes: number
  /** Dataset rows, increasing. */
  readonly rows: Int32Array
  /** Per member, row-major (rows, classes) out-of-fold probabilities. */
  readonly probs: readonly Float64Array[]
  readonly y: Float64Array
  /** Row-major (rows, extraNames) context; the regime probabilities are its last `regimeStates` columns. */
  readonly extra: Float64Array
  readonly extraNames: readonly string[]
  readonly regimeStates: number
  /** Dataset row whose bar ends each row's label span (when its outcome becomes known). */
  readonly closesAt: Int32Array
  /** Time of the last training row (outcomes of later rows are learned online, by an online learner). */
  readonly onlineAfter: number
}

/** Rows a gate weighs: the members' probabilities there and what the gate sees. */
export interface GateRows {
  readonly n: number
  readonly classes: number
  /** Per member, row-major (n, classes). */
  readonly probs: readonly Float64Array[]
  /** Row-major (n, extraWidth); the regime probabilities are its last `regimeStates` columns. */
  readonly extra: Float64Array
  readonly extraWidth: number
  readonly regimeStates: number
  /** Outcome times and labels, for an online learner (rows then come in time order). */
  readonly outcomes?: RowOutcomes
}

/** The learner of one gate: state S (plain JSON) fitted on out-of-fold rows. */
export interface GateLearner<P, S> {
  readonly online: boolean
  readonly state: z.ZodType<S>
  fit(params: P, data: GateTraining, ctx: FitContext): Promise<S>
  /** Member weights, row-major (n, members). */
  weights(state: S, rows: GateRows): Float64Array
  /** Throws unless the state fits these members and features (checked on load). */
  check(state: S, members: number, extraWidth: number, regimeStates: number): void
}

const gateFile = z.strictObject({
  format: z.literal('mlfactory.gate'),
  version: z.literal(1),
  method: z.string(),
  classes: z.int().min(2),
  members: z.array(z.string().min(1)).min(1),
  extra_features: z.array(z.string().min(1)),
  regime_states: z.int().min(0),
  /** The guard's choice: the gate, or one member's own probabilities. */
  selected: z.union([
    z.strictObject({ kind: z.literal('gate') }),
    z.strictObject({ kind: z.literal('member'), member: z.string() }),
  ]),
  guard: guardReportSchema.nullable(),
  state: z.unknown(),
})
type GateFile = z.infer<typeof gateFile>

export interface GateCombiner extends Combiner {
  readonly guard: GuardReport | null
  readonly selectedMember: string | null
}

/** p = sum_j w_j p_j for every row: weights (n, M), member probabilities (n, k) each. */
export function mixProbabilities(probs: readonly Float64Array[], weights: Float64Array, k: number): Float64Array {
  const M = probs.length
  const n = weights.length / M
  const p = new Float64Array(n * k)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < M; j++) {
      const w = weights[i * M + j]
      const pj = probs[j]
      for (let c = 0; c < k; c++) p[i * k + c] += w * pj[i * k + c]
    }
  return p
}

/** Throws naming the row unless every row of weights (n, M) is finite, non-negative and sums to 1. */
export function checkWeights(weights: Float64Array, M: number, who: string): Float64Array {
  checkDistributions(weights, M, `${who} weights`)
  return weights
}

function gateCombiner<S>(file: GateFile, state: S, learner: GateLearner<unknown, S>): GateCombiner {
  const k = file.classes
  const M = file.members.length
  const selected = file.selected.kind === 'member' ? file.members.indexOf(file.selected.member) : -1
  if (file.selected.kind === 'member' && selected < 0)
    throw new Error(`${file.method}: selected member "${file.selected.member}" is not one of its members`)
  const e = file.extra_features.length
  return {
    method: file.method,
    members: file.members,
    classes: k,
    extraFeatures: file.extra_features,
    online: learner.online && selected < 0,
    guard: file.guard,
    selectedMember: selected >= 0 ? file.members[selected] : null,
    predict(outs: readonly Outputs[], extra?: Float64Array, outcomes?: RowOutcomes): Outputs {
      if (outs.length !== M) throw new Error(`${file.method}: got outputs of ${outs.length} members, expected ${M}`)
      const n = outs[0].n
      const probs = outs.map((o, j) => classProbabilitiesOf(o, k, n, `member "${file.members[j]}"`))
      let weights: Float64Array
      if (selected >= 0) {
        weights = new Float64Array(n * M)
        for (let i = 0; i < n; i++) weights[i * M + selected] = 1
      } else {
        if (e > 0 && (!extra || extra.length !== n * e))
          throw new Error(`${file.method}: needs its features (${file.extra_features.join(', ')}) for ${n} rows`)
        if (learner.online && !outcomes)
          throw new Error(`${file.method} learns online: it needs the rows' outcome times and labels`)
        const rows: GateRows = {
          n,
          classes: k,
          probs,
          extra: extra ?? new Float64Array(0),
          extraWidth: e,
          regimeStates: file.regime_states,
          ...(outcomes ? { outcomes } : {}),
        }
        if (outcomes && outcomes.time.length !== n)
          throw new Error(`${file.method}: outcomes of ${outcomes.time.length} rows for ${n} rows`)
        weights = checkWeights(learner.weights(state, rows), M, file.method)
      }
      return { ...probabilityOutputs(mixProbabilities(probs, weights, k), k), weights }
    },
    async save(dir: string): Promise<ArtifactRefs> {
      await writeJson(dir, COMBINER_FILE, file)
      return { files: [COMBINER_FILE] }
    },
  }
}

/**
 * Train a gate: the members' purged out-of-fold probabilities, the gate's features at those rows (input.extra),
 * the learner fitted on them (seed: root, gate, 'learner'); then the members refitted on the whole training window
 * and the guard on validation.
 */
export async function fitGate<P extends GateParams, S>(
  params: P,
  input: CombinerFitInput,
  ctx: FitContext,
  learner: GateLearner<P, S>,
): Promise<CombinerFit> {
  const name = params.gate
  const k = classesOf(input.task, name)
  const oof = await combinerOutOfFold(input, params.oof, k, ctx)
  if (oof.rows.length === 0) throw new Error(`${name}: no training row received a member prediction to train on`)
  const extraNames = input.extra?.names ?? []
  const regimeStates = params.regime?.states ?? 0
  if (extraNames.length < regimeStates)
    throw new Error(`${name}: its regime's ${regimeStates} probabilities were not given as features`)
  const position = new Map(Array.from(input.spans.row, (r, i) => [r, i]))
  const lastTrain = input.spans.row[input.spans.row.length - 1]
  const data: GateTraining = {
    members: oof.members,
    classes: k,
    rows: oof.rows,
    probs: oof.p,
    y: classLabelsAt(input.y, oof.rows, k, `${name} targets`),
    extra: input.extra ? input.extra.values(oof.rows) : new Float64Array(0),
    extraNames,
    regimeStates,
    closesAt: Int32Array.from(oof.rows, (r) => input.spans.t1[position.get(r)!]),
    onlineAfter: input.outcomes ? input.outcomes(Int32Array.of(lastTrain)).time[0] : lastTrain,
  }
  const state = await learner.fit(params, data, { ...ctx, seed: deriveSeed(ctx.seed, name, 'learner') })
  const file: GateFile = {
    format: 'mlfactory.gate',
    version: 1,
    method: name,
    classes: k,
    members: [...oof.members],
    extra_features: [...extraNames],
    regime_states: regimeStates,
    selected: { kind: 'gate' },
    guard: null,
    state: learner.state.parse(JSON.parse(JSON.stringify(state))),
  }
  const combiner = gateCombiner(file, state, learner as GateLearner<unknown, S>)
  const members = await refitMembers(input, ctx)
  const guarded = guardOnValidation(combiner, members, input, params.guard, (j, guard) =>
    gateCombiner(
      { ...file, selected: { kind: 'member', member: file.members[j] }, guard },
      state,
      learner as GateLearner<unknown, S>,
    ),
  )
  // The guard's report travels in the artifact whichever is kept.
  const kept =
    guarded.guard && guarded.combiner === combiner
      ? gateCombiner({ ...file, guard: guarded.guard }, state, learner as GateLearner<unknown, S>)
      : guarded.combiner
  return { combiner: kept, members, oof, ...(guarded.guard ? { guard: guarded.guard } : {}) }
}

/** Load a saved gate of this learner; errors name the file and the field. */
export async function loadGate<S>(dir: string, name: string, learner: GateLearner<unknown, S>): Promise<GateCombiner> {
  const file = await readJson(dir, COMBINER_FILE, gateFile)
  const where = `${dir}/${COMBINER_FILE}`
  if (file.method !== name) throw new Error(`${where}: method is "${file.method}", expected "${name}"`)
  if (file.extra_features.length < file.regime_states)
    throw new Error(`${where}: ${file.regime_states} regime states but ${file.extra_features.length} features`)
  const parsed = learner.state.safeParse(file.state)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${where}: state.${issue.path.join('.')}: ${issue.message}`)
  }
  try {
    learner.check(parsed.data, file.members.length, file.extra_features.length, file.regime_states)
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`)
  }
  return gateCombiner(file, parsed.data, learner)
}
