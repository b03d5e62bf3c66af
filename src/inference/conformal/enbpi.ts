/**
 * EnbPI, ensemble batch prediction intervals (Xu and Xie, 2021), for time series. The caller fits B models on
 * (block-)bootstrap bags of the n training rows (./bootstrap.ts). Training row i's residual is measured against the
 * aggregate of the models whose bag left it out, so it is held out without refits; those residuals start a window of
 * n. A new row's centre is the aggregate (mean or median) of all B models' predictions, the ensemble itself and not
 * one of its members (MAPIE#495 centred on one estimator), and its interval is centre +- the conformal quantile of
 * the window by the shared rank rule (./quantile.ts): symmetric, on absolute residuals. The paper's asymmetric
 * variant (signed residuals, ends at the beta and 1 - alpha + beta quantiles, beta chosen for the narrowest band)
 * is not offered: it picks beta on the very residuals it ranks, outside the one rank rule every method shares.
 *
 * Online, each outcome adds |y - centre| to the window and pushes its oldest residual out, so the intervals follow
 * the current error scale without refitting. Outcomes come through the label feed (./label-feed.ts): a residual
 * enters only once its label's span has closed, in the order labels close. Guarantee: approximate coverage under
 * mixing errors (the paper's assumption), not a finite-sample one; exchangeable data gets about the coverage.
 *
 * Training rows in every bag have no held-out residual and are left out (counted in `inEveryBag`); none left is an
 * error. The state is plain data, checked by a zod schema on resume.
 */
import { z } from 'zod'
import { aggregate, checkMembers, leftOut, looAggregatesAtTrain, type BootstrapMember } from './bootstrap.js'
import { admitPrediction, emptyFeed, feedFields, replayOrder, takeOutcome, type Feed } from './label-feed.js'
import { scoreWindow } from './score-window.js'

export const enbpiParams = z.strictObject({
  coverage: z.number().gt(0).lt(1),
  /** How member predictions combine, for the leave-one-out residuals and the centre alike. */
  aggregate: z.enum(['mean', 'median']).default('mean'),
})
export type EnbpiParams = z.infer<typeof enbpiParams>

const FORMAT = 'mlfactory.enbpi/1'

const pendingSchema = z.strictObject({
  row: z.int(),
  closesAt: z.number().finite(),
  /** The ensemble centre the row was predicted at. */
  centre: z.number().finite(),
})
type EnbpiPending = z.infer<typeof pendingSchema>

export const enbpiStateSchema = z.strictObject({
  format: z.literal(FORMAT),
  params: enbpiParams,
  /** B: predictions per new row. */
  models: z.int().positive(),
  /** Residuals kept: the training rows that had a held-out residual. */
  window: z.int().positive(),
  residuals: z.array(z.number().finite().min(0)),
  inEveryBag: z.int().min(0),
  ...feedFields,
  pending: z.array(pendingSchema),
})
export type EnbpiState = z.infer<typeof enbpiStateSchema>

export interface EnbpiInterval {
  readonly lo: number
  readonly hi: number
  readonly centre: number
}

export interface Enbpi {
  /** Row's interval at `now` from the B models' predictions there; its label closes at `closesAt`. */
  predict(row: number, memberPredictions: Float64Array, now: number, closesAt: number): EnbpiInterval
  /** Row's outcome y, known at `now`: its residual replaces the window's oldest. */
  observe(row: number, y: number, now: number): void
  /** A deep copy of the state, JSON-ready. */
  state(): EnbpiState
}

const WHO = 'enbpi'

function parseParams(params: unknown): EnbpiParams {
  const parsed = enbpiParams.safeParse(params)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`)
    throw new Error(`enbpi: invalid parameters: ${issues.join('; ')}`)
  }
  return parsed.data
}

function machine(s: EnbpiState): Enbpi {
  const feed = s as Feed<EnbpiPending>
  const window = scoreWindow(s.residuals, s.window)
  const buf = new Float64Array(s.models)
  return {
    predict(row, memberPredictions, now, closesAt) {
      if (memberPredictions.length !== s.models)
        throw new Error(`enbpi: row ${row} has ${memberPredictions.length} model predictions, not ${s.models}`)
      memberPredictions.forEach((v, b) => {
        if (!Number.isFinite(v)) throw new Error(`enbpi: model ${b}'s prediction at row ${row} is ${v}`)
      })
      admitPrediction(feed, row, now, closesAt, WHO)
      buf.set(memberPredictions)
      const centre = aggregate(buf, s.models, s.params.aggregate)
      const h = window.quantile(s.params.coverage)
      s.pending.push({ row, closesAt, centre })
      return { lo: centre - h, hi: centre + h, centre }
    },
    observe(row, y, now) {
      if (!Number.isFinite(y)) throw new Error(`enbpi: row ${row}'s outcome is ${y}`)
      // Checked before the feed takes the row, so a refused outcome leaves the state as it was.
      const waiting = s.pending.find((p) => p.row === row)
      if (waiting && !Number.isFinite(Math.abs(y - waiting.centre)))
        throw new Error(`enbpi: row ${row}'s residual |${y} - ${waiting.centre}| is not finite`)
      const p = takeOutcome(feed, row, now, WHO)
      window.push(Math.abs(y - p.centre))
    },
    state: () => structuredClone(s),
  }
}

