import { z } from 'zod'
import { deriveSeed } from '../core/seeds.js'
import type { FitContext } from '../models/contract.js'
import { purgeAndEmbargo } from '../validation/purge.js'
import { checkSpans, type LabelSpans } from '../validation/spans.js'
import { classesOf, type CombinerEntry, type CombinerFit, type CombinerFitInput } from './combiner.js'
import { checkMembers, compact, widenSpans, type MemberFitter, type OofPredictions } from './oof.js'
import { classProbabilitiesOf } from './probabilities.js'
import {
  finishMetaCombiner,
  fitMetaCombiner,
  loadMetaCombiner,
  metaAvailability,
  metaShape,
  parseMetaParams,
} from './stacking.js'

export const blendingParams = z
  .strictObject({
    method: z.literal('blending'),
    ...metaShape,
    holdout: z
      .strictObject({
        /** Share of the training window's samples, at its end, that the meta-learner is fitted on. */
        fraction: z
          .number()
          .gt(0)
          .max(0.5)
          .default(0.2)
          .describe("Share of the training window's samples, at its end, in the holdout"),
        /**
         * Extra bars between the labels of the rows before the holdout and the holdout's. No embargo: the holdout
         * ends the window, so no training row follows it for an embargo to remove.
         */
        purge_bars: z
          .int()
          .min(0)
          .default(0)
          .describe("Extra bars between the labels of the rows before the holdout and the holdout's"),
      })
      .prefault({})
      .describe('The slice at the end of the training window the meta-learner is fitted on'),
  })
  .transform(parseMetaParams)
export type BlendingParams = z.infer<typeof blendingParams>

export interface HoldoutOptions {
  readonly classes: number
  readonly fraction: number
  readonly purgeBars: number
  readonly seed: number
  readonly threads: number
  readonly signal?: AbortSignal
}

/**
 * Members fitted on the rows before a holdout slice at the end of the window (purged: their label spans end more
 * than `purgeBars` before any holdout span starts) predict the holdout. Seeds: (root, 'blend', member). Returned in
 * the out-of-fold shape with one fold; holdout rows are unpredicted only when nothing is left to train on.
 */
export async function holdoutPredictions(
  spans: LabelSpans,
  members: readonly MemberFitter[],
  opts: HoldoutOptions,
): Promise<OofPredictions> {
  checkMembers(members)
  checkSpans(spans)
  const n = spans.row.length
  const size = Math.ceil(n * opts.fraction)
  if (!(opts.fraction > 0 && opts.fraction < 1) || size >= n) {
    throw new Error(`blending: holdout.fraction ${opts.fraction} of ${n} rows leaves no rows before the holdout`)
  }
  const start = n - size
  const block = { start, end: n }
  const split = purgeAndEmbargo(
    widenSpans(spans, opts.purgeBars),
    Int32Array.from({ length: start }, (_, i) => i),
    [block],
    0,
  )
  const test = spans.row.slice(start)
  const k = opts.classes
  const p = members.map(() => new Float64Array(n * k))
  const foldOf = new Int32Array(n).fill(-1)
  if (split.train.length > 0) {
    for (const member of members) {
      opts.signal?.throwIfAborted()
      const ctx: FitContext = {
        seed: deriveSeed(opts.seed, 'blend', member.name),
        threads: opts.threads,
        ...(opts.signal ? { signal: opts.signal } : {}),
      }
      const fitted = await member.fit(split.train, ctx)
      const probs = classProbabilitiesOf(fitted.predict(test), k, size, `member "${member.name}" (blending holdout)`)
      p[members.indexOf(member)].set(probs, start * k)
    }
    foldOf.fill(0, start)
  }
  const fold = { fold: 0, test, trainRows: split.train.length, purged: split.purged, embargoed: split.embargoed }
  return compact(spans, members, k, p, foldOf, [fold], start)
}

/** Blending: stacking's meta-learner, fitted on a holdout slice at the end of the window instead of on folds. */
export async function fitBlending(
  params: BlendingParams,
  input: CombinerFitInput,
  ctx: FitContext,
): Promise<CombinerFit> {
  const k = classesOf(input.task, 'blending')
  const preds = await holdoutPredictions(input.spans, input.members, {
    classes: k,
    fraction: params.holdout.fraction,
    purgeBars: params.holdout.purge_bars,
    seed: ctx.seed,
    threads: ctx.threads,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  })
  const fitted = await fitMetaCombiner('blending', preds, input, params, ctx)
  return finishMetaCombiner(fitted, preds, input, params, ctx)
}

export const blendingEntry: CombinerEntry<BlendingParams> = {
  name: 'blending',
  params: blendingParams,
  available: metaAvailability,
  fit: fitBlending,
  load: (dir) => loadMetaCombiner(dir, 'blending'),
}
