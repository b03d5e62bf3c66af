import type { Command } from 'commander'
import { z } from 'zod'
import { describeParams, formatParams, type ParamInfo } from '../config/describe.js'
import { combinerRegistry } from '../ensemble/registry.js'
import { postProcessorRegistry } from '../inference/post-processors.js'
import { headName, headTask } from '../config/heads.js'
import { isTargetHead, TARGET_HEADS } from '../config/targets.js'
import { RUN_VIEWS } from '../config/schema.js'
import { registry, type ModelEntry } from '../models/registry.js'
import { policyRegistry } from '../policy/registry.js'
import { executionSchemas } from '../policy/execution/registry.js'
import { acceptanceConfigSchema, bootstrapConfigSchema } from '../backtest/acceptance.js'

interface ModelRow {
  readonly name: string
  readonly family: string
  readonly view: string
  /** Other views base_models[].view may pick for it (multi_res for PatchTST and TSMixer). */
  readonly alsoTakes: readonly string[]
  readonly tasks: readonly string[]
  readonly outputs: readonly string[]
  readonly causal: boolean
  readonly zeroShot: boolean
  readonly available: boolean
  readonly hint?: string
  /** The heads mlf run can train with this model (base_models[].outputs), or why it can take no part in a run. */
  readonly run: { readonly heads: readonly string[] } | { readonly refused: string }
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
    alsoTakes: entry.spec.alsoTakes ?? [],
    tasks: entry.spec.tasks,
    outputs: entry.spec.outputs,
    causal: entry.spec.causal,
    zeroShot: entry.spec.zeroShot,
    available: a.ok,
    ...(a.ok ? {} : { hint: a.hint }),
    run: runReadiness(entry),
    defaults: parsed.success
      ? (parsed.data as Record<string, unknown>)
      : `required: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    params: describeParams(entry.params),
  }
}

/** Heads a model can train in mlf run: those of its tasks mlf run trains, with a view mlf run builds. */
export function runReadiness(entry: ModelEntry): ModelRow['run'] {
  const { spec } = entry
  if (!RUN_VIEWS.includes(spec.inputView))
    return { refused: `takes a ${spec.inputView} view, which mlf run does not build yet` }
  const heads = (['p', 'p_up', 'E_r', 'quantiles', ...TARGET_HEADS] as const)
    .filter((h) => spec.tasks.includes(headTask(h).kind))
    // A forecaster's P(return > 0) is not the triple barrier's p_up (the config refuses it too).
    .filter((h) => !(h === 'p_up' && spec.inputView === 'foundation'))
    // The multi-head targets need a model trained on them.
    .filter((h) => !(isTargetHead(h) && spec.zeroShot))
    .map(headName)
  return heads.length ? { heads } : { refused: `none of its tasks (${spec.tasks.join(', ')}) is a head mlf run trains` }
}

function formatRow(r: ModelRow, withParams: boolean): string {
  const run = 'heads' in r.run ? `mlf run: outputs ${r.run.heads.join(', ')}` : `mlf run: no (${r.run.refused})`
  const lines = [
    `${r.name}  [${r.family}]  ${r.available ? 'available' : 'UNAVAILABLE'}  ${run}`,
    `  view ${r.view}${r.alsoTakes.length ? ` (or ${r.alsoTakes.join(', ')} with base_models[].view)` : ''}; tasks ${r.tasks.join(', ')}; outputs ${r.outputs.join(', ')}; ` +
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

/** A discriminated union of objects (the rl policy, by algorithm): its key and each alternative by its key's value. */
function alternatives(schema: z.ZodType): { key: string; options: [string, z.ZodType][] } | null {
  if (!(schema instanceof z.ZodDiscriminatedUnion)) return null
  const key = schema._zod.def.discriminator
  const options = (schema.options as z.ZodObject[]).map((o): [string, z.ZodType] => [
    String((o.shape[key] as z.ZodLiteral).value),
    o,
  ])
  return { key, options }
}

/** The parameters of the combiners, post-processors and policies a config names, one section each. */
export function otherRegistries(): string {
  const combiners = [...combinerRegistry.values()]
    .filter((e) => e.name !== 'voting' && !e.gate) // a config votes with ensemble.kind: voting (members, weights)
    .map((e) => entryBlock(e.name, '', e.params, 'method'))
  const gates = [...combinerRegistry.values()]
    .filter((e) => e.gate)
    .map((e) => entryBlock(e.name, '', e.params, 'method'))
  const posts = (role: 'calibration' | 'uncertainty') =>
    [...postProcessorRegistry.values()]
      .filter((e) => e.role === role)
      .map((e) =>
        entryBlock(
          e.name,
          { class_probabilities: '(the p head)', regression: '(the E_r head)', quantiles: '(the q05/q50/q95 head)' }[
            e.actsOn
          ],
          e.params,
        ),
      )
  const policies = [...policyRegistry.values()].flatMap((e) => {
    // A policy whose defaults do not parse alone (rl names its inputs) reads what its params name.
    const defaults = e.params.safeParse({ kind: e.kind })
    const reads = defaults.success ? e.needs(defaults.data).join(', ') : 'the outputs its inputs name'
    const note = `(reads ${reads}${e.fit ? '; learns on validation rows' : ''})`
    const variants = alternatives(e.params)
    if (!variants) return [entryBlock(e.kind, note, e.params, 'kind')]
    return variants.options.map(([value, schema]) =>
      entryBlock(`${e.kind}, ${variants.key}: ${value}`, note, schema, 'kind').replace(
        new RegExp(`\\n    ${variants.key} .*`),
        '',
      ),
    )
  })
  const executions = [...executionSchemas].map(([kind, schema]) => entryBlock(kind, '', schema, 'kind'))
  return [
    '\ncombiners (ensemble: { method: <name>, ...params }; voting is ensemble: { kind: voting, members, weights })',
    ...combiners,
    '\ngates (ensemble: { method: gating, gate: <name>, ...params })',
    ...gates,
    '\ncalibrators (inference.calibrate: [<name> or { name: <name>, params: {...} }, ...])',
    ...posts('calibration'),
    '\nuncertainty methods (inference.uncertainty: { method: <name>, ...params }, or a list: one per head)',
    ...posts('uncertainty'),
    '\npolicies (policy: { kind: <name>, ...params }, or a list of them backtested side by side)',
    ...policies,
    '\nexecution models (backtest.execution: { kind: <name>, ...params })',
    ...executions,
    '\nacceptance gates (acceptance: { ...params }; docs/acceptance.md)',
    entryBlock('acceptance', '', acceptanceConfigSchema.omit({ bootstrap: true })),
    entryBlock('acceptance.bootstrap', '', bootstrapConfigSchema),
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
    .option('--run-ready', 'only models that can take part in mlf run (with the heads each can output)')
    .action((opts: { params?: boolean; json?: boolean; family?: string; runReady?: boolean }) => {
      const rows = [...registry.values()]
        .map(describeEntry)
        .filter((r) => !opts.family || r.family === opts.family)
        .filter((r) => !opts.runReady || 'heads' in r.run)
        .sort((a, b) => a.family.localeCompare(b.family) || a.name.localeCompare(b.name))
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
        return
      }
      const available = rows.filter((r) => r.available).length
      const ready = rows.filter((r) => 'heads' in r.run).length
      process.stdout.write(
        `${rows.map((r) => formatRow(r, !!opts.params)).join('\n')}\n${available}/${rows.length} models available; ` +
          `${ready} can take part in mlf run\n`,
      )
      if (opts.params && !opts.family) process.stdout.write(`${otherRegistries()}\n`)
    })
}
