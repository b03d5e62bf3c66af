import type { Bars } from '../data/bars.js'
import type { FeatureFrame } from '../features/frame.js'
import type { DataView, RowOutcomes, ViewKind, ViewSet } from '../features/views/types.js'
import { windowTensor } from '../features/views/window.js'
import { foundationView } from '../features/views/foundation.js'
import { multiResView } from '../features/views/multi-res.js'
import type { Model, Outputs } from '../models/contract.js'
import { isComposite, leafModels } from '../models/composite.js'
import { registry } from '../models/registry.js'
import { matrixFor } from './dataset.js'
import { firstBadDistribution } from '../core/probabilities.js'
import { selectColumns } from '../ensemble/voting.js'

export const K = 3

export interface ViewOptions {
  readonly windowSteps: number
  readonly windowFeatures?: readonly string[]
  /** Bars of OHLC history per foundation sample (views.foundation_context). */
  readonly foundationContext: number
  /** The multi_res view's parts and feature kinds (views.multi_res). */
  readonly multiRes: {
    readonly parts: readonly { readonly timeframe: string; readonly steps: number }[]
    readonly features: readonly string[]
  }
  /** The bars the frame was computed from (one per frame row): what the foundation view reads. */
  readonly bars?: Bars
}

export function viewOptions(
  config: {
    views: {
      window_steps: number
      window_features?: readonly string[]
      foundation_context: number
      multi_res: ViewOptions['multiRes']
    }
  },
  bars?: Bars,
): ViewOptions {
  return {
    windowSteps: config.views.window_steps,
    windowFeatures: config.views.window_features,
    foundationContext: config.views.foundation_context,
    multiRes: config.views.multi_res,
    ...(bars ? { bars } : {}),
  }
}

/** The view a model of `kind` takes, over `rows` of the frame. */
export function buildView(kind: ViewKind, frame: FeatureFrame, rows: Int32Array, opts: ViewOptions): DataView {
  if (kind === 'feature_matrix') return matrixFor(frame, rows)
  if (kind === 'window_tensor')
    return windowTensor(frame, { steps: opts.windowSteps, names: opts.windowFeatures, rows })
  if (kind === 'foundation') {
    if (!opts.bars || opts.bars.length !== frame.length)
      throw new Error('the foundation view reads the bars the features were computed from; none were given')
    return foundationView(opts.bars, { context: opts.foundationContext, rows })
  }
  if (kind === 'multi_res') return multiResView(frame, { ...opts.multiRes, rows })
  throw new Error(`mlf run does not build ${kind} views yet`)
}

/** What history a row needs behind it to be a sample for every model of a run. */
export interface ViewNeeds {
  readonly window: boolean
  readonly foundation: boolean
  readonly multiRes: boolean
}

/**
 * The history a row needs behind it for the views the config's base models take (every head's, base_models[].view
 * or the model's own): a window, a foundation context, multi-resolution windows. The run and scoring through a
 * bundle (its config) both ask this, so they keep the same rows.
 */
export function viewNeeds(config: { base_models: readonly { name: string; view?: ViewKind }[] }): ViewNeeds {
  const kinds = new Set(config.base_models.map((m) => m.view ?? registry.get(m.name)?.spec.inputView))
  return { window: kinds.has('window_tensor'), foundation: kinds.has('foundation'), multiRes: kinds.has('multi_res') }
}

/**
 * Rows that can be samples for every model: usable features and, when window models take part, a whole window of
 * usable history behind the row; when foundation models take part, a whole context of bars behind it; when
 * multi_res models take part, every part's window of closed higher-timeframe bars past warm-up.
 */
