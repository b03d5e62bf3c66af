import type { Command } from 'commander'
import type { z } from 'zod'
import { describeParams, formatParams, type ParamInfo } from '../config/describe.js'
import { combinerRegistry } from '../ensemble/registry.js'
import { postProcessorRegistry } from '../inference/post-processors.js'
import { registry, type ModelEntry } from '../models/registry.js'
import { policyRegistry } from '../policy/registry.js'

interface ModelRow {
  readonly name: string
  readonly family: string
  readonly view: string
  readonly tasks: readonly string[]
  readonly outputs: readonly string[]
  readonly causal: boolean
  readonly zeroShot: boolean
  readonly available: boolean
  readonly hint?: string
  /** Defaults of every parameter, or the validation message when some parameter has no default (e.g. a path). */
  readonly defaults: Record<string, unknown> | string
  /** Every parameter: meaning, type, range and default. */
  readonly params: readonly ParamInfo[]
}

function describeEntry(entry: ModelEntry): ModelRow {
  const a = entry.available()
  const parsed = entry.params.safeParse({})
  return {
    name: entry.spec.name,
    family: entry.spec.family,
    view: entry.spec.inputView,
    tasks: entry.spec.tasks,
    outputs: entry.spec.outputs,
    causal: entry.spec.causal,
    zeroShot: entry.spec.zeroShot,
    available: a.ok,
    ...(a.ok ? {} : { hint: a.hint }),
    defaults: parsed.success
      ? (parsed.data as Record<string, unknown>)
      : `required: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    params: describeParams(entry.params),
  }
}

function formatRow(r: ModelRow, withParams: boolean): string {
  const lines = [
    `${r.name}  [${r.family}]  ${r.available ? 'available' : 'UNAVAILABLE'}`,
    `  view ${r.view}; tasks ${r.tasks.join(', ')}; outputs ${r.outputs.join(', ')}; ` +
      `${r.causal ? 'causal' : 'non-causal'}${r.zeroShot ? '; zero-shot (no training)' : ''}`,
  ]
  if (r.hint) lines.push(`  install: ${r.hint}`)
  if (withParams) lines.push('  params:', ...paramLines(r.params))
  return lines.join('\n')
}

function paramLines(params: readonly ParamInfo[]): string[] {
  return params.length > 0 ? formatParams(params) : ['    (none)']
}

/** One entry of another registry: its name, a note, and its parameters (less the key that names the entry). */
function entryBlock(name: string, note: string, schema: z.ZodType, discriminator?: string): string {
  const params = describeParams(schema).filter((p) => p.name !== discriminator)
  return [`${name}${note ? `  ${note}` : ''}`, ...paramLines(params)].join('\n')
}

/** The parameters of the combiners, post-processors and policies a config names, one section each. */
export function otherRegistries(): string {
  const combiners = [...combinerRegistry.values()]
    .filter((e) => e.name !== 'voting') // a config votes with ensemble.kind: voting (members, weights)
    .map((e) => entryBlock(e.name, '', e.params, 'method'))
  const posts = (role: 'calibration' | 'uncertainty') =>
    [...postProcessorRegistry.values()]
      .filter((e) => e.role === role)
      .map((e) =>
        entryBlock(e.name, e.actsOn === 'quantiles' ? '(a quantile head; mlf run trains none yet)' : '', e.params),
      )
  const policies = [...policyRegistry.values()].map((e) => entryBlock(e.kind, '', e.params, 'kind'))
  return [
    '\ncombiners (ensemble: { method: <name>, ...params }; voting is ensemble: { kind: voting, members, weights })',
    ...combiners,
    '\ncalibrators (inference.calibrate: [<name> or { name: <name>, params: {...} }, ...])',
    ...posts('calibration'),
    '\nuncertainty methods (inference.uncertainty: { method: <name>, ...params })',
    ...posts('uncertainty'),
    '\npolicies (policy: { kind: <name>, ...params })',
    ...policies,
  ].join('\n')
}

export function register(program: Command): void {
  program
    .command('models')
    .description('list the model registry: each model spec, whether its engine is installed (or how to install it)')
    .option(
      '--params',
      'also show every parameter: its meaning, type, range and default (and those of combiners, post-processors, policies)',
    )
    .option('--json', 'print JSON instead of text')
    .option('--family <family>', 'only models of this family')
    .action((opts: { params?: boolean; json?: boolean; family?: string }) => {
      const rows = [...registry.values()]
        .map(describeEntry)
        .filter((r) => !opts.family || r.family === opts.family)
        .sort((a, b) => a.family.localeCompare(b.family) || a.name.localeCompare(b.name))
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
        return
      }
      const available = rows.filter((r) => r.available).length
      process.stdout.write(
        `${rows.map((r) => formatRow(r, !!opts.params)).join('\n')}\n${available}/${rows.length} models available\n`,
      )
      if (opts.params && !opts.family) process.stdout.write(`${otherRegistries()}\n`)
    })
}
