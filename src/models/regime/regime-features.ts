/**
 * Regime features: a Gaussian HMM or a Markov switching model fitted on a training window's observations only, then
 * run forward over every row as an incremental state machine. At each row it gives the filtered state probabilities
 * P(state_t | rows up to t), the expected remaining duration of the current regime (sum_k p_k / (1 - A_kk), in
 * rows, capped at MAX_DURATION) and the most likely filtered state (the lowest on ties). Never smoothed: nothing
 * after row t reaches row t. Batch (`regimeColumns`) is the stream replayed, so batch and live agree bit for bit.
 *
 * Observations are standardised with the training window's mean and standard deviation (kept with the model):
 * 1-minute returns have variances near 1e-6, where the models' variance floors would otherwise bite.
 */
import { z } from 'zod'
import {
  fitGaussianHmm,
  gaussianHmmFromJson,
  gaussianHmmState,
  gaussianHmmToJson,
  parseGaussianHmmParams,
  type GaussianHmm,
} from './gaussian-hmm.js'
import { HmmFilter } from './hmm-filter.js'
import { MarkovFilter } from './markov-filter.js'
import {
  fitMarkovSwitching,
  markovSwitchingFromJson,
  markovSwitchingState,
  markovSwitchingToJson,
  parseMarkovSwitchingParams,
  type MarkovSwitching,
} from './markov-switching.js'
import { MAX_REGIME_STATES, REGIME_MODELS, type RegimeModelSpec } from './spec.js'

/** Longest expected duration reported, in rows: a state the fit never leaves (A_kk = 1) would otherwise be infinite. */
export const MAX_DURATION = 1e6

export interface FittedRegime {
  readonly model: RegimeModelSpec['model']
  readonly states: number
  readonly features: readonly string[]
  /** Training mean and standard deviation of each observation. */
  readonly center: Float64Array
  readonly scale: Float64Array
  readonly hmm: GaussianHmm | null
  readonly markov: MarkovSwitching | null
}

/** The transition matrix of the fitted model. */
function transmatOf(f: FittedRegime): Float64Array {
  return f.hmm ? f.hmm.transmat : f.markov!.transmat
}

/**
 * Fit on the training rows `rows` of the observations (n, d): rows with a non-finite observation are left out
 * (warm-up), the rest standardised and fitted with `seed` (derived by the caller). Errors name the feature.
 */
export function fitRegime(
  spec: RegimeModelSpec,
  obs: Float64Array,
  n: number,
  rows: Int32Array,
  seed: number,
): FittedRegime {
  const d = spec.features.length
  if (obs.length !== n * d) throw new Error(`regime model: ${obs.length} observations for ${n} rows x ${d} features`)
  const kept: number[] = []
  for (const r of rows) {
    let finite = true
    for (let j = 0; j < d; j++) if (!Number.isFinite(obs[r * d + j])) finite = false
    if (finite) kept.push(r)
  }
  const m = kept.length
  const need = spec.states * 10
  if (m < need)
    throw new Error(
      `regime model: ${m} training rows have every observation (${spec.features.join(', ')}) finite; ` +
        `${spec.states} states need at least ${need}`,
    )
  const center = new Float64Array(d)
  const scale = new Float64Array(d)
  for (const r of kept) for (let j = 0; j < d; j++) center[j] += obs[r * d + j]
  for (let j = 0; j < d; j++) center[j] /= m
  for (const r of kept)
    for (let j = 0; j < d; j++) {
      const z = obs[r * d + j] - center[j]
      scale[j] += z * z
    }
  for (let j = 0; j < d; j++) {
    scale[j] = Math.sqrt(scale[j] / m)
    if (!(scale[j] > 0))
      throw new Error(`regime model: feature "${spec.features[j]}" is constant over the training window`)
  }
  const x = new Float64Array(m * d)
  kept.forEach((r, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = (obs[r * d + j] - center[j]) / scale[j]
  })
  if (spec.model === 'hmm') {
    const params = parseGaussianHmmParams({ ...spec.params, states: spec.states, seed })
    const hmm = fitGaussianHmm(x, m, d, params).model
    return { model: 'hmm', states: spec.states, features: [...spec.features], center, scale, hmm, markov: null }
  }
  const params = parseMarkovSwitchingParams({ ...spec.params, regimes: spec.states, seed })
  const markov = fitMarkovSwitching(x, m, params).model
  return {
    model: 'markov_switching',
    states: spec.states,
    features: [...spec.features],
    center,
    scale,
    hmm: null,
    markov,
  }
}

/**
 * The fitted model run forward one row at a time: `update(observation)` writes the row's K probabilities, expected
 * duration and state (K + 2 values). A non-finite observation is missing: the filter's prediction stands in.
 */
export class RegimeStream {
  readonly width: number
  private readonly states: number
  private readonly center: Float64Array
  private readonly scale: Float64Array
  private readonly stay: Float64Array
  private readonly z: Float64Array
  private readonly probs: Float64Array
  private readonly hmm: HmmFilter | null
  private readonly markov: MarkovFilter | null

