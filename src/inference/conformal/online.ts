/**
 * The online conformal methods as post-processors of the E_r head: `aci` (split conformal on the validation residuals
 * whose level adapts to its own misses, ./aci.ts) and `enbpi` (bootstrap ensemble whose residual window takes each
 * closed outcome, ./enbpi.ts). Both learn outcomes while they predict, so an interval depends on the rows before it.
 *
 * Where the stream starts is fixed at fit time (`from`, the first bar after the data the run fitted on: its test
 * window's start): rows before it get the fitted state's interval without any update (they are the rows the chain
 * was fitted on), and rows from it on are replayed in time order through the label feed (./label-feed.ts): a row's
 * outcome is learned only once its label span has closed, and a row whose outcome is unknown (`closesAt` beyond the
 * data) is predicted and never fed. The run's test rows and `mlf predict` over the same bars replay the same stream,
 * so they give the same intervals bit for bit; a server would carry the state on bar by bar.
 */
import { z } from 'zod'
import type { Outputs } from '../../models/contract.js'
import type { FitContext, PostProcessorEntry } from '../post-processors.js'
import { aciParams, aciStateSchema, createAci, replayAci, resumeAci } from './aci.js'
import { aggregate } from './bootstrap.js'
import { enbpiFromResiduals, enbpiStateSchema, replayEnbpi, resumeEnbpi } from './enbpi.js'
import { conformalBand } from './outputs.js'
import { bagParams, heldOutResiduals, resampledOf } from './plus.js'
import { conformalQuantile } from './quantile.js'
import { absoluteResiduals } from './regression.js'

/** A label that never closes within the data: predicted, never fed (finite, so it sorts and saves as a number). */
export const NEVER_CLOSES = Number.MAX_VALUE

function onlineStart(ctx: FitContext | undefined, who: string): number {
  const from = ctx?.onlineFrom
  if (from === undefined || !Number.isFinite(from))
    throw new Error(`${who}: an online method needs the time its stream starts (the run gives its test window's start)`)
  return from
}

function timelineOf(out: Outputs, who: string): NonNullable<Outputs['timeline']> {
  const tl = out.timeline
  if (!tl)
    throw new Error(
      `${who}: an online method needs each row's time, label close and outcome (mlf run and predict give them)`,
    )
  if (tl.time.length !== out.n || tl.closesAt.length !== out.n || tl.y.length !== out.n)
    throw new Error(`${who}: a timeline of ${tl.time.length} rows for ${out.n} outputs`)
  return tl
}

/** Rows of `out` from `from` on (the stream), after the rows before it; times are increasing. */
function streamStart(time: Float64Array, from: number, who: string): number {
  for (let t = 1; t < time.length; t++)
    if (!(time[t] > time[t - 1])) throw new Error(`${who}: row ${t}'s time ${time[t]} does not follow ${time[t - 1]}`)
  let s = 0
  while (s < time.length && time[s] < from) s++
  return s
}

const pointOf = (out: Outputs, who: string) => {
  if (!out.E_r) throw new Error(`${who}: the model gives no point forecast (E_r)`)
  return out.E_r
}

/**
 * The band of every row: rows before the stream get the fitted state's interval (`before`, no update), rows from
 * its start on are replayed from the fitted state (`replay`, given the first streamed row).
 */
function streamBand(
  out: Outputs,
  from: number,
  who: string,
  before: (t: number) => readonly [number, number],
  replay: (s: number) => { readonly lo: Float64Array; readonly hi: Float64Array },
): Outputs {
  const s = streamStart(timelineOf(out, who).time, from, who)
  const lo = new Float64Array(out.n)
  const hi = new Float64Array(out.n)
  for (let t = 0; t < s; t++) [lo[t], hi[t]] = before(t)
  if (s < out.n) {
    const r = replay(s)
    lo.set(r.lo, s)
    hi.set(r.hi, s)
  }
  return { ...out, ...conformalBand({ lo, hi }) }
}

const aciEntryState = z.strictObject({ from: z.number().finite(), aci: aciStateSchema })

export const aciEntry: PostProcessorEntry<z.infer<typeof aciParams>, z.infer<typeof aciEntryState>> = {
  name: 'aci',
  role: 'uncertainty',
  actsOn: 'regression',
  tasks: ['regression'],
  online: true,
  params: aciParams.extend({ coverage: aciParams.shape.coverage.default(0.9) }),
  state: aciEntryState,
  fit(params, val, y, ctx) {
    const scores = absoluteResiduals(pointOf(val, 'aci'), y)
    return { from: onlineStart(ctx, 'aci'), aci: createAci(params, scores).state() }
  },
  apply(state, out) {
    const point = pointOf(out, 'aci')
    const tl = timelineOf(out, 'aci')
    // Before the stream: the fitted level alpha_1 = 1 - coverage on the scores the state starts with.
    const margin = conformalQuantile(Float64Array.from(state.aci.scores), state.aci.params.coverage)
    return streamBand(
      out,
      state.from,
      'aci',
      (t) => [point[t] - margin, point[t] + margin],
      (s) =>
        replayAci(resumeAci(state.aci), {
          time: tl.time.subarray(s),
          closesAt: tl.closesAt.subarray(s),
          prediction: point.subarray(s),
          y: tl.y.subarray(s),
        }),
    )
  },
}

const enbpiEntryParams = z.strictObject(bagParams)
const enbpiEntryState = z.strictObject({ from: z.number().finite(), enbpi: enbpiStateSchema })

export const enbpiEntry: PostProcessorEntry<z.infer<typeof enbpiEntryParams>, z.infer<typeof enbpiEntryState>> = {
  name: 'enbpi',
  role: 'uncertainty',
  actsOn: 'regression',
  tasks: ['regression'],
  resampling: 'bags',
  online: true,
  params: enbpiEntryParams,
  state: enbpiEntryState,
  fit(params, val, y, ctx) {
    // The held-out residuals in time order (oldest first), as jackknife+-after-bootstrap measures them.
    const held = heldOutResiduals(val, y, params.aggregate, 'enbpi')
    const from = onlineStart(ctx, 'enbpi')
    const { coverage, aggregate: how } = params
    const enbpi = enbpiFromResiduals(held.residuals, resampledOf(val, 'enbpi').models, held.seenByAll, {
      coverage,
      aggregate: how,
    })
    return { from, enbpi: enbpi.state() }
  },
  apply(state, out) {
    const { predictions, models } = resampledOf(out, 'enbpi')
    if (models !== state.enbpi.models)
      throw new Error(`enbpi: fitted on ${state.enbpi.models} resamples, given ${models}`)
    const tl = timelineOf(out, 'enbpi')
    const margin = conformalQuantile(Float64Array.from(state.enbpi.residuals), state.enbpi.params.coverage)
    const buf = new Float64Array(models)
    const centre = (t: number) => {
      buf.set(predictions.subarray(t * models, (t + 1) * models))
      return aggregate(buf, models, state.enbpi.params.aggregate)
    }
    return streamBand(
      out,
      state.from,
      'enbpi',
      (t) => {
        const c = centre(t)
        return [c - margin, c + margin]
      },
      (s) =>
        replayEnbpi(resumeEnbpi(state.enbpi), {
          time: tl.time.subarray(s),
          closesAt: tl.closesAt.subarray(s),
          memberPredictions: predictions.subarray(s * models),
          y: tl.y.subarray(s),
        }),
    )
  },
}
