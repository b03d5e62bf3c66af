/**
 * A head's models refitted on resamples of the training window, for the conformal methods that calibrate on held-out
 * predictions (cv_plus on purged folds; jackknife_plus_ab and enbpi on moving-block bootstrap bags). Each resample
 * refits every member of the head on its training rows (no validation set: fixed rounds, as out-of-fold fits) and
 * predicts the training samples it held out: a fold's own rows, or the rows outside a bag that no bag row's label
 * comes near (src/validation/bags.ts). Those held-out predictions, NaN elsewhere, are what the method fits on; later
 * rows get every resample's prediction. Seeds derive from (run, 'resample', window, head, resample, model).
 */
import { blockBootstrapBags } from '../../inference/conformal/bootstrap.js'
import { postProcessorRegistry, type PostProcessorEntry } from '../../inference/post-processors.js'
import type { Outputs } from '../../models/contract.js'
import { createModel } from '../../models/registry.js'
import { selectColumns } from '../../ensemble/voting.js'
import { widenSpans } from '../../ensemble/oof.js'
import { headTask } from '../../config/heads.js'
import { purgedBag } from '../../validation/bags.js'
import { purgedKFold } from '../../validation/kfold.js'
import { spansFromT1Index, type LabelSpans } from '../../validation/spans.js'
import type { TrainIndices } from '../../validation/indices.js'
import { buildView } from '../predict.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { EvalWindow } from './windows.js'
import { predictMembers, type HeadMember, type OtherHead } from './heads.js'

export interface HeadResamples {
  readonly kind: NonNullable<PostProcessorEntry['resampling']>
  /** Per resample, the head's members refitted on it. */
  readonly models: readonly (readonly HeadMember[])[]
  /** At the training window's samples: each resample's prediction where it held the row out, NaN elsewhere. */
  readonly calibration: Outputs
  /** The samples' targets, aligned with `calibration`. */
  readonly y: Float64Array
}

export interface ResampleParams {
  readonly n_folds?: number
  readonly max_refits?: number
  readonly models?: number
  readonly block?: number
  readonly purge_bars: number
  readonly embargo_bars: number
}

type MemberSpec = { spec: RunContext['config']['base_models'][number]; index: number }

/** One training set per resample, and per sample position whether it is held out of it. */
function resampleSets(
  kind: HeadResamples['kind'],
  spans: LabelSpans,
  params: ResampleParams,
  seed: number,
): { train: TrainIndices; heldOut: Uint8Array }[] {
  const n = spans.row.length
  if (kind === 'folds' || kind === 'leave_one_out') {
    const k = kind === 'folds' ? params.n_folds! : n
    const folds = purgedKFold(widenSpans(spans, params.purge_bars), k, params.embargo_bars)
    return folds.map((f) => {
      const heldOut = new Uint8Array(n)
      let s = 0
      for (const row of f.test) {
        while (spans.row[s] !== row) s++
        heldOut[s] = 1
      }
      return { train: f.train, heldOut }
    })
  }
  const block = Math.min(params.block!, n)
  return blockBootstrapBags(n, params.models!, block, seed).map((bag) =>
    purgedBag(spans, bag.inBag, params.purge_bars, params.embargo_bars),
  )
}

export async function fitHeadResamples(
  ctx: RunContext,
  data: RunData,
  window: EvalWindow,
  head: OtherHead,
  specs: readonly MemberSpec[],
  yTrain: Float64Array,
  kind: HeadResamples['kind'],
  params: ResampleParams,
): Promise<HeadResamples> {
  const { lf, vopts } = data
  // The training window's samples and their label spans, and each sample's target.
  const t1 = new Int32Array(lf.frame.length).fill(-1)
  for (const r of window.train) t1[r] = lf.spanEnd[r]
  const spans = spansFromT1Index(t1)
  const yByRow = new Float64Array(lf.frame.length).fill(Number.NaN)
  window.train.forEach((r, i) => (yByRow[r] = yTrain[i]))
  const y = Float64Array.from(spans.row, (r) => yByRow[r])
  const sets = resampleSets(kind, spans, params, ctx.seed('resample', window.key, head, kind))
  const K = sets.length
  const predictions = new Float64Array(spans.row.length * K).fill(Number.NaN)
  const models: HeadMember[][] = []
  const bar = ctx.progress?.(`resamples ${head}${window.key === 'all' ? '' : ` ${window.key.slice(0, 10)}`}`)
  try {
    for (const [k, set] of sets.entries()) {
      if (set.train.length === 0) throw new Error(`${head}: resample ${k} has no training row left after the purge`)
      const members: HeadMember[] = []
      for (const { spec, index } of specs) {
        const model = createModel(spec.name, spec.config, headTask(head), `base_models.${index}.config`, spec.view)
        const v = buildView(model.spec.inputView, lf.frame, set.train, vopts)
        const x = spec.features && v.kind === 'feature_matrix' ? selectColumns(v, spec.features) : v
        const yFit = Float64Array.from(set.train, (r) => yByRow[r])
        await model.fit({ x, y: yFit }, undefined, {
          seed: ctx.seed('resample', window.key, head, k, spec.name),
          threads: ctx.threads,
        })
        members.push({ name: spec.name, index, model, ...(spec.features ? { features: spec.features } : {}) })
        bar?.update(k * specs.length + members.length, K * specs.length, { unit: 'fit' })
      }
      models.push(members)
      const positions = Int32Array.from(set.heldOut.keys()).filter((s) => set.heldOut[s] === 1)
      if (positions.length === 0) continue
      const out = predictMembers(
        members,
        head,
        lf.frame,
        vopts,
        Int32Array.from(positions, (s) => spans.row[s]),
      )
      positions.forEach((s, i) => (predictions[s * K + k] = out.E_r![i]))
    }
  } finally {
    bar?.stop?.()
  }
  return { kind, models, calibration: { n: spans.row.length, resampled: { models: K, predictions } }, y }
}

/** Every resample's prediction at `rows` (row-major, rows x resamples): what the method reads at later rows. */
export function predictResamples(
  resamples: readonly (readonly Pick<HeadMember, 'model' | 'features'>[])[],
  head: OtherHead,
  data: Pick<RunData, 'vopts'> & { lf: Pick<RunData['lf'], 'frame'> },
  rows: Int32Array,
): NonNullable<Outputs['resampled']> {
  const K = resamples.length
  const predictions = new Float64Array(rows.length * K)
  resamples.forEach((members, k) => {
    const out = predictMembers(members, head, data.lf.frame, data.vopts, rows)
    out.E_r!.forEach((v, i) => (predictions[i * K + k] = v))
  })
  return { models: K, predictions }
}

/**
 * jackknife_plus refits the head once per training sample; a window with more samples than its max_refits is refused
 * (naming the count) before any model trains, rather than after hours of refits.
 */
export function leaveOneOutProblems(config: RunContext['config'], windows: readonly EvalWindow[]): string | null {
  const step = config.inference.uncertainty.find(
    (u) => postProcessorRegistry.get(u.method)?.resampling === 'leave_one_out',
  )
  if (!step) return null
  const max = (step as unknown as ResampleParams).max_refits!
  const largest = windows.reduce((m, w) => Math.max(m, w.train.length), 0)
  if (largest <= max) return null
  return (
    `inference.uncertainty: ${step.method} refits the E_r head once per training sample, and a training window here ` +
    `has ${largest} (max_refits is ${max}); use cv_plus (K purged folds) or jackknife_plus_ab (bootstrap refits), ` +
    'or raise max_refits'
  )
}
