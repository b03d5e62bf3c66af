/**
 * Adaptive conformal inference (Gibbs and Candes, 2021): split conformal whose level moves with its own mistakes, so
 * coverage comes back after the data drift. Row t's interval is prediction +- the conformal quantile (./quantile.ts)
 * of the calibration scores |y - prediction| at coverage 1 - alpha_t; once row t's outcome is known,
 *
 *   alpha_{t+1} = alpha_t + gamma (alpha - err_t),   err_t = 1 when y_t fell outside row t's interval,
 *
 * with alpha = 1 - coverage and alpha_1 = alpha. Whatever the data, the share of misses over T outcomes stays within
 * (max(alpha_1, 1 - alpha_1) + gamma) / (gamma T) of alpha when each outcome is known before the next prediction
 * (with labels closing h steps later, the bound loosens by about h - 1 steps of gamma).
 *
 * alpha_t leaves (0, 1) on purpose, and the bound needs what the paper does there: alpha_t <= 0 gives the whole line
 * (lo = -Infinity, hi = +Infinity, never a miss); alpha_t >= 1 gives the empty set, reported as lo = hi = prediction
 * with zero width and counted a miss whatever y is (so an outcome equal to the prediction cannot stall alpha).
 *
 * Scores: a fixed calibration set (window null), or a rolling window of the latest `window` scores, which starts from
 * the calibration set's last `window` scores and takes each outcome's score when it is fed. Outcomes come through the
 * label feed (./label-feed.ts): a label is used only once its span has closed, in the order labels close. The state
 * is plain data, checked by a zod schema on resume, so a server can save it and go on where it stopped.
 *
 * Nothing falls back: parameters outside their ranges, a resumed state of another format or a fixed set without
 * scores are errors (MAPIE#447 silently swapped ACI for another method around a prefit model).
 */
import { z } from 'zod'
import { admitPrediction, emptyFeed, feedFields, replayOrder, takeOutcome, type Feed } from './label-feed.js'
import { scoreWindow, type ScoreWindow } from './score-window.js'

export const aciParams = z.strictObject({
  coverage: z.number().gt(0).lt(1).describe('long-run share of outcomes inside the interval'),
  gamma: z
    .number()
    .gt(0)
    .max(1)
    .default(0.005)
    .describe('step of the alpha update: larger adapts faster and makes the intervals jumpier (0.005 in the paper)'),
  window: z
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('scores kept: the latest `window` (rolling), or null for the fixed calibration set'),
})
export type AciParams = z.infer<typeof aciParams>

const FORMAT = 'mlfactory.aci/1'

const pendingSchema = z.strictObject({
  row: z.int(),
  closesAt: z.number().finite(),
  prediction: z.number().finite(),
  /** alpha_t when the row was predicted. */
  alpha: z.number().finite(),
  /** The half-width used; null when it was unbounded. */
  margin: z.number().finite().min(0).nullable(),
})
type AciPending = z.infer<typeof pendingSchema>

export const aciStateSchema = z.strictObject({
  format: z.literal(FORMAT),
  params: aciParams,
  alpha: z.number().finite(),
  scores: z.array(z.number().finite().min(0)),
  ...feedFields,
  pending: z.array(pendingSchema),
  /** Outcomes fed and misses among them. */
  outcomes: z.int().min(0),
  misses: z.int().min(0),
})
export type AciState = z.infer<typeof aciStateSchema>

export interface AciInterval {
  readonly lo: number
  readonly hi: number
}

export interface Aci {
  /** alpha_t: the level the next interval is built at. */
  readonly alpha: number
  /** Row's interval at time `now`, its label closing at `closesAt`. */
  predict(row: number, prediction: number, now: number, closesAt: number): AciInterval
  /** Row's outcome y, known at `now`: true when it was a miss. Updates alpha (and the rolling window). */
  observe(row: number, y: number, now: number): boolean
  /** A deep copy of the state, JSON-ready. */
  state(): AciState
}

const WHO = 'aci'

