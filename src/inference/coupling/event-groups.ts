/**
 * The event-group workflow behind `mlf couple`: rows of bracket predictions (one row per event group and outcome) are
 * gathered into groups, checked for coverage (exactly one row for each of the K outcomes), coupled by one method with
 * its parameter tuned on the earliest labelled groups (dev), and scored on the later ones only, against the raw
 * probabilities renormalised. Pure: reading and writing files is the command's business.
 */
import { brier, classCalibration, logLoss } from '../calibration/metrics.js'
import { coupleDirichlet, fitDirichletCoupling, type DirichletCouplingState } from './dirichlet.js'
import { renormalised } from './groups.js'
import { applyMetaModel, fitMetaModel, type MetaModelState } from './meta-model.js'
import { couplePairwise, type PairwiseState } from './pairwise.js'
import { coupleSoftmaxLogit, fitSoftmaxLogit, type SoftmaxLogitState } from './softmax-logit.js'

export const COUPLING_METHODS = ['softmax_logit', 'pairwise', 'dirichlet', 'meta'] as const
export type CouplingMethod = (typeof COUPLING_METHODS)[number]
export type CouplingState = SoftmaxLogitState | PairwiseState | DirichletCouplingState | MetaModelState

/** One input row: which group and outcome it is, its bracket probability, and what else the command read. */
export interface EventRow {
  /** The group's key values (e.g. event date and timestamp). */
  readonly group: readonly string[]
  readonly outcome: string
  readonly p: number
  /** 1 if this outcome happened, 0 if not, null if not known (yet). */
  readonly label: 0 | 1 | null
  /** Market price of the bracket as a probability, or null. */
  readonly price: number | null
  /** Context values for the meta-model (the same on every row of a group). */
  readonly context: readonly number[]
  /** Source line, for messages. */
  readonly line: number
}

export interface CoupleOptions {
  readonly method: CouplingMethod
  readonly tau: number | 'auto'
  readonly alpha: number | 'auto'
  /** What happens to a group without exactly one row per outcome: left out of the output, or written uncoupled. */
  readonly missing: 'skip' | 'uncoupled'
  /** Share of the labelled complete groups, earliest first, used to tune (dev); scores come from the rest. */
  readonly devFraction: number
  /** Bins of the per-class ECE. */
  readonly bins?: number
}

export interface Scores {
  readonly log_loss: number
  readonly brier: number
  /** Mean of the per-class ECEs. */
  readonly classwise_ece: number
  /** ECE of each outcome's probability, in the order of `outcomes`. */
  readonly ece: readonly number[]
}

export interface IncompleteGroup {
  readonly group: string
  readonly lines: readonly number[]
  readonly missing: readonly string[]
}

export interface CoupleSummary {
  readonly method: CouplingMethod
  readonly state: CouplingState
  readonly outcomes: readonly string[]
  readonly groups: {
    readonly total: number
    readonly coupled: number
    /** Groups without one row per outcome, and what was done with them. */
    readonly incomplete: number
    readonly policy: 'skip' | 'uncoupled'
    readonly examples: readonly IncompleteGroup[]
  }
  /** Complete groups whose outcome is known (scored or dev) and not known. */
  readonly labelled: number
  readonly unlabelled: number
  readonly dev: { readonly groups: number; readonly first_line: number; readonly last_line: number } | null
  readonly scored: number
  /** Sum of the raw bracket probabilities per complete group: how far from coherent the bracket models are. */
  readonly raw_sum: { readonly mean: number; readonly min: number; readonly max: number } | null
  readonly metrics: { readonly uncoupled: Scores; readonly coupled: Scores; readonly market?: Scores } | null
  readonly notes: readonly string[]
}

export interface CoupleResult {
  /** Per input row: 1 if it is written out. */
  readonly keep: Uint8Array
  /** Per input row: the coupled probability (the raw one for an uncoupled group); meaningless where keep is 0. */
  readonly coupled: Float64Array
  readonly summary: CoupleSummary
}

/** Incomplete groups listed by name in the summary; the count covers all. */
const EXAMPLES = 5
/** The meta-model's dev groups: this share (earliest) fits the regression, the rest its calibration. */
const META_FIT_SHARE = 2 / 3

const keyOf = (g: readonly string[]) => g.join('\u0000')
const shownKey = (g: readonly string[]) => g.join(', ')

interface Group {
  readonly key: readonly string[]
  /** Row indices, one per outcome index when complete. */
  readonly rows: number[]
  complete: boolean
  /** Outcome index, -1 when unknown. */
  outcome: number
}

