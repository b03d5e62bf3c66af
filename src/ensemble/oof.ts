import { z } from 'zod'
import { deriveSeed } from '../core/seeds.js'
import type { DataView } from '../features/views/types.js'
import type { FitContext, Model, Outputs, ProgressSink } from '../models/contract.js'
import { type TrainIndices, gatherRows } from '../validation/indices.js'
import { purgedKFold } from '../validation/kfold.js'
import { purgeAndEmbargo } from '../validation/purge.js'
import { checkSpans, type LabelSpans } from '../validation/spans.js'
import { classProbabilitiesOf } from './probabilities.js'

/**
 * A member fitted on some rows. Combiners work over dataset rows, not matrices: how a row becomes model input (a
 * feature-matrix row, a window of past bars) is the member's business, so tabular and sequence members mix freely.
 */
export interface FittedMember {
  readonly name: string
  /** Outputs (class probabilities in `p`, or `p_up` for two classes) for dataset rows. */
  predict(rows: Int32Array): Outputs
  /** The fitted model behind the member, when there is one (the caller saves it with the chain). */
  readonly model?: Model
}

/** Fits a fresh member on training rows; called once per fold and once for the final refit. */
export interface MemberFitter {
  readonly name: string
  fit(train: TrainIndices, ctx: FitContext): Promise<FittedMember>
}

/**
 * A fitter for a registry model: `create` makes a fresh unfitted model, `view` builds its input for any rows (a
 * feature matrix, or window tensors ending at those rows), `y` holds the targets by dataset row.
 */
export function modelFitter(member: {
  readonly name: string
  readonly create: () => Model
  readonly view: (rows: Int32Array) => DataView
  readonly y: Float64Array
  readonly weight?: Float64Array
}): MemberFitter {
  return {
    name: member.name,
    async fit(train, ctx) {
      const model = member.create()
      const data = {
        x: member.view(train),
        y: gatherRows(member.y, train),
        ...(member.weight ? { weight: gatherRows(member.weight, train) } : {}),
      }
      await model.fit(data, undefined, ctx)
      return { name: member.name, model, predict: (rows) => model.predict(member.view(rows)) }
    },
  }
}

/** Config of purged out-of-fold predictions (stacking's `oof`, calibration's `inference.oof`). */
export const oofFoldsSchema = z.strictObject({
  n_folds: z.int().min(2).max(50).default(5).describe('Folds of the training window'),
  /** Extra bars between a training label span and a predicted row's span, beyond no overlap. */
  purge_bars: z
    .int()
    .min(0)
    .default(0)
    .describe("Extra bars between a training label span and a predicted row's span, beyond no overlap"),
  embargo_bars: z
    .int()
    .min(0)
    .default(0)
    .describe("Bars after a predicted row's label end in which no training label may start"),
})
/** The same with every default filled in when the section is absent. */
export const oofConfigSchema = oofFoldsSchema.prefault({})
export type OofConfig = z.infer<typeof oofConfigSchema>

export interface OofOptions {
  readonly classes: number
  readonly nFolds: number
  /** Extra bars required between a training label span and the predicted row's span, beyond no overlap. */
  readonly purgeBars: number
  /** Bars after the predicted rows' (purge-widened) label end in which no training label may start. */
  readonly embargoBars: number
  readonly seed: number
  readonly threads: number
  readonly signal?: AbortSignal
  /** Told after each member's fit of each fold. */
  readonly progress?: ProgressSink
}

export interface OofFold {
  readonly fold: number
  /** Dataset rows predicted by this fold's models. */
  readonly test: Int32Array
  readonly trainRows: number
  readonly purged: number
  readonly embargoed: number
}

/** Out-of-fold class probabilities of every member, one per training row with a complete label. */
export interface OofPredictions {
  readonly members: readonly string[]
  readonly classes: number
  /** Dataset rows that received a prediction, increasing. */
  readonly rows: Int32Array
  /** Fold whose models predicted each row. */
  readonly fold: Int32Array
  /** Per member, row-major (rows.length, classes) probabilities. */
  readonly p: readonly Float64Array[]
  /** Rows with a complete label that no fold could predict (its purged training set was empty), never filled. */
  readonly unpredicted: Int32Array
  readonly folds: readonly OofFold[]
}

/**
 * Spans widened by `purgeBars` at their end: two widened spans meet exactly when the original spans are at most
 * `purgeBars` apart (on either side), so the exact purge of src/validation/ enforces the extra gap, and the embargo
 * then counts from the end of the widened test span.
 */
export function widenSpans(spans: LabelSpans, purgeBars: number): LabelSpans {
  if (!(Number.isInteger(purgeBars) && purgeBars >= 0))
    throw new Error(`purge_bars must be an integer >= 0, got ${purgeBars}`)
  if (purgeBars === 0) return spans
  return { row: spans.row, t0: spans.t0, t1: spans.t1.map((t) => t + purgeBars) }
}

/** All the window's rows as training rows (the final refit): a purge against no test block keeps every sample. */
export function allTrainingRows(spans: LabelSpans): TrainIndices {
  return purgeAndEmbargo(
    spans,
    Int32Array.from({ length: spans.row.length }, (_, i) => i),
    [],
    0,
  ).train
}

