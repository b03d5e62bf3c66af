/**
 * The evaluation windows of a run: one purged chronological train / val / test split, or the walk-forward windows
 * (calendar grid, the validation slice at the end of each training window, every slice purged against the later
 * ones). A window's rows and seeds depend only on the data inside it and its calendar position, never on where the
 * file or the requested range starts.
 */
import type { ResolvedConfig } from '../../config/load.js'
import { baseInterval } from '../../config/schema.js'
import { chronologicalSplit } from '../../validation/chronological.js'
import { embargoFor, windowLengthMs } from '../../validation/config.js'
import { purgeAndEmbargo } from '../../validation/purge.js'
import { spansFromT1Index, type LabelSpans } from '../../validation/spans.js'
import { DAY_MS, lowerBound, walkForward } from '../../validation/walk-forward.js'
import type { RunData } from './dataset.js'

export interface EvalWindow {
  /** 'all' for the chronological split; the test window's start (ISO 8601) in walk-forward. Seeds derive from it. */
  readonly key: string
  readonly train: Int32Array
  readonly val: Int32Array
  readonly test: Int32Array
  /** Training samples removed for labels reaching into val or test (purge) or by the embargo. */
  readonly purged: number
  readonly embargoed: number
  /** Calendar bounds (epoch ms) of a walk-forward window: training from trainStart, test [testStart, testEnd). */
  readonly trainStart?: number
  readonly testStart?: number
  readonly testEnd?: number
}

/** The samples (usable rows with a label event) and their label spans over every head, in bar-index units. */
function sampleSpans(data: RunData): LabelSpans {
  const t1 = Int32Array.from(data.lf.spanEnd, (t, i) => (data.mask[i] ? t : -1))
  return spansFromT1Index(t1)
}

export function chronologicalWindow(config: ResolvedConfig, data: RunData): EvalWindow {
  const spans = sampleSpans(data)
  const c = config.splits.chronological
  const split = chronologicalSplit(
    spans,
    { train: c.train, val: c.val, test: c.test },
    embargoFor(config.splits, spans.row.length),
  )
  return { key: 'all', ...split }
}

/** The walk-forward windows (`evaluation.walk_forward`), those with a full training window in the data. */
export function walkForwardWindows(config: ResolvedConfig, data: RunData): { windows: EvalWindow[]; skipped: number } {
  const wf = config.evaluation.walk_forward
  if (!wf) throw new Error('splits.method: walk_forward needs evaluation.walk_forward { train, test, step }')
  const barMs = baseInterval(config).ms
  const trainMs = windowLengthMs(wf.train, barMs)
  const testMs = windowLengthMs(wf.test, barMs)
  const stepMs = wf.step === undefined ? testMs : windowLengthMs(wf.step, barMs)
  const spans = sampleSpans(data)
  const ts = data.bars.ts
  const time = Float64Array.from(spans.row, (r) => ts[r])
  const folds = walkForward(
    spans,
    time,
    {
      mode: wf.mode,
      trainDays: trainMs / DAY_MS,
      testDays: testMs / DAY_MS,
      stepDays: stepMs / DAY_MS,
      anchorMs: Date.parse(wf.anchor),
    },
    0,
  )
  const from = wf.from === undefined ? -Infinity : Date.parse(wf.from)
  const to = wf.to === undefined ? Infinity : Date.parse(wf.to)
  // The first sample, not the first bar: the bars before it are the features' warm-up, which a training window
  // must not need in order to be full (else a file starting at a window's start would train it on fewer rows).
  const firstSample = time[0]
  const windows: EvalWindow[] = []
  let skipped = 0
  for (const f of folds) {
    if (f.testStart < from || f.testEnd > to) continue
    // A rolling window whose training window starts before the samples would train on less than `train`: skipped.
    if (wf.mode === 'rolling' && f.trainStart < firstSample) {
      skipped++
      continue
    }
    const s = lowerBound(time, f.trainStart)
    const a = lowerBound(time, f.testStart)
    const b = lowerBound(time, f.testEnd)
    const nVal = valSamples(wf.val, time, s, a, f.testStart, barMs)
    const valBlock = { start: a - nVal, end: a }
    const testBlock = { start: a, end: b }
    const trainCand = Int32Array.from({ length: Math.max(0, valBlock.start - s) }, (_, i) => s + i)
    const valCand = Int32Array.from({ length: nVal }, (_, i) => valBlock.start + i)
    const tr = purgeAndEmbargo(spans, trainCand, [valBlock, testBlock], 0)
    const va = purgeAndEmbargo(spans, valCand, [testBlock], 0)
    if (tr.train.length === 0 || va.train.length === 0) {
      skipped++
      continue
    }
    windows.push({
      key: new Date(f.testStart).toISOString(),
      train: tr.train,
      val: Int32Array.from(va.train),
      test: spans.row.slice(a, b),
      purged: tr.purged + va.purged,
      embargoed: 0,
      trainStart: f.trainStart,
      testStart: f.testStart,
      testEnd: f.testEnd,
    })
  }
  return { windows, skipped }
}

/** Samples in the validation slice at the end of the training samples [s, a): a fraction, a length or bars. */
function valSamples(
  val: number | string,
  time: Float64Array,
  s: number,
  a: number,
  testStart: number,
  barMs: number,
): number {
  if (typeof val === 'number' && val < 1) return Math.floor((a - s) * val)
  const ms = windowLengthMs(val as never, barMs)
  return a - Math.max(s, lowerBound(time, testStart - ms))
}
