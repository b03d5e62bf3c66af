/**
 * Post-processors: fitted on a model's validation outputs, then applied to every later output (test, live). One entry
 * per method, shaped like the model registry: params (zod, defaults filled in), fit, a saved state validated on load,
 * and what outputs it acts on. A fitted post-processor is plain data ({ name, state }), saved in bundles as JSON.
 */
import { z } from 'zod'
import type { Outputs, Task } from '../models/contract.js'
import { applyTemperature, fitTemperature, temperatureScalerSchema } from './calibration/temperature.js'
import { betaEntry } from './calibration/beta.js'
import { dirichletEntry } from './calibration/dirichlet.js'
import { applyCqr, fitCqr } from './conformal/cqr.js'
import { isotonicEntry } from './calibration/isotonic.js'
import { plattEntry } from './calibration/platt.js'
import { apsEntry, lacEntry, rapsEntry } from './conformal/sets.js'
import { splitEntry } from './conformal/split.js'
import { cvPlusEntry, jackknifePlusAbEntry, jackknifePlusEntry } from './conformal/plus.js'
import { aciEntry, enbpiEntry } from './conformal/online.js'

/** What a post-processor may need beyond its calibration rows. */
export interface FitContext {
  /** Online methods: the time (epoch ms) their stream starts, the first bar after the data the chain was fitted on. */
  readonly onlineFrom?: number
}

export interface FittedPostProcessor {
  readonly name: string
  readonly state: Record<string, unknown>
}

export interface PostProcessorEntry<P = unknown, S = unknown> {
  readonly name: string
  /** `inference.calibrate` takes calibrators (they rewrite probabilities); `inference.uncertainty` the rest. */
  readonly role: 'calibration' | 'uncertainty'
  /** The outputs it needs and rewrites: class probabilities `p`, the point forecast `E_r`, or q05/q50/q95. */
  readonly actsOn: 'class_probabilities' | 'regression' | 'quantiles'
  readonly tasks: readonly Task['kind'][]
  readonly params: z.ZodType<P, unknown>
  readonly state: z.ZodType<S, unknown>
  /**
   * Needs the head's models refitted on resamples of the training window, and is fitted on their held-out
   * predictions there (Outputs.resampled) instead of validation outputs: purged folds (cv_plus), one purged
   * leave-one-out refit per training sample (jackknife_plus) or block-bootstrap bags (jackknife_plus_ab, enbpi). The run reads the resample settings from the method's params.
   */
  readonly resampling?: 'folds' | 'leave_one_out' | 'bags'
  /** Learns outcomes as it goes (Outputs.timeline): its stream starts at FitContext.onlineFrom. */
  readonly online?: boolean
  /** Fits on validation outputs and targets only: nothing after the validation window is seen. */
  fit(params: P, val: Outputs, y: Float64Array, ctx?: FitContext): S
  apply(state: S, out: Outputs): Outputs
}

function classesOf(out: Outputs, name: string): { p: Float64Array; k: number } {
  if (!out.p || !out.classes) throw new Error(`${name}: the model gives no class probabilities (p)`)
  return { p: out.p, k: out.classes }
}

const temperatureEntry: PostProcessorEntry<Record<string, never>, z.infer<typeof temperatureScalerSchema>> = {
  name: 'temperature',
  role: 'calibration',
  actsOn: 'class_probabilities',
  tasks: ['binary', 'multiclass'],
  params: z.object({}).strict(),
  state: temperatureScalerSchema,
  fit(_params, val, y) {
    const { p, k } = classesOf(val, 'temperature')
    return fitTemperature(p, y, k)
  },
  apply(state, out) {
    const { p, k } = classesOf(out, 'temperature')
    if (k !== state.classes) throw new Error(`temperature: fitted on ${state.classes} classes, given ${k}`)
    const scaled = applyTemperature(p, k, state.temperature)
    const pUp = Float64Array.from({ length: out.n }, (_, i) => scaled[i * k + k - 1])
    return { ...out, p: scaled, p_up: pUp }
  },
}

