/**
 * Execution models: how the backtest fills the orders that move the position towards the policy's target. One entry
 * per model, keyed by `kind` in `backtest.execution`; the engine (src/backtest/engine.ts) drives them.
 */
import { z } from 'zod'
import { didYouMean } from '../../core/suggest.js'
import { makerFirstExecutionSchema } from './maker-first.js'
import { takerExecutionSchema } from './taker.js'

export const executionSchemas = new Map<string, z.ZodType>([
  ['taker', takerExecutionSchema],
  ['maker_first', makerFirstExecutionSchema],
])

export type ExecutionConfig = z.infer<typeof takerExecutionSchema> | z.infer<typeof makerFirstExecutionSchema>

/** `backtest.execution`: `{ kind, ...params }` (taker when kind is absent), params parsed by the kind's schema. */
export const executionConfigSchema = z.unknown().transform((raw, ctx): ExecutionConfig => {
  const given = raw === undefined ? {} : typeof raw === 'string' ? { kind: raw } : raw
  const kind = (given as { kind?: unknown } | null)?.kind ?? 'taker'
  const schema = typeof kind === 'string' ? executionSchemas.get(kind) : undefined
  if (!schema) {
    ctx.addIssue({
      code: 'custom',
      path: ['kind'],
      message: `unknown execution model ${JSON.stringify(kind)}; ${didYouMean(String(kind), executionSchemas.keys(), ' ')}available: ${[...executionSchemas.keys()].join(', ')}`,
    })
    return z.NEVER
  }
  const withKind = given && typeof given === 'object' && !('kind' in given) ? { ...given, kind } : given
  const parsed = schema.safeParse(withKind)
  if (!parsed.success) {
    for (const i of parsed.error.issues) ctx.addIssue({ code: 'custom', path: i.path, message: i.message })
    return z.NEVER
  }
  return parsed.data as ExecutionConfig
})
