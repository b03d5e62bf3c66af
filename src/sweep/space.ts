/**
 * A sweep's search space: parameters over config paths (`base_models.0.config.max_depth`, `features.ablate`,
 * `base_models.0` for a model choice), each uniform, log-uniform, integer or a choice among values, and the one place
 * a trial's values are written into a copy of the base config.
 */
import { z } from 'zod'

const finite = z.number().refine(Number.isFinite, 'a finite number')

const uniformSchema = z
  .object({
    type: z.literal('uniform'),
    low: finite,
    high: finite,
    /** Grid points between low and high, both included (the grid sampler needs it; other samplers refuse it). */
    points: z.number().int().min(2).max(1000).optional(),
  })
  .strict()

const logUniformSchema = z
  .object({
    type: z.literal('log_uniform'),
    low: finite.refine((x) => x > 0, 'log_uniform needs low > 0'),
    high: finite,
    /** Grid points, spaced evenly in log space (grid sampler only). */
    points: z.number().int().min(2).max(1000).optional(),
  })
  .strict()

const intSchema = z
  .object({
    type: z.literal('int'),
    low: z.number().int(),
    high: z.number().int(),
    /** Values are low, low + step, ... up to high. */
    step: z.number().int().min(1).default(1),
  })
  .strict()

const choiceSchema = z
  .object({
    type: z.literal('choice'),
    /** Any YAML values: numbers, strings, lists (e.g. groups to ablate), mappings (e.g. a whole base model). */
    values: z.array(z.unknown()).min(1).max(1000),
  })
  .strict()

export const paramSchema = z
  .discriminatedUnion('type', [uniformSchema, logUniformSchema, intSchema, choiceSchema])
  .superRefine((p, ctx) => {
    if (p.type !== 'choice' && !(p.high > p.low))
      ctx.addIssue({ code: 'custom', path: ['high'], message: `high (${p.high}) must be greater than low (${p.low})` })
    if (p.type === 'choice') {
      const seen = new Set<string>()
      p.values.forEach((v, k) => {
        const key = JSON.stringify(v)
        if (key === undefined)
          ctx.addIssue({ code: 'custom', path: ['values', k], message: 'a value must be plain data (YAML)' })
        else if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['values', k], message: `${key} is listed twice` })
        seen.add(key ?? '')
      })
    }
  })

export type Param = z.infer<typeof paramSchema>

/** One dimension of the space: its config path (also its name) and its distribution. */
export interface Dimension {
  readonly path: string
  readonly param: Param
}

export type Space = readonly Dimension[]

/** A trial's values, by parameter path, in the space's order. */
export type Params = Readonly<Record<string, unknown>>

/** Path segments of a dotted config path; numbers index lists (`base_models.0.config`). */
export function pathSegments(path: string): (string | number)[] {
  return path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s))
}

const isRecord = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x)

/**
 * A deep copy of `base` with every parameter's value written at its path. Missing mappings on the way are created;
 * a list index must already exist in the base (the base lists the models a sweep tunes). Throws naming the path.
 */
export function applyParams(base: Readonly<Record<string, unknown>>, params: Params): Record<string, unknown> {
  const out = structuredClone(base) as Record<string, unknown>
  for (const [path, value] of Object.entries(params)) {
    const segs = pathSegments(path)
    let node: unknown = out
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]
      const last = i === segs.length - 1
      const where = segs.slice(0, i).join('.') || '(root)'
      if (typeof seg === 'number') {
        if (!Array.isArray(node))
          throw new Error(`space.${path}: ${where} is not a list in the base config, so it has no item ${seg}`)
        if (seg >= node.length)
          throw new Error(
            `space.${path}: ${where} has ${node.length} item(s) in the base config; list item ${seg} there first`,
          )
        if (last) node[seg] = structuredClone(value)
        else node = node[seg]
      } else {
        if (!isRecord(node)) throw new Error(`space.${path}: ${where} is not a mapping in the base config`)
        if (last) node[seg] = structuredClone(value)
        else {
          node[seg] ??= {}
          node = node[seg]
        }
      }
    }
  }
  return out
}

/** The values of a grid along one dimension, or a reason it has none. */
export function gridValues(d: Dimension): unknown[] | string {
  const p = d.param
  switch (p.type) {
    case 'choice':
      return [...p.values]
    case 'int': {
      const out: number[] = []
      for (let v = p.low; v <= p.high; v += p.step) out.push(v)
      return out
    }
    case 'uniform':
    case 'log_uniform': {
      if (p.points === undefined) return `space.${d.path}: the grid sampler needs points: n on a ${p.type} parameter`
      const n = p.points
      return Array.from({ length: n }, (_, k) => {
        const u = k / (n - 1)
        return p.type === 'uniform' ? p.low + u * (p.high - p.low) : Math.exp(lerpLog(p.low, p.high, u))
      })
    }
  }
}

const lerpLog = (low: number, high: number, u: number) => Math.log(low) + u * (Math.log(high) - Math.log(low))

/**
 * A value of the dimension from a uniform number u in [0, 1): the random sampler's draw and the TPE prior's.
 * Integers are uniform over low, low + step, ..., high; log-uniform is uniform in log space.
 */
export function valueAt(p: Param, u: number): unknown {
  switch (p.type) {
    case 'uniform':
      return p.low + u * (p.high - p.low)
    case 'log_uniform':
      return Math.exp(lerpLog(p.low, p.high, u))
    case 'int': {
      const count = Math.floor((p.high - p.low) / p.step) + 1
      return p.low + Math.min(count - 1, Math.floor(u * count)) * p.step
    }
    case 'choice':
      return p.values[Math.min(p.values.length - 1, Math.floor(u * p.values.length))]
  }
}

/** The values to check a dimension with at load: its bounds, or every choice. */
export function probeValues(p: Param): unknown[] {
  if (p.type === 'choice') return [...p.values]
  if (p.type === 'int') return [p.low, p.low + Math.floor((p.high - p.low) / p.step) * p.step]
  return [p.low, p.high]
}