/** EnbPI from B fitted members (bags and predictions at the n training rows) and the training targets. */
export function fitEnbpi(members: readonly BootstrapMember[], y: Float64Array, params: Partial<EnbpiParams>): Enbpi {
  const p = parseParams(params)
  const n = y.length
  checkMembers(members, n)
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new Error(`enbpi: target at training row ${i} is ${y[i]}`)
  }
  const out = leftOut(members, n)
  if (out.rows.length === 0)
    throw new Error(`enbpi: every training row is in all ${members.length} bags, so none has a held-out residual`)
  const loo = looAggregatesAtTrain(members, out, p.aggregate)
  return enbpiFromResiduals(
    Float64Array.from(out.rows, (i, k) => Math.abs(y[i] - loo[k])),
    members.length,
    out.inEveryBag,
    p,
  )
}

/**
 * EnbPI from held-out residuals already measured (in time order, oldest first) by B models: what fitEnbpi does after
 * its leave-one-out aggregates, for a caller that computed them itself (the run, over purged bags).
 */
export function enbpiFromResiduals(
  residuals: Float64Array,
  models: number,
  inEveryBag: number,
  params: Partial<EnbpiParams>,
): Enbpi {
  const p = parseParams(params)
  if (residuals.length === 0) throw new Error('enbpi: no held-out residual to start the window')
  residuals.forEach((r, i) => {
    if (!(r >= 0 && Number.isFinite(r))) throw new Error(`enbpi: residual ${i} is ${r}`)
  })
  return machine({
    format: FORMAT,
    params: p,
    models,
    window: residuals.length,
    residuals: [...residuals],
    inEveryBag,
    ...emptyFeed<EnbpiPending>(),
  })
}

/** Resumes from a saved state (e.g. JSON.parse of JSON.stringify(enbpi.state())); one that does not parse is an error. */
export function resumeEnbpi(saved: unknown): Enbpi {
  const parsed = enbpiStateSchema.safeParse(saved)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`)
    throw new Error(`enbpi: not a saved EnbPI state: ${issues.join('; ')}`)
  }
  const s = parsed.data
  if (s.residuals.length !== s.window)
    throw new Error(`enbpi: the saved state holds ${s.residuals.length} residuals, not its window of ${s.window}`)
  return machine(s)
}

export interface EnbpiReplay {
  readonly lo: Float64Array
  readonly hi: Float64Array
  readonly centre: Float64Array
}

/**
 * The stream replayed in batch: rows 0..m-1 predicted at `time` from `memberPredictions` (row-major, m x B), labels
 * closing at `closesAt` fed in the label feed's order. The same calls as live.
 */
export function replayEnbpi(
  enbpi: Enbpi,
  rows: {
    readonly time: Float64Array
    readonly closesAt: Float64Array
    readonly memberPredictions: Float64Array
    readonly y: Float64Array
  },
): EnbpiReplay {
  const m = rows.time.length
  const models = enbpi.state().models
  if (rows.memberPredictions.length !== m * models || rows.y.length !== m)
    throw new Error(
      `enbpi: ${rows.memberPredictions.length} member predictions and ${rows.y.length} outcomes for ${m} rows of ${models} models`,
    )
  const out: EnbpiReplay = { lo: new Float64Array(m), hi: new Float64Array(m), centre: new Float64Array(m) }
  for (const e of replayOrder(rows.time, rows.closesAt)) {
    if (e.kind === 'observe') {
      enbpi.observe(e.row, rows.y[e.row], rows.closesAt[e.row])
    } else {
      const at = rows.memberPredictions.subarray(e.row * models, (e.row + 1) * models)
      const iv = enbpi.predict(e.row, at, rows.time[e.row], rows.closesAt[e.row])
      out.lo[e.row] = iv.lo
      out.hi[e.row] = iv.hi
      out.centre[e.row] = iv.centre
    }
  }
  return out
}
