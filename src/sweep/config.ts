/**
 * A sweep file: the base config (a path or inline), the search space over config paths, the sampler, the optional
 * pruner, the budget and the objective. Validated at load down to every parameter's values: each choice and each
 * bound is written into the base config and checked by the factory config's own schema, so a bad path or value is
 * refused before any trial runs.
 */
import { dirname, isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { canonicalJson, deepFreeze, sha256Hex } from '../config/hash.js'
import { formatIssues, readYamlFile, resolveConfig, sectionsOf, type ResolvedConfig } from '../config/load.js'
import { registry } from '../models/registry.js'
import { runConfigProblems } from '../pipeline/problems.js'
import { kindSchema } from './kind-schema.js'
import { objectiveSchema, type Objective } from './objective.js'
import { prunerRegistry } from './pruners/registry.js'
import { createSampler, samplerRegistry } from './samplers/registry.js'
import { applyParams, paramSchema, pathSegments, probeValues, type Space } from './space.js'

/** Top-level sections a sweep may not search, and why. */
const FROZEN_SECTIONS: Readonly<Record<string, string>> = {
  seed: 'searching the seed picks the luckiest draw, not a better configuration',
  data: 'the data are what every trial is measured on',
  splits: 'the windows are the frame of the search (each window has its own search)',
  evaluation: 'the windows are the frame of the search (each window has its own search)',
  backtest: 'costs are facts of the market, not parameters to tune',
  control: 'the leakage canary is not a parameter',
  acceptance: 'the gates judge a configuration; loosening them is not a better one',
  threads: 'threads change speed, not results',
}

/** Model families whose fits report a validation curve (boosting rounds, epochs): the ones a pruner can act on. */
const CURVE_FAMILIES = new Set([
  'gradient_boosting',
  'forest',
  'recurrent',
  'convolutional',
  'transformer',
  'probabilistic',
  'mlp',
])

const durationSchema = z
  .string()
  .regex(/^\d+(\.\d+)?(s|m|h)$/, "a duration such as '90s', '30m' or '2h'")
  .transform((s) => Number(s.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[s.slice(-1) as 's' | 'm' | 'h'])

export const sweepSchema = z
  .object({
    /** The config every trial starts from: a YAML file (relative to the sweep file) or the config inline. */
    base: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    /** The bars file (relative to the sweep file); default: the base config's data.path, else the built-in sample. */
    data: z.string().min(1).optional(),
    /** Seed of the samplers (one derived per window); default: the base config's seed. */
    seed: z.number().int().nonnegative().optional(),
    /** Parameters by config path: `base_models.0.config.max_depth: {type: int, low: 2, high: 8}`. */
    space: z
      .record(z.string(), paramSchema)
      .refine((s) => Object.keys(s).length > 0, 'the space needs at least one parameter'),
    sampler: kindSchema(samplerRegistry, 'sampler', 'tpe').prefault({ kind: 'tpe' }),
    /** Stops trials whose learning curve trails earlier trials'; none by default. */
    pruner: kindSchema(prunerRegistry, 'pruner', 'median').nullable().default(null),
    /**
     * Trials proposed together and run in parallel. The sampler learns from a batch once all of it is done, so the
     * trial sequence depends on the seed and the batch size, never on how many workers run it.
     */
    batch: z.number().int().min(1).max(256).default(4),
    budget: z
      .object({
        /** Trials per window's search (a grid stops at its size). */
        trials: z.number().int().min(1).max(100_000),
        /** Wall time per window's search: no trial starts after it (the trials then depend on speed). */
        time: durationSchema.optional(),
      })
      .strict(),
    objective: objectiveSchema,
  })
  .strict()

export type SweepInput = z.input<typeof sweepSchema>

export interface ResolvedSweep {
  readonly source: string | null
  /** The base config as written (before defaults): what trials' values are written into. */
  readonly baseRaw: Readonly<Record<string, unknown>>
  readonly base: ResolvedConfig
  readonly space: Space
  readonly sampler: { readonly kind: string } & Readonly<Record<string, unknown>>
  readonly pruner: ({ readonly kind: string } & Readonly<Record<string, unknown>>) | null
  readonly batch: number
  readonly budget: { readonly trials: number; readonly timeMs?: number }
  readonly objective: Objective
  readonly seed: number
  /** The bars file named by the sweep or its base (absolute), if any. */
  readonly dataFile?: string
  /** SHA-256 of the canonical sweep (base config resolved, space, sampler, pruner, batch, budget, objective, seed). */
  readonly hash: string
}

/** A trial's config: the base with the trial's values written in, validated as any config is. */
export function trialConfig(sweep: Pick<ResolvedSweep, 'baseRaw'>, params: Readonly<Record<string, unknown>>) {
  return resolveConfig(applyParams(sweep.baseRaw, params), 'of this trial')
}

function problemsOfSpace(
  space: Space,
  baseRaw: Readonly<Record<string, unknown>>,
  sampler: { kind: string },
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = []
  const paths = space.map((d) => d.path)
  for (const d of space) {
    const at = ['space', d.path]
    const segs = pathSegments(d.path)
    if (segs.some((s) => s === '')) {
      out.push({ path: at, message: 'a path is keys joined by dots, e.g. base_models.0.config.max_depth' })
      continue
    }
    const why = FROZEN_SECTIONS[String(segs[0])]
    if (why) {
      out.push({ path: at, message: `${segs[0]} cannot be searched: ${why}` })
      continue
    }
    const inner = paths.find((p) => p !== d.path && p.startsWith(`${d.path}.`))
    if (inner) out.push({ path: at, message: `${inner} is inside ${d.path}: search one or the other` })
    if ('points' in d.param && d.param.points !== undefined && sampler.kind !== 'grid')
      out.push({
        path: [...at, 'points'],
        message: `points is for the grid sampler; the ${sampler.kind} sampler draws from the whole range`,
      })
    for (const value of probeValues(d.param)) {
      try {
        const config = trialConfig({ baseRaw }, { [d.path]: value })
        const problems = runConfigProblems(config)
        if (problems.length) throw new Error(problems.join('; '))
      } catch (err) {
        const message = (err as Error).message
          .replace(/^invalid config of this trial:\n\s*/, '')
          .replace(/\n\s*/g, '; ')
        out.push({ path: at, message: `with ${JSON.stringify(value)}: ${message}` })
      }
    }
  }
  return out
}

function locateRaw(
  base: string | Record<string, unknown>,
  source: string | null,
): {
  raw: Record<string, unknown>
  baseSource: string | null
} {
  if (typeof base !== 'string') return { raw: base, baseSource: source }
  const path = source && !isAbsolute(base) ? resolve(dirname(source), base) : resolve(base)
  return { raw: sectionsOf(readYamlFile(path).js, path), baseSource: path }
}

/** Validate a sweep given as an object (`source`: the file it came from, for relative paths and messages). */
export function resolveSweep(
  input: unknown,
  source: string | null = null,
  locate: (p: readonly PropertyKey[]) => number | null = () => null,
): ResolvedSweep {
  const where = source ?? 'sweep'
  const parsed = sweepSchema.safeParse(input ?? {})
  if (!parsed.success) throw new Error(`invalid sweep ${where}:\n${formatIssues(parsed.error.issues, where, locate)}`)
  const s = parsed.data
  const { raw, baseSource } = locateRaw(s.base, source)
  let base: ResolvedConfig
  try {
    base = resolveConfig(raw, baseSource)
  } catch (err) {
    throw new Error(`invalid sweep ${where}: base: ${(err as Error).message}`)
  }
  const space: Space = Object.entries(s.space).map(([path, param]) => ({ path, param }))
  const issues = problemsOfSpace(space, raw, s.sampler)
  try {
    createSampler(space, s.sampler, 0)
  } catch (err) {
    issues.push({ path: ['sampler'], message: (err as Error).message })
  }
  if (s.pruner && !base.base_models.some((m) => CURVE_FAMILIES.has(registry.get(m.name)?.spec.family ?? '')))
    issues.push({
      path: ['pruner'],
      message: `no base model of the base config reports a learning curve to prune on (boosted trees and neural networks do; ${base.base_models.map((m) => m.name).join(', ')} do not)`,
    })
  if (issues.length) {
    const lines = issues.map((i) => {
      const line = locate(i.path)
      return `  ${where}${line ? `:${line}` : ''}: ${i.path.join('.')}: ${i.message}`
    })
    throw new Error(`invalid sweep ${where}:\n${lines.join('\n')}`)
  }
  const dataFile = s.data
    ? source && !isAbsolute(s.data)
      ? resolve(dirname(source), s.data)
      : resolve(s.data)
    : base.data.path
      ? resolve(base.data.path)
      : undefined
  const seed = s.seed ?? base.seed
  const budget = { trials: s.budget.trials, ...(s.budget.time !== undefined ? { timeMs: s.budget.time } : {}) }
  const searched = { space, sampler: s.sampler, pruner: s.pruner, batch: s.batch, budget, objective: s.objective, seed }
  // The hash covers the base as resolved (defaults in), not as written: the same sweep whatever its spelling.
  const baseResolved = JSON.parse(canonicalJson({ ...base, hash: undefined, source: undefined })) as unknown
  return deepFreeze({
    source,
    baseRaw: raw,
    base,
    ...searched,
    ...(dataFile ? { dataFile } : {}),
    hash: sha256Hex(canonicalJson({ base: baseResolved, ...searched })),
  })
}

/** Load a sweep file: errors name the file, the line and the path of the bad field. */
export function loadSweep(path: string): ResolvedSweep {
  const { js, locate } = readYamlFile(path, 'sweep')
  const abs = resolve(path)
  return resolveSweep(sectionsOf(js, path), abs, locate)
}
