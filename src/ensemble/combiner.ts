import { z } from 'zod'
import type { ArtifactRefs, Availability, FitContext, Outputs, Task } from '../models/contract.js'
import { logLoss } from '../inference/calibration/metrics.js'
import type { LabelSpans } from '../validation/spans.js'
import type { RowOutcomes } from '../features/views/types.js'
import { allTrainingRows, type FittedMember, type MemberFitter, type OofPredictions } from './oof.js'
import { classLabelsAt, classProbabilitiesOf } from './probabilities.js'
import { deriveSeed } from '../core/seeds.js'

/** A fitted combiner: member outputs (in member order) in, class probabilities out. Members are saved by the chain. */
export interface Combiner {
  readonly method: string
  readonly members: readonly string[]
  readonly classes: number
  /** Names of the extra meta-features it was fitted with (none for most); `predict` then needs them. */
  readonly extraFeatures: readonly string[]
  /**
   * Whether it learns online from outcomes as their labels close (a bandit gate): `predict` then needs `outcomes`,
   * and its answer at a row depends on the rows before it in the same call (given in time order).
   */
  readonly online?: boolean
  /** `extra`: row-major (n, extra features) meta-features, for a combiner fitted with some. */
  predict(memberOutputs: readonly Outputs[], extra?: Float64Array, outcomes?: RowOutcomes): Outputs
  save(dir: string): Promise<ArtifactRefs>
}

/** Extra meta-features beside the members' outputs (e.g. a volatility regime), by dataset row. */
export interface MetaFeatureSource {
  readonly names: readonly string[]
  /** Row-major (rows.length, names.length), finite. */
  values(rows: Int32Array): Float64Array
}

export interface CombinerFitInput {
  readonly task: Task
  /** The training window: its samples with a complete label and their label spans. */
  readonly spans: LabelSpans
  /** Class targets by dataset row (covering the training window and the validation rows). */
  readonly y: Float64Array
  readonly members: readonly MemberFitter[]
  readonly extra?: MetaFeatureSource
  /** Rows after the training window on which the guard compares the combiner with the best single member. */
  readonly validation?: Int32Array
  /** The true outcomes of rows and when they close (what an online combiner learns from after training). */
  readonly outcomes?: (rows: Int32Array) => RowOutcomes
}

export interface GuardReport {
  readonly mode: 'report' | 'fallback'
  readonly rows: number
  readonly combiner_log_loss: number
  readonly members: { name: string; log_loss: number }[]
  readonly best_member: string
  /** 'combiner', or the name of the member kept instead (fallback only). */
  readonly kept: string
}

export interface CombinerFit {
  readonly combiner: Combiner
  /** Members refitted on the whole training window, in input order. */
  readonly members: readonly FittedMember[]
  /** The out-of-fold (stacking) or holdout (blending) predictions the meta-learner was fitted on. */
  readonly oof?: OofPredictions
  readonly guard?: GuardReport
}

/** A registered combiner: its params schema (the `ensemble` config section), how to fit and load it. */
export interface CombinerEntry<P = unknown> {
  readonly name: string
  /** A gate: named by `ensemble.gate` under `method: gating` (src/ensemble/gates/). */
  readonly gate?: boolean
  readonly params: z.ZodType<P, unknown>
  available(params: P): Availability
  fit(params: P, input: CombinerFitInput, ctx: FitContext): Promise<CombinerFit>
  load(dir: string): Promise<Combiner>
}

export const COMBINER_FILE = 'combiner.json'

/** The guard's report as a saved combiner keeps it. */
export const guardReportSchema = z.strictObject({
  mode: z.enum(['report', 'fallback']),
  rows: z.int().min(1),
  combiner_log_loss: z.number(),
  members: z.array(z.strictObject({ name: z.string(), log_loss: z.number() })),
  best_member: z.string(),
  kept: z.string(),
})

export const guardSchema = z
  .enum(['off', 'report', 'fallback'])
  .default('fallback')
  .describe(
    'Compare the combiner with the best single member on validation rows: off, report, or fallback to that member when it wins',
  )
export type GuardMode = z.infer<typeof guardSchema>

export function classesOf(task: Task, who: string): number {
  if (task.kind === 'binary') return 2
  if (task.kind === 'multiclass') return task.classes
  throw new Error(`${who}: combines class probabilities; task "${task.kind}" is not a classification`)
}

/** Every member fitted on the whole training window, with its own seed (root, 'refit', member). */
export async function refitMembers(input: CombinerFitInput, ctx: FitContext): Promise<FittedMember[]> {
  const train = allTrainingRows(input.spans)
  const out: FittedMember[] = []
  for (const m of input.members) {
    ctx.signal?.throwIfAborted()
    out.push(await m.fit(train, { ...ctx, seed: deriveSeed(ctx.seed, 'refit', m.name) }))
  }
  return out
}

/**
 * Log-loss of the combiner and of every member on the validation rows. The combiner is kept unless a member does
 * strictly better; `fallback` then hands back that member through `select`, `report` only reports it.
 */
export function guardOnValidation(
  combiner: Combiner,
  members: readonly FittedMember[],
  input: CombinerFitInput,
  mode: GuardMode,
  select: (member: number, report: GuardReport) => Combiner,
): { combiner: Combiner; guard?: GuardReport } {
  if (mode === 'off') return { combiner }
  const rows = input.validation
  if (!rows || rows.length === 0) {
    throw new Error(`ensemble.guard: "${mode}" compares on validation rows, and none were given`)
  }
  const lastTrain = input.spans.row[input.spans.row.length - 1]
  const first = rows.reduce((a, b) => Math.min(a, b), Infinity)
  if (first <= lastTrain) {
    throw new Error(
      `ensemble guard: validation row ${first} is not after the training window (its last row is ${lastTrain})`,
    )
  }
  const k = combiner.classes
  const y = classLabelsAt(input.y, rows, k, 'ensemble guard')
  const outs = members.map((m) => m.predict(rows))
  const combined = combiner.predict(outs, input.extra?.values(rows), input.outcomes?.(rows))
  const memberLoss = outs.map((o, j) => ({
    name: members[j].name,
    log_loss: logLoss(classProbabilitiesOf(o, k, rows.length, `member "${members[j].name}"`), y, k),
  }))
  let best = 0
  for (let j = 1; j < memberLoss.length; j++) if (memberLoss[j].log_loss < memberLoss[best].log_loss) best = j
  const combinerLoss = logLoss(combined.p!, y, k)
  const memberWins = memberLoss[best].log_loss < combinerLoss
  const report: GuardReport = {
    mode,
    rows: rows.length,
    combiner_log_loss: combinerLoss,
    members: memberLoss,
    best_member: memberLoss[best].name,
    kept: mode === 'fallback' && memberWins ? memberLoss[best].name : 'combiner',
  }
  return { combiner: mode === 'fallback' && memberWins ? select(best, report) : combiner, guard: report }
}

/** Messages of a failed zod parse, each prefixed with its path under `root`. */
export function zodIssues(error: z.ZodError, root: string): string {
  return error.issues.map((i) => `${[root, ...i.path.map(String)].join('.')}: ${i.message}`).join('\n  ')
}