const cqrParams = z
  .object({ coverage: z.number().gt(0).lt(1).default(0.9).describe('Target coverage of the conformalized band') })
  .strict()
const cqrState = z
  .object({
    margin: z.number().refine(Number.isFinite, 'a finite margin'),
    n: z.number().int().positive(),
    coverage: z.number().gt(0).lt(1),
  })
  .strict()

function bandOf(out: Outputs, name: string): { lo: Float64Array; mid: Float64Array; hi: Float64Array } {
  if (!out.q05 || !out.q50 || !out.q95) throw new Error(`${name}: the model gives no quantile band (q05, q50, q95)`)
  return { lo: out.q05, mid: out.q50, hi: out.q95 }
}

/** Conformalized quantile regression around any quantile model (Romano et al., 2019); see conformal/cqr.ts. */
const cqrEntry: PostProcessorEntry<z.infer<typeof cqrParams>, z.infer<typeof cqrState>> = {
  name: 'cqr',
  role: 'uncertainty',
  actsOn: 'quantiles',
  tasks: ['quantile'],
  params: cqrParams,
  state: cqrState,
  fit(params, val, y) {
    const { lo, hi } = bandOf(val, 'cqr')
    return fitCqr(lo, hi, y, params.coverage)
  },
  apply(state, out) {
    const { lo, mid, hi } = bandOf(out, 'cqr')
    const band = applyCqr(state, lo, mid, hi)
    return { ...out, q05: band.lo, q95: band.hi, uncertainty: band.hi.map((h, i) => h - band.lo[i]) }
  },
}

// Adding a post-processor: one entry, one line here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const entries: readonly PostProcessorEntry<any, any>[] = [
  temperatureEntry,
  plattEntry,
  isotonicEntry,
  betaEntry,
  dirichletEntry,
  splitEntry,
  cvPlusEntry,
  jackknifePlusEntry,
  jackknifePlusAbEntry,
  aciEntry,
  enbpiEntry,
  cqrEntry,
  lacEntry,
  apsEntry,
  rapsEntry,
]

export const postProcessorRegistry: ReadonlyMap<string, PostProcessorEntry> = new Map(
  entries.map((e) => [e.name, e as PostProcessorEntry]),
)

function entryOf(name: string): PostProcessorEntry {
  const entry = postProcessorRegistry.get(name)
  if (!entry)
    throw new Error(`unknown post-processor "${name}"; available: ${[...postProcessorRegistry.keys()].join(', ')}`)
  return entry
}

/** Fit `name` with `params` (validated, defaults filled in) on validation outputs and targets. */
export function fitPostProcessor(
  name: string,
  params: unknown,
  val: Outputs,
  y: Float64Array,
  ctx?: FitContext,
): FittedPostProcessor {
  const entry = entryOf(name)
  const state = entry.fit(entry.params.parse(params ?? {}), val, y, ctx)
  return { name, state: state as Record<string, unknown> }
}

/** A saved post-processor, its state validated by its entry; errors name `where`. */
export function loadPostProcessor(saved: unknown, where: string): FittedPostProcessor {
  const name = (saved as { name?: unknown } | null)?.name
  if (typeof name !== 'string' || !postProcessorRegistry.has(name))
    throw new Error(`${where}: unknown post-processor ${JSON.stringify(name)}`)
  const parsed = entryOf(name).state.safeParse((saved as { state?: unknown }).state)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${where}: ${name} state is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  return { name, state: parsed.data as Record<string, unknown> }
}

/** Outputs after every post-processor of the chain, in order. */
export function applyPostProcessors(chain: readonly FittedPostProcessor[], out: Outputs): Outputs {
  return chain.reduce((o, pp) => entryOf(pp.name).apply(pp.state, o), out)
}
