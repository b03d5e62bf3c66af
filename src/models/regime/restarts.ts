/**
 * What the regime models' EM fits share: the restart and stopping parameters, parsing with errors that name the
 * field, and the best-of-restarts loop (each restart seeded by deriveSeed(seed, model, 'restart', r), the highest
 * log-likelihood kept, every restart's outcome reported).
 */
import { z } from 'zod'
import { deriveSeed } from '../../core/seeds.js'

/** restarts, max_iter, tol and seed, with each model's own iteration defaults. */
export function emParamsShape(defaults: { maxIter: number; maxIterLimit: number; tol: number; what: string }) {
  return {
    restarts: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe('seeded initialisations; the best log-likelihood wins'),
    max_iter: z
      .number()
      .int()
      .min(1)
      .max(defaults.maxIterLimit)
      .default(defaults.maxIter)
      .describe(`${defaults.what} iterations at most`),
    tol: z
      .number()
      .nonnegative()
      .default(defaults.tol)
      .describe('stop when the log-likelihood per row gains less than this (0: always run max_iter iterations)'),
    seed: z.number().int().nonnegative().default(0).describe('root seed of the restarts'),
  }
}

/** Parse raw params against `schema`; the error names every bad field, prefixed by `what`. */
export function parseRegimeParams<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const parsed = schema.safeParse(raw ?? {})
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    throw new Error(`${what} params: ${issues.join('; ')}`)
  }
  return parsed.data
}

export interface RestartOutcome {
  readonly seed: number
  readonly logLikelihood: number
  readonly iterations: number
  readonly converged: boolean
}

/** Runs `fit(seed)` once per restart and keeps the highest log-likelihood (the first on ties). */
export function bestOfRestarts<R extends Omit<RestartOutcome, 'seed'>>(
  restarts: number,
  seed: number,
  model: string,
  fit: (seed: number) => R,
): { best: R; restarts: RestartOutcome[] } {
  const outcomes: RestartOutcome[] = []
  let best: R | null = null
  for (let r = 0; r < restarts; r++) {
    const s = deriveSeed(seed, model, 'restart', r)
    const res = fit(s)
    outcomes.push({ seed: s, logLikelihood: res.logLikelihood, iterations: res.iterations, converged: res.converged })
    if (!best || res.logLikelihood > best.logLikelihood) best = res
  }
  return { best: best!, restarts: outcomes }
}
