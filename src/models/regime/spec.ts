/**
 * The config of a regime model fitted per training window: which model (Gaussian HMM or Markov switching), how many
 * states, what it observes, and the model's own fitting parameters. Shared by `features.regime_model` (columns every
 * model sees) and `ensemble.regime` (the regime a gate or a stacker reads).
 */
import { z } from 'zod'
import { gaussianHmmParams } from './gaussian-hmm.js'
import { markovSwitchingParams } from './markov-switching.js'

export const REGIME_MODELS = ['hmm', 'markov_switching'] as const
export type RegimeModelName = (typeof REGIME_MODELS)[number]

/** Observations computed from the bars themselves (row t reads bars t and t - 1 only). */
export const BAR_OBSERVATIONS = ['log_return', 'log_range'] as const

/** Most states a regime feature model may have: its columns are fixed by the config, so 'bic' is not offered. */
export const MAX_REGIME_STATES = 8

const DEFAULT_FEATURES: Record<RegimeModelName, readonly string[]> = {
  hmm: ['log_return', 'log_range'],
  markov_switching: ['log_return'],
}

/**
 * The model's own parameters, without what the spec sets (states) or the run derives (seed: from the run's seed,
 * the window and where the model is used).
 */
const modelParams: Record<RegimeModelName, z.ZodType<Record<string, unknown>>> = {
  hmm: gaussianHmmParams.omit({ states: true, max_states: true, seed: true }),
  markov_switching: markovSwitchingParams.omit({ regimes: true, seed: true }),
}

export const regimeModelSchema = z
  .strictObject({
    model: z
      .enum(REGIME_MODELS)
      .default('hmm')
      .describe(
        'hmm: Gaussian hidden Markov model; markov_switching: switching mean and variance of one return series',
      ),
    states: z
      .int()
      .min(2)
      .max(MAX_REGIME_STATES)
      .default(2)
      .describe('Hidden states (regimes); the columns it adds follow from it'),
    features: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .refine((names) => !names || new Set(names).size === names.length, 'a feature is listed twice')
      .describe(
        'What it observes: log_return and log_range of the bars, or feature columns by name (standardised on the ' +
          'training window); default [log_return, log_range] for hmm, [log_return] for markov_switching',
      ),
    params: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        "The model's fitting parameters: covariance, restarts, max_iter, tol, min_variance (hmm); ar, restarts, " +
          'max_iter, tol, min_variance_ratio (markov_switching)',
      ),
  })
  .transform((v, ctx) => {
    const features = v.features ?? [...DEFAULT_FEATURES[v.model]]
    if (v.model === 'markov_switching' && features.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['features'],
        message: `markov_switching models one return series: give one feature (default log_return), not ${features.length}`,
      })
    const parsed = modelParams[v.model].safeParse(v.params)
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: ['params', ...issue.path] })
      return z.NEVER
    }
    return { model: v.model, states: v.states, features, params: parsed.data }
  })

export type RegimeModelSpec = z.output<typeof regimeModelSchema>

/** The columns a regime model adds, in order: one filtered probability per state, the expected duration, the state. */
export function regimeColumnNames(prefix: string, states: number): string[] {
  return [...Array.from({ length: states }, (_, k) => `${prefix}_p${k}`), `${prefix}_duration`, `${prefix}_state`]
}

/** The filtered probability columns alone. */
export function regimeProbabilityNames(prefix: string, states: number): string[] {
  return regimeColumnNames(prefix, states).slice(0, states)
}