export function sampleMask(frame: FeatureFrame, opts: ViewOptions, needs: ViewNeeds): Uint8Array {
  const mask = Uint8Array.from(frame.usable)
  if (needs.multiRes) {
    // Rows where every part's window of closed bars is past its features' warm-up.
    const ok = new Uint8Array(mask.length)
    for (const r of multiResView(frame, opts.multiRes).rows) ok[r] = 1
    for (let r = 0; r < mask.length; r++) mask[r] &= ok[r]
  }
  for (let r = 0; r < mask.length; r++) {
    if (needs.window) {
      const first = r - opts.windowSteps + 1
      if (first < 0 || !frame.usable[first]) mask[r] = 0
    }
    if (needs.foundation && r < opts.foundationContext - 1) mask[r] = 0
  }
  return mask
}

/** A link's output that is not a probability distribution: not finite (`nonFinite`), or not summing to one. */
export class InvalidOutputError extends Error {
  constructor(
    message: string,
    readonly nonFinite: boolean,
  ) {
    super(message)
  }
}

/** Throw, naming the link, the row and its bar, unless every row of `p` is a probability distribution. */
export function checkDistributions(p: Float64Array, link: string, ts: Float64Array, rows: Int32Array): Float64Array {
  const bad = firstBadDistribution(p, K)
  if (bad) {
    const at = rows[bad.row]
    const when = Number.isFinite(ts[at]) ? new Date(ts[at]).toISOString() : '?'
    throw new InvalidOutputError(
      `${link} gave no valid probabilities for row ${at} (bar ${when}): [${bad.values.join(', ')}]; nothing was written`,
      bad.values.some((v) => !Number.isFinite(v)),
    )
  }
  return p
}

/**
 * Outputs of a model on `rows`: its class probabilities (n, 3), from `p` or, for binary models, from `p_up`, checked
 * valid, and whatever it gives beside them (a gate's member weights). `outcomes`: the rows' outcome times and
 * labels, for an ensemble whose combiner learns online.
 */
export function modelOutputs(
  model: Model,
  frame: FeatureFrame,
  rows: Int32Array,
  opts: ViewOptions,
  features?: readonly string[],
  outcomes?: RowOutcomes,
): Outputs & { p: Float64Array } {
  let out
  // Ensemble members may take different views: they get one view set. A wrapper takes its inner model's view.
  if (model.spec.family === 'ensemble' && isComposite(model)) {
    // The ensemble's own view too: a combiner with meta-features reads them from the feature matrix.
    const kinds = [...new Set([model.spec.inputView, ...leafModels(model).map((l) => l.model.spec.inputView)])]
    const views = Object.fromEntries(kinds.map((k) => [k, buildView(k, frame, rows, opts)]))
    const set: ViewSet = { kind: 'view_set', n: rows.length, views, ...(outcomes ? { outcomes } : {}) }
    out = model.predict(set as never)
  } else {
    const all = buildView(model.spec.inputView, frame, rows, opts)
    out = model.predict(features && all.kind === 'feature_matrix' ? selectColumns(all, features) : all)
  }
  if (!out.p || out.classes !== K) throw new Error(`model ${model.spec.name} did not give ${K}-class probabilities`)
  checkDistributions(out.p, `model ${model.spec.name}`, frame.ts, rows)
  return out as Outputs & { p: Float64Array }
}

/** Class probabilities (n, 3) of a model on `rows`, from `p` or, for binary models, from `p_up`; checked valid. */
export function classProbabilities(
  model: Model,
  frame: FeatureFrame,
  rows: Int32Array,
  opts: ViewOptions,
  features?: readonly string[],
): Float64Array {
  return modelOutputs(model, frame, rows, opts, features).p
}

/** Columns the other heads may add to predictions, in this order: (output, CSV header). */
export const HEAD_CSV_COLUMNS = [
  // The p head's P(up) is already p_up: the binary head's column is named apart.
  ['p_up', 'p_up_binary'],
  ['E_r', 'E_r'],
  ['q_lo', 'q_lo'],
  ['q_hi', 'q_hi'],
  ['q05', 'q05'],
  ['q50', 'q50'],
  ['q95', 'q95'],
] as const