function parseParams(params: unknown): AciParams {
  const parsed = aciParams.safeParse(params)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`)
    throw new Error(`aci: invalid parameters: ${issues.join('; ')}`)
  }
  return parsed.data
}

/** The half-width at level alpha_t: +Infinity at or below 0, -1 (the empty set) at or above 1. */
function margin(window: ScoreWindow, alphaT: number): number {
  // An alpha_t a rounding error above 0 (after steps of gamma that cancel) leaves 1 - alpha_t equal to 1: still the
  // whole line, as at 0.
  if (alphaT <= 0 || 1 - alphaT === 1) return Infinity
  if (alphaT >= 1) return -1
  return window.quantile(1 - alphaT)
}

function machine(s: AciState): Aci {
  const feed = s as Feed<AciPending>
  const target = 1 - s.params.coverage
  // A fixed set never takes a score; its window is never pushed.
  const window = scoreWindow(s.scores, s.params.window)
  return {
    get alpha() {
      return s.alpha
    },
    predict(row, prediction, now, closesAt) {
      if (!Number.isFinite(prediction)) throw new Error(`aci: row ${row}'s prediction is ${prediction}`)
      admitPrediction(feed, row, now, closesAt, WHO)
      const h = margin(window, s.alpha)
      s.pending.push({ row, closesAt, prediction, alpha: s.alpha, margin: h === Infinity ? null : Math.max(h, 0) })
      if (h < 0) return { lo: prediction, hi: prediction }
      return { lo: prediction - h, hi: prediction + h }
    },
    observe(row, y, now) {
      if (!Number.isFinite(y)) throw new Error(`aci: row ${row}'s outcome is ${y}`)
      // Checked before the feed takes the row, so a refused outcome leaves the state as it was.
      const waiting = s.pending.find((p) => p.row === row)
      if (waiting && !Number.isFinite(Math.abs(y - waiting.prediction)))
        throw new Error(`aci: row ${row}'s score |${y} - ${waiting.prediction}| is not finite`)
      const p = takeOutcome(feed, row, now, WHO)
      const score = Math.abs(y - p.prediction)
      const miss = p.alpha >= 1 || (p.margin !== null && score > p.margin)
      s.alpha += s.params.gamma * (target - (miss ? 1 : 0))
      s.outcomes++
      if (miss) s.misses++
      if (s.params.window !== null) window.push(score)
      return miss
    },
    state: () => structuredClone(s),
  }
}

/** A fresh ACI at alpha_1 = 1 - coverage, on `calibration` scores (|y - prediction| of held-out rows). */
export function createAci(params: Partial<AciParams>, calibration: Float64Array): Aci {
  const p = parseParams(params)
  calibration.forEach((v, i) => {
    if (!(v >= 0 && Number.isFinite(v))) throw new Error(`aci: calibration row ${i}'s score is ${v}`)
  })
  if (p.window === null && calibration.length === 0)
    throw new Error('aci: a fixed calibration set needs scores (or set a rolling window to learn them online)')
  const scores = [
    ...(p.window === null ? calibration : calibration.subarray(Math.max(0, calibration.length - p.window))),
  ]
  return machine({
    format: FORMAT,
    params: p,
    alpha: 1 - p.coverage,
    scores,
    ...emptyFeed<AciPending>(),
    outcomes: 0,
    misses: 0,
  })
}

/** Resumes from a saved state (e.g. JSON.parse of JSON.stringify(aci.state())); a state that does not parse is an error. */
export function resumeAci(saved: unknown): Aci {
  const parsed = aciStateSchema.safeParse(saved)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`)
    throw new Error(`aci: not a saved ACI state: ${issues.join('; ')}`)
  }
  const s = parsed.data
  if (s.params.window === null && s.scores.length === 0)
    throw new Error('aci: the saved state has a fixed calibration set without scores')
  if (s.params.window !== null && s.scores.length > s.params.window)
    throw new Error(`aci: the saved state holds ${s.scores.length} scores, more than its window of ${s.params.window}`)
  return machine(s)
}

export interface AciReplay {
  readonly lo: Float64Array
  readonly hi: Float64Array
  /** alpha_t each row was predicted at. */
  readonly alpha: Float64Array
  /** 1 when the row's outcome was fed and missed, 0 when fed and covered, -1 when its label had not closed. */
  readonly miss: Int8Array
}

/**
 * The stream replayed in batch: rows 0..m-1 predicted at `time`, labels closing at `closesAt` and fed in the label
 * feed's order (replayOrder). The same calls as live, so the result is what a live stream would have given.
 */
export function replayAci(
  aci: Aci,
  rows: {
    readonly time: Float64Array
    readonly closesAt: Float64Array
    readonly prediction: Float64Array
    readonly y: Float64Array
  },
): AciReplay {
  const m = rows.time.length
  if (rows.prediction.length !== m || rows.y.length !== m)
    throw new Error(`aci: ${rows.prediction.length} predictions and ${rows.y.length} outcomes for ${m} rows`)
  const out: AciReplay = {
    lo: new Float64Array(m),
    hi: new Float64Array(m),
    alpha: new Float64Array(m),
    miss: new Int8Array(m).fill(-1),
  }
  for (const e of replayOrder(rows.time, rows.closesAt)) {
    if (e.kind === 'observe') {
      out.miss[e.row] = aci.observe(e.row, rows.y[e.row], rows.closesAt[e.row]) ? 1 : 0
    } else {
      out.alpha[e.row] = aci.alpha
      const iv = aci.predict(e.row, rows.prediction[e.row], rows.time[e.row], rows.closesAt[e.row])
      out.lo[e.row] = iv.lo
      out.hi[e.row] = iv.hi
    }
  }
  return out
}
