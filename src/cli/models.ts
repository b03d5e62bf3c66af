import type { Command } from 'commander'
import { registry, type ModelEntry } from '../models/registry.js'

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
  }
}

function formatRow(r: ModelRow, withParams: boolean): string {
  const lines = [
    `${r.name}  [${r.family}]  ${r.available ? 'available' : 'UNAVAILABLE'}`,
    `  view ${r.view}; tasks ${r.tasks.join(', ')}; outputs ${r.outputs.join(', ')}; ` +
      `${r.causal ? 'causal' : 'non-causal'}${r.zeroShot ? '; zero-shot (no training)' : ''}`,
  ]
  if (r.hint) lines.push(`  install: ${r.hint}`)
  if (withParams) {
    lines.push(
      typeof r.defaults === 'string'
        ? `  params: ${r.defaults}`
        : `  params: ${
            Object.entries(r.defaults)
              .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
              .join(' ') || '(none)'
          }`,
    )
  }
  return lines.join('\n')
}

export function register(program: Command): void {
  program
    .command('models')
    .description('list the model registry: each model spec, whether its engine is installed (or how to install it)')
    .option('--params', 'also show every parameter with its default')
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
    })
}
