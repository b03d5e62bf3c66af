import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { z } from 'zod'
import type { DataView, FeatureMatrixView } from '../../features/views/types.js'
import type { ArtifactRefs, Outputs, Task } from '../contract.js'
import { taskSchema } from '../persist.js'

/**
 * What imported (pre-trained elsewhere) models share: their parameters name the model file; `save(dir)` copies the
 * file's bytes next to a small metadata file, so bundles carry the model itself and `load(dir)` needs nothing else.
 */
export const importedParams = z
  .strictObject({
    /** The model file trained elsewhere. */
    path: z.string().min(1).describe('Path of the model file trained elsewhere'),
  })
  .readonly()
export type ImportedParams = z.infer<typeof importedParams>

export const IMPORTED_META = 'imported.meta.json'

export interface ImportedMeta {
  readonly format: 'mlfactory.imported/1'
  readonly model: string
  readonly task: Task
  /** Name of the copied model file inside the directory. */
  readonly file: string
  /** Where the model was imported from (informational). */
  readonly source: string
}

export function readModelFile(path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new Error(`${path}: cannot read model file: ${(err as Error).message}`)
  }
}

export async function saveImported(
  dir: string,
  model: string,
  task: Task,
  file: string,
  bytes: Uint8Array,
  source: string,
): Promise<ArtifactRefs> {
  await mkdir(dir, { recursive: true })
  const meta: ImportedMeta = { format: 'mlfactory.imported/1', model, task, file, source }
  await writeFile(join(dir, file), bytes)
  await writeFile(join(dir, IMPORTED_META), JSON.stringify(meta, null, 2) + '\n')
  return { files: [file, IMPORTED_META] }
}

const importedMetaSchema = z
  .object({
    format: z.literal('mlfactory.imported/1', { message: 'is not "mlfactory.imported/1"' }),
    model: z.string(),
    task: taskSchema,
    file: z
      .string()
      .refine(
        (f) => basename(f) === f && f !== '.' && f !== '..' && f !== '',
        'must be a file name in the same directory',
      ),
    source: z.string(),
  })
  .strict()

/** Read what `saveImported` wrote; errors name the file and the field. */
export async function loadImported(
  dir: string,
  model: string,
): Promise<{ meta: ImportedMeta; path: string; bytes: Buffer }> {
  const metaPath = join(dir, IMPORTED_META)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(metaPath, 'utf8'))
  } catch (err) {
    throw new Error(`${metaPath}: cannot read imported-model metadata: ${(err as Error).message}`)
  }
  const parsed = importedMetaSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${metaPath}: field "${issue.path.join('.') || '(root)'}" ${issue.message}`)
  }
  const meta = parsed.data as ImportedMeta
  if (meta.model !== model)
    throw new Error(`${metaPath}: field "model" is ${JSON.stringify(meta.model)}, expected "${model}"`)
  const path = join(dir, meta.file)
  return { meta, path, bytes: readModelFile(path) }
}

export function featureMatrixOf(x: DataView, who: string, width: number): FeatureMatrixView {
  if (x.kind !== 'feature_matrix') throw new Error(`${who} takes a feature_matrix view, got ${x.kind}`)
  if (x.f !== width) throw new Error(`${who}: the model expects ${width} features, got ${x.f}`)
  return x
}

/** Wrap per-row model outputs as the contract's Outputs for `task`. */
export function outputsFor(task: Task, n: number, values: Float64Array): Outputs {
  if (task.kind === 'binary') return { n, p_up: values }
  if (task.kind === 'multiclass') return { n, p: values, classes: task.classes }
  return { n, E_r: values }
}

export function taskLabel(task: Task): string {
  return task.kind === 'multiclass' ? `multiclass with ${task.classes} classes` : task.kind
}