/**
 * Purged k-fold out-of-fold predictions: row i's prediction comes from members fitted on rows whose label spans are
 * more than `purgeBars` away from i's and that do not start within `embargoBars` after it. Every member of a fold
 * gets its own seed, derived from (seed, 'oof', fold, member).
 */
export async function outOfFoldPredictions(
  spans: LabelSpans,
  members: readonly MemberFitter[],
  opts: OofOptions,
): Promise<OofPredictions> {
  checkMembers(members)
  checkSpans(spans)
  const n = spans.row.length
  if (!(Number.isInteger(opts.nFolds) && opts.nFolds >= 2))
    throw new Error(`oof.n_folds must be an integer >= 2, got ${opts.nFolds}`)
  if (n < opts.nFolds) throw new Error(`oof: ${n} training rows with a complete label cannot fill ${opts.nFolds} folds`)
  if (!(Number.isInteger(opts.embargoBars) && opts.embargoBars >= 0)) {
    throw new Error(`oof.embargo_bars must be an integer >= 0, got ${opts.embargoBars}`)
  }
  const k = opts.classes
  const folds = purgedKFold(widenSpans(spans, opts.purgeBars), opts.nFolds, opts.embargoBars)
  const p = members.map(() => new Float64Array(n * k))
  const foldOf = new Int32Array(n).fill(-1)
  const report: OofFold[] = []
  let done = 0
  for (const f of folds) {
    const positions = f.test.map((row) => positionOf(spans.row, row))
    report.push({ fold: f.fold, test: f.test, trainRows: f.train.length, purged: f.purged, embargoed: f.embargoed })
    if (f.train.length === 0) continue
    for (const [m, member] of members.entries()) {
      opts.signal?.throwIfAborted()
      const ctx: FitContext = {
        seed: deriveSeed(opts.seed, 'oof', f.fold, member.name),
        threads: opts.threads,
        ...(opts.signal ? { signal: opts.signal } : {}),
      }
      const fitted = await member.fit(f.train, ctx)
      const who = `member "${member.name}" (oof fold ${f.fold})`
      const probs = classProbabilitiesOf(fitted.predict(f.test), k, f.test.length, who)
      for (let i = 0; i < positions.length; i++) p[m].set(probs.subarray(i * k, (i + 1) * k), positions[i] * k)
      opts.progress?.update(++done, folds.length * members.length, { unit: 'fit', fold: f.fold })
    }
    for (const s of positions) {
      if (foldOf[s] >= 0)
        throw new Error(`oof: row ${spans.row[s]} is in the test block of folds ${foldOf[s]} and ${f.fold}`)
      foldOf[s] = f.fold
    }
  }
  return compact(spans, members, k, p, foldOf, report)
}

/** A combiner's out-of-fold predictions: its members over its training window, folds as its `oof` config says. */
export function combinerOutOfFold(
  input: { readonly spans: LabelSpans; readonly members: readonly MemberFitter[] },
  oof: OofConfig,
  classes: number,
  ctx: FitContext,
): Promise<OofPredictions> {
  return outOfFoldPredictions(input.spans, input.members, {
    classes,
    nFolds: oof.n_folds,
    purgeBars: oof.purge_bars,
    embargoBars: oof.embargo_bars,
    seed: ctx.seed,
    threads: ctx.threads,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.progress ? { progress: ctx.progress } : {}),
  })
}

/** Keep the predicted rows; the other samples from position `from` on are reported as unpredicted. */
export function compact(
  spans: LabelSpans,
  members: readonly MemberFitter[],
  k: number,
  p: readonly Float64Array[],
  foldOf: Int32Array,
  folds: readonly OofFold[],
  from = 0,
): OofPredictions {
  const keep: number[] = []
  const missing: number[] = []
  for (let s = from; s < foldOf.length; s++) (foldOf[s] >= 0 ? keep : missing).push(s)
  const rows = Int32Array.from(keep, (s) => spans.row[s])
  const fold = Int32Array.from(keep, (s) => foldOf[s])
  const kept = p.map((pm) => {
    const out = new Float64Array(keep.length * k)
    keep.forEach((s, i) => out.set(pm.subarray(s * k, (s + 1) * k), i * k))
    return out
  })
  return {
    members: members.map((m) => m.name),
    classes: k,
    rows,
    fold,
    p: kept,
    unpredicted: Int32Array.from(missing, (s) => spans.row[s]),
    folds,
  }
}

export function checkMembers(members: readonly MemberFitter[]): void {
  if (members.length < 1) throw new Error('a combiner needs at least one member')
  const seen = new Set<string>()
  for (const m of members) {
    if (!m.name) throw new Error('every combiner member needs a name')
    if (seen.has(m.name)) throw new Error(`combiner member name "${m.name}" is used twice; member names must be unique`)
    seen.add(m.name)
  }
}

/** Sample position of a dataset row (rows strictly increasing). */
function positionOf(rows: Int32Array, row: number): number {
  let lo = 0
  let hi = rows.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (rows[mid] === row) return mid
    if (rows[mid] < row) lo = mid + 1
    else hi = mid - 1
  }
  throw new Error(`oof: row ${row} is not a sample of the training window`)
}