  constructor(fitted: FittedRegime) {
    const K = fitted.states
    this.states = K
    this.width = K + 2
    this.center = Float64Array.from(fitted.center)
    this.scale = Float64Array.from(fitted.scale)
    const A = transmatOf(fitted)
    this.stay = Float64Array.from({ length: K }, (_, k) => 1 / Math.max(1 - A[k * K + k], 1 / MAX_DURATION))
    this.z = new Float64Array(fitted.features.length)
    this.probs = new Float64Array(K)
    this.hmm = fitted.hmm ? new HmmFilter(fitted.hmm) : null
    this.markov = fitted.markov ? new MarkovFilter(fitted.markov) : null
  }

  reset(): void {
    this.hmm?.reset()
    this.markov?.reset()
  }

  /** Consume one raw (unstandardised) observation x[xo..xo + d); write K + 2 values to out[at..). */
  update(x: ArrayLike<number>, xo: number, out: Float64Array, at = 0): void {
    const z = this.z
    for (let j = 0; j < z.length; j++) z[j] = (x[xo + j] - this.center[j]) / this.scale[j]
    const p = this.probs
    if (this.hmm) this.hmm.updateRow(z, 0, p, 0)
    else this.markov!.update(z[0], p, 0)
    const K = this.states
    let duration = 0
    let best = 0
    for (let k = 0; k < K; k++) {
      out[at + k] = p[k]
      duration += p[k] * this.stay[k]
      if (p[k] > p[best]) best = k
    }
    out[at + K] = Math.min(duration, MAX_DURATION)
    out[at + K + 1] = best
  }
}

/** The regime columns (K + 2, each of n rows) over observations (n, d): the stream replayed from row 0. */
export function regimeColumns(fitted: FittedRegime, obs: Float64Array, n: number): Float64Array[] {
  const d = fitted.features.length
  if (obs.length !== n * d) throw new Error(`regime model: ${obs.length} observations for ${n} rows x ${d} features`)
  const stream = new RegimeStream(fitted)
  const w = stream.width
  const cols = Array.from({ length: w }, () => new Float64Array(n))
  const row = new Float64Array(w)
  for (let t = 0; t < n; t++) {
    stream.update(obs, t * d, row, 0)
    for (let c = 0; c < w; c++) cols[c][t] = row[c]
  }
  return cols
}

const finite = z.number().refine(Number.isFinite, 'must be finite')

/** The saved state of fitted regime features: plain JSON. */
export const fittedRegimeState = z.strictObject({
  format: z.literal('mlfactory.regime_features'),
  version: z.literal(1),
  model: z.enum(REGIME_MODELS),
  states: z.int().min(2).max(MAX_REGIME_STATES),
  features: z.array(z.string().min(1)).min(1),
  center: z.array(finite),
  scale: z.array(finite.refine((v) => v > 0, 'must be > 0')),
  fitted: z.union([gaussianHmmState, markovSwitchingState]),
})
export type FittedRegimeState = z.infer<typeof fittedRegimeState>

export function fittedRegimeToJson(f: FittedRegime): FittedRegimeState {
  return {
    format: 'mlfactory.regime_features',
    version: 1,
    model: f.model,
    states: f.states,
    features: [...f.features],
    center: [...f.center],
    scale: [...f.scale],
    fitted: f.hmm ? gaussianHmmToJson(f.hmm) : markovSwitchingToJson(f.markov!),
  }
}

/** Fitted regime features from their saved state; errors (prefixed by `where`) name the field. */
export function fittedRegimeFromJson(raw: unknown, where: string): FittedRegime {
  const parsed = fittedRegimeState.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    throw new Error(`${where}: invalid regime model: ${issues.join('; ')}`)
  }
  const s = parsed.data
  const d = s.features.length
  if (s.center.length !== d || s.scale.length !== d)
    throw new Error(`${where}: center and scale must hold one value per feature (${d})`)
  try {
    if (s.model === 'hmm') {
      if (s.fitted.format !== 'mlfactory.gaussian_hmm') throw new Error('fitted is not a Gaussian HMM')
      const hmm = gaussianHmmFromJson(s.fitted)
      if (hmm.states !== s.states || hmm.dim !== d)
        throw new Error(`the HMM has ${hmm.states} states of dimension ${hmm.dim}, not ${s.states} of ${d}`)
      return { ...base(s), hmm, markov: null }
    }
    if (s.fitted.format !== 'mlfactory.markov_switching') throw new Error('fitted is not a Markov switching model')
    const markov = markovSwitchingFromJson(s.fitted)
    if (markov.regimes !== s.states || d !== 1)
      throw new Error(
        `the Markov switching model has ${markov.regimes} regimes over ${d} features, not ${s.states} over 1`,
      )
    return { ...base(s), hmm: null, markov }
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`)
  }
}

function base(s: FittedRegimeState) {
  return {
    model: s.model,
    states: s.states,
    features: s.features,
    center: Float64Array.from(s.center),
    scale: Float64Array.from(s.scale),
  }
}