/** Gathers rows into groups (in order of first appearance), checks coverage, duplicates and labels. */
function gather(rows: readonly EventRow[], outcomes: readonly string[]): Group[] {
  const k = outcomes.length
  const outcomeIndex = new Map(outcomes.map((o, i) => [o, i]))
  const byKey = new Map<string, Group>()
  const order: Group[] = []
  for (let r = 0; r < rows.length; r++) {
    const key = keyOf(rows[r].group)
    let g = byKey.get(key)
    if (!g) {
      g = { key: rows[r].group, rows: new Array<number>(k).fill(-1), complete: false, outcome: -1 }
      byKey.set(key, g)
      order.push(g)
    }
    const o = outcomeIndex.get(rows[r].outcome)!
    if (g.rows[o] >= 0)
      throw new Error(
        `line ${rows[r].line}: group (${shownKey(g.key)}) has outcome "${rows[r].outcome}" twice ` +
          `(lines ${rows[g.rows[o]].line} and ${rows[r].line})`,
      )
    g.rows[o] = r
  }
  for (const g of order) {
    g.complete = g.rows.every((r) => r >= 0)
    if (!g.complete) continue
    const labels = g.rows.map((r) => rows[r].label)
    const lines = g.rows.map((r) => rows[r].line).join(', ')
    if (labels.every((l) => l === null)) continue
    if (labels.some((l) => l === null))
      throw new Error(`group (${shownKey(g.key)}), lines ${lines}: some rows have a label and some do not`)
    const hits = labels.filter((l) => l === 1).length
    if (hits !== 1)
      throw new Error(
        `group (${shownKey(g.key)}), lines ${lines}: ${hits} outcomes labelled 1; exclusive outcomes need exactly one`,
      )
    g.outcome = labels.indexOf(1)
  }
  return order
}

function scores(q: Float64Array, y: Float64Array, k: number, bins: number): Scores {
  const ece = Array.from({ length: k }, (_, c) => classCalibration(q, y, k, c, bins).ece)
  return {
    log_loss: logLoss(q, y, k),
    brier: brier(q, y, k),
    classwise_ece: ece.reduce((s, v) => s + v, 0) / k,
    ece,
  }
}

/** (groups, k) values of `pick(row index)`, outcome by outcome. */
function matrix(groups: readonly Group[], k: number, pick: (row: number) => number): Float64Array {
  const out = new Float64Array(groups.length * k)
  groups.forEach((g, i) => g.rows.forEach((r, c) => (out[i * k + c] = pick(r))))
  return out
}

function contextOf(rows: readonly EventRow[], groups: readonly Group[]): { x: Float64Array; c: number } {
  const c = groups.length ? rows[groups[0].rows[0]].context.length : 0
  const x = new Float64Array(groups.length * c)
  groups.forEach((g, i) => {
    const first = rows[g.rows[0]]
    for (const r of g.rows) {
      for (let m = 0; m < c; m++) {
        if (rows[r].context[m] !== first.context[m])
          throw new Error(
            `group (${shownKey(g.key)}): context column ${m + 1} is ${first.context[m]} on line ${first.line} but ` +
              `${rows[r].context[m]} on line ${rows[r].line}; context must be the same on every row of a group`,
          )
      }
    }
    for (let m = 0; m < c; m++) x[i * c + m] = first.context[m]
  })
  return { x, c }
}

/** Whether the method has something to tune on dev groups. */
export const tunesOnDev = (o: Pick<CoupleOptions, 'method' | 'tau' | 'alpha'>): boolean =>
  o.method === 'meta' ||
  (o.method === 'softmax_logit' && o.tau === 'auto') ||
  (o.method === 'dirichlet' && o.alpha === 'auto')

function fit(rows: readonly EventRow[], dev: readonly Group[], k: number, options: CoupleOptions): CouplingState {
  const p = matrix(dev, k, (r) => rows[r].p)
  const y = dev.map((g) => g.outcome)
  switch (options.method) {
    case 'softmax_logit':
      return fitSoftmaxLogit({ tau: options.tau }, p, y, k)
    case 'dirichlet':
      return fitDirichletCoupling({ alpha: options.alpha }, p, y, k)
    case 'pairwise':
      return { method: 'pairwise', classes: k }
    case 'meta': {
      const cut = Math.round(dev.length * META_FIT_SHARE)
      if (cut < 1 || cut >= dev.length)
        throw new Error(
          `meta: ${dev.length} dev groups cannot be split into a fit part and a calibration part; raise --dev-fraction`,
        )
      const part = (gs: readonly Group[]) => ({
        p: matrix(gs, k, (r) => rows[r].p),
        context: contextOf(rows, gs).x,
        y: gs.map((g) => g.outcome),
      })
      const c = contextOf(rows, dev).c
      return fitMetaModel(part(dev.slice(0, cut)), part(dev.slice(cut)), k, c)
    }
  }
}

function apply(state: CouplingState, p: Float64Array, k: number, context: Float64Array): Float64Array {
  switch (state.method) {
    case 'softmax_logit':
      return coupleSoftmaxLogit(p, k, state.tau)
    case 'dirichlet':
      return coupleDirichlet(p, k, state.alpha)
    case 'pairwise':
      return couplePairwise(p, k)
    case 'meta':
      return applyMetaModel(state, p, context)
  }
}