/** The columns the other heads and the multi-head targets add, in the order predictions list them: (name, values). */
function extraColumns(heads?: Outputs): [string, Float64Array][] {
  return [
    ...HEAD_CSV_COLUMNS.filter(([c]) => heads?.[c] instanceof Float64Array).map(([c, h]): [string, Float64Array] => [
      h,
      heads![c] as Float64Array,
    ]),
    // The multi-head targets after the heads, in the order the run trains them.
    ...Object.entries(heads?.targets ?? {}),
  ]
}

/**
 * The chain's outputs on scored rows, one named column each, named and ordered as predictions CSV has them: p_down,
 * p_flat, p_up, then the other heads' columns (p_up_binary, E_r, q_lo, q_hi, q05, q50, q95) and the multi-head
 * targets the chain makes, then a gate's member weights (w_<member>). The policies' signals are decisions, not
 * outputs, and are left out. These are the outputs drift monitoring follows.
 */
export function outputColumns(
  p: Float64Array,
  heads?: Outputs,
  weights?: GateWeights,
): { name: string; values: Float64Array }[] {
  const n = p.length / K
  const classes = ['p_down', 'p_flat', 'p_up'].map((name, k) => ({
    name,
    values: Float64Array.from({ length: n }, (_, i) => p[i * K + k]),
  }))
  const M = weights?.members.length ?? 0
  const gate = weightColumns(weights?.members ?? []).map((name, j) => ({
    name,
    values: Float64Array.from({ length: n }, (_, i) => weights!.w[i * M + j]),
  }))
  return [...classes, ...extraColumns(heads).map(([name, values]) => ({ name, values })), ...gate]
}

/** Positions of a policy beside the primary one (a list of policies), written as `signal_<kind>`. */
export interface PolicyPositions {
  readonly kind: string
  readonly positions: Float64Array
}

/**
 * CSV of predictions: the bar time (decision at its close), the three class probabilities, the primary policy's
 * target position (`signal`: -1, 0, 1 for threshold, a fraction of capital for sizing policies), prediction sets and
 * other heads where the chain makes them, and the other policies' positions of a list.
 */
/** A gate's member weights at each row: row-major (rows, members). */
export interface GateWeights {
  readonly members: readonly string[]
  readonly w: Float64Array
}

/** The CSV header of a gate's weight of each member. */
export const weightColumns = (members: readonly string[]): string[] => members.map((m) => `w_${m}`)

export function predictionsCsv(
  bars: Bars,
  rows: Int32Array,
  p: Float64Array,
  signals: ArrayLike<number>,
  sets?: Uint8Array,
  heads?: Outputs,
  otherPolicies: readonly PolicyPositions[] = [],
  weights?: GateWeights,
): string {
  // Set, head and weight columns only when the chain makes them: files of runs without them keep their bytes.
  const extra = extraColumns(heads)
  const cols = extra.map(([, v]) => v)
  const M = weights?.members.length ?? 0
  const header =
    `ts_utc,p_down,p_flat,p_up,signal${sets ? ',set_down,set_flat,set_up' : ''}${extra.map(([h]) => `,${h}`).join('')}` +
    (weights
      ? weightColumns(weights.members)
          .map((h) => `,${h}`)
          .join('')
      : '') +
    otherPolicies.map((o) => `,signal_${o.kind}`).join('')
  const lines = [header]
  for (let i = 0; i < rows.length; i++) {
    const inSet = sets ? `,${sets[i * K]},${sets[i * K + 1]},${sets[i * K + 2]}` : ''
    let more = cols.map((c) => `,${c[i]}`).join('')
    for (let j = 0; j < M; j++) more += `,${weights!.w[i * M + j]}`
    more += otherPolicies.map((o) => `,${o.positions[i]}`).join('')
    lines.push(
      `${new Date(bars.ts[rows[i]]).toISOString()},${p[i * K]},${p[i * K + 1]},${p[i * K + 2]},${signals[i]}${inSet}${more}`,
    )
  }
  return `${lines.join('\n')}\n`
}
