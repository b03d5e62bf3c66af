/**
 * A config section that picks a registry entry by `kind` and is validated by that entry's own schema (the sampler
 * and pruner sections of a sweep), with a did-you-mean for an unknown kind.
 */
import { z } from 'zod'
import { didYouMean } from '../core/suggest.js'

export function kindSchema<E extends { readonly params: z.ZodType<unknown, unknown> }>(
  registry: ReadonlyMap<string, E>,
  what: string,
  defaultKind: string,
) {
  return z.unknown().transform((raw, ctx): { kind: string } & Record<string, unknown> => {
    const given = raw === undefined ? { kind: defaultKind } : raw
    const kind = (given as { kind?: unknown } | null)?.kind
    const entry = typeof kind === 'string' ? registry.get(kind) : undefined
    if (!entry) {
      ctx.addIssue({
        code: 'custom',
        path: ['kind'],
        message: `unknown ${what} ${JSON.stringify(kind)}; ${didYouMean(String(kind), registry.keys(), ' ')}available: ${[...registry.keys()].join(', ')}`,
      })
      return z.NEVER
    }
    const parsed = entry.params.safeParse(given)
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ ...issue, code: 'custom', message: issue.message } as never)
      return z.NEVER
    }
    return parsed.data as { kind: string } & Record<string, unknown>
  })
}