/**
 * Couples every complete group of `rows`. K is the number of distinct outcome values (in order of first appearance).
 * Tuning sees only the dev groups (the earliest labelled ones, in file order: the file must be in time order); the
 * metrics are computed on the labelled groups after them, so no group is scored by a parameter tuned on it.
 */
export function coupleEventRows(rows: readonly EventRow[], options: CoupleOptions): CoupleResult {
  const bins = options.bins ?? 10
  if (!(options.devFraction >= 0 && options.devFraction < 1))
    throw new Error(`--dev-fraction must be in [0, 1), got ${options.devFraction}`)
  const outcomes: string[] = []
  const seen = new Set<string>()
  for (const r of rows) {
    if (!seen.has(r.outcome)) {
      seen.add(r.outcome)
      outcomes.push(r.outcome)
    }
  }
  const k = outcomes.length
  if (k < 2) throw new Error(`${k} distinct outcome value(s) in the file; coupling needs at least 2`)
  const groups = gather(rows, outcomes)
  const complete = groups.filter((g) => g.complete)
  const labelled = complete.filter((g) => g.outcome >= 0)
  const notes: string[] = []

  const nDev = options.devFraction > 0 ? Math.max(1, Math.round(options.devFraction * labelled.length)) : 0
  const dev = labelled.slice(0, Math.min(nDev, labelled.length))
  const scored = labelled.slice(dev.length)
  if (tunesOnDev(options) && dev.length === 0)
    throw new Error(
      `${options.method === 'meta' ? 'the meta method' : `${options.method} with auto`} tunes on dev groups: it needs ` +
        `labelled groups (--label) and --dev-fraction > 0 (${labelled.length} labelled complete groups)`,
    )
  const state = fit(rows, dev, k, options)

  const keep = new Uint8Array(rows.length)
  const coupled = new Float64Array(rows.length)
  if (complete.length > 0) {
    const p = matrix(complete, k, (r) => rows[r].p)
    const q = apply(state, p, k, options.method === 'meta' ? contextOf(rows, complete).x : new Float64Array(0))
    complete.forEach((g, i) =>
      g.rows.forEach((r, c) => {
        keep[r] = 1
        coupled[r] = q[i * k + c]
      }),
    )
  }
  const incomplete = groups.filter((g) => !g.complete)
  if (options.missing === 'uncoupled') {
    for (const g of incomplete) {
      for (const r of g.rows) {
        if (r < 0) continue
        keep[r] = 1
        coupled[r] = rows[r].p
      }
    }
  }

  let rawSum: CoupleSummary['raw_sum'] = null
  if (complete.length > 0) {
    const sums = complete.map((g) => g.rows.reduce((s, r) => s + rows[r].p, 0))
    rawSum = { mean: sums.reduce((a, b) => a + b, 0) / sums.length, min: Math.min(...sums), max: Math.max(...sums) }
  }

  let metrics: CoupleSummary['metrics'] = null
  if (scored.length > 0) {
    const y = Float64Array.from(scored, (g) => g.outcome)
    const raw = matrix(scored, k, (r) => rows[r].p)
    const q = matrix(scored, k, (r) => coupled[r])
    metrics = { uncoupled: scores(renormalised(raw, k), y, k, bins), coupled: scores(q, y, k, bins) }
    const priced = scored.every((g) => g.rows.every((r) => rows[r].price !== null))
    if (priced) {
      const market = renormalised(
        matrix(scored, k, (r) => rows[r].price!),
        k,
        'market prices',
      )
      metrics = { ...metrics, market: scores(market, y, k, bins) }
    } else if (rows.some((r) => r.price !== null)) {
      notes.push('market column left out: some scored groups lack a price on some row')
    }
  } else if (labelled.length === 0) {
    notes.push('no labelled complete groups: nothing to score')
  } else {
    notes.push('every labelled group went to dev: nothing left to score; lower --dev-fraction')
  }

  const rowOf = (g: Group) => g.rows.filter((r) => r >= 0)
  return {
    keep,
    coupled,
    summary: {
      method: options.method,
      state,
      outcomes,
      groups: {
        total: groups.length,
        coupled: complete.length,
        incomplete: incomplete.length,
        policy: options.missing,
        examples: incomplete.slice(0, EXAMPLES).map((g) => ({
          group: shownKey(g.key),
          lines: rowOf(g).map((r) => rows[r].line),
          missing: outcomes.filter((_, c) => g.rows[c] < 0),
        })),
      },
      labelled: labelled.length,
      unlabelled: complete.length - labelled.length,
      dev:
        dev.length > 0
          ? {
              groups: dev.length,
              first_line: Math.min(...rowOf(dev[0]).map((r) => rows[r].line)),
              last_line: Math.max(...rowOf(dev[dev.length - 1]).map((r) => rows[r].line)),
            }
          : null,
      scored: scored.length,
      raw_sum: rawSum,
      metrics,
      notes,
    },
  }
}
