/**
 * `inference`: the post-processors after the final model, and the rows they are fitted on.
 *
 *   inference:
 *     calibrate: [isotonic, { name: dirichlet, params: { l2_offdiag: 0.1 } }]   # in order
 *     uncertainty: { method: aps, coverage: 0.9 }                               # conformal prediction sets
 *     fit_on: oof                                  # or validation (default)
 *     oof: { n_folds: 5, purge_bars: 60, embargo_bars: 1440 }
 *
 * Every step's params are parsed by its registry entry here, so defaults are filled in (and hashed) and a wrong key
 * is an error at load, naming the step.
 */
import { z } from 'zod'
import { oofFoldsSchema } from '../ensemble/oof.js'
import { postProcessorRegistry, type PostProcessorEntry } from '../inference/post-processors.js'
import { didYouMean } from '../core/suggest.js'

const namesOf = (role: PostProcessorEntry['role']) =>
  [...postProcessorRegistry.values()].filter((e) => e.role === role).map((e) => e.name)

type Issue = (path: PropertyKey[], message: string) => void

/** The entry `name` of `role`, or an issue that says what the name is and what is available. */
function entryFor(name: string, role: PostProcessorEntry['role'], issue: Issue) {
  const entry = postProcessorRegistry.get(name)
  if (entry?.role === role) return entry
  if (entry)
    issue(
      [],
      `${name} is ${role === 'calibration' ? 'an uncertainty method: set it in inference.uncertainty' : 'a calibrator: list it in inference.calibrate'}`,
    )
  else
    issue(
      [],
      `unknown post-processor ${JSON.stringify(name)}; ${didYouMean(name, namesOf(role), ' ')}available: ${namesOf(role).join(', ')}`,
    )
  return null
}

function parseParams(entry: PostProcessorEntry, raw: unknown, at: PropertyKey[], issue: Issue) {
  const parsed = entry.params.safeParse(raw ?? {})
  if (parsed.success) return parsed.data as Readonly<Record<string, unknown>>
  for (const i of parsed.error.issues) issue([...at, ...i.path], `${entry.name}: ${i.message}`)
  return null
}

/** One calibrator: a registry name, or `{ name, params }`; resolved to `{ name, params }` with defaults filled in. */
const calibrateStepSchema = z
  .union([z.string(), z.strictObject({ name: z.string(), params: z.record(z.string(), z.unknown()).default({}) })])
  .transform((raw, ctx) => {
    const step = typeof raw === 'string' ? { name: raw, params: {} } : raw
    const issue: Issue = (path, message) => ctx.issues.push({ code: 'custom', path, message, input: raw })
    const entry = entryFor(step.name, 'calibration', issue)
    const params = entry && parseParams(entry, step.params, ['params'], issue)
    return params ? { name: step.name, params } : z.NEVER
  })
export type CalibrateStep = z.infer<typeof calibrateStepSchema>

/** `{ method, coverage, ...the method's params }`, resolved to the same shape with defaults filled in. */
const uncertaintyStepSchema = z.looseObject({ method: z.string() }).transform((raw, ctx) => {
  const issue: Issue = (path, message) => ctx.issues.push({ code: 'custom', path, message, input: raw })
  const entry = entryFor(raw.method, 'uncertainty', (path, message) => issue(path.length ? path : ['method'], message))
  const { method, ...rest } = raw
  const params = entry && parseParams(entry, rest, [], issue)
  return params ? { method, ...params } : z.NEVER
})
export type UncertaintyConfig = z.infer<typeof uncertaintyStepSchema>

/** One method or a list of them, at most one per head (what each acts on); resolved to a list. */
const uncertaintySchema = z
  .preprocess((u) => (u === undefined || Array.isArray(u) ? u : [u]), z.array(uncertaintyStepSchema))
  .transform((steps, ctx) => {
    const heads = steps.map((s) => postProcessorRegistry.get(s.method)!.actsOn)
    const twice = heads.find((h, i) => heads.indexOf(h) !== i)
    if (twice)
      ctx.issues.push({
        code: 'custom',
        path: [],
        message: `two uncertainty methods act on ${twice}: ${steps
          .filter((_, i) => heads[i] === twice)
          .map((s) => s.method)
          .join(', ')}; keep one`,
        input: steps,
      })
    return steps
  })

export const inferenceConfigSchema = z
  .strictObject({
    /** Calibrators, fitted in order, each on the outputs of the ones before it. */
    calibrate: z
      .array(calibrateStepSchema)
      .refine((steps) => new Set(steps.map((s) => s.name)).size === steps.length, 'a calibrator appears twice')
      .prefault(['temperature']),
    /**
     * Conformal methods after the calibrators, each on the head it acts on: prediction sets of p (lac, aps, raps),
     * an interval around E_r (split), the quantile band conformalized (cqr).
     */
    uncertainty: uncertaintySchema.default([]),
    /**
     * The rows the post-processors are fitted on: the validation window's predictions of the final model, or purged
     * out-of-fold predictions over the training window (models refitted per fold, as stacking's members are).
     */
    fit_on: z.enum(['validation', 'oof']).default('validation'),
    /** The folds of `fit_on: oof`. */
    oof: oofFoldsSchema.optional(),
    drop_worsening: z
      .boolean()
      .default(true)
      .describe(
        'Drop a calibrator whose cross-fitted log-loss or top-label ECE on its own fitting rows is worse than without it (it is reported either way)',
      ),
  })
  .transform((c, ctx) => {
    if (c.oof && c.fit_on !== 'oof')
      ctx.issues.push({ code: 'custom', path: ['oof'], message: 'inference.oof applies with fit_on: oof', input: c })
    return c.fit_on === 'oof' ? { ...c, oof: c.oof ?? oofFoldsSchema.parse({}) } : c
  })
export type InferenceConfig = z.infer<typeof inferenceConfigSchema>
