import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { Task } from './contract.js'

/** Saved parameters of fitted models are plain JSON: doubles round-trip exactly through JS number formatting. */
export async function writeJson(dir: string, file: string, value: unknown): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, file), JSON.stringify(value))
}

/** Read and validate a JSON artifact; errors name the file and the bad field. */
export async function readJson<T>(dir: string, file: string, schema: z.ZodType<T>): Promise<T> {
  const path = join(dir, file)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (e) {
    throw new Error(`${path}: cannot read model JSON: ${(e as Error).message}`)
  }
  return parseWith(schema, raw, path)
}

/** readJson for loaders that run synchronously. */
export function readJsonSync<T>(path: string, schema: z.ZodType<T>): T {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new Error(`${path}: cannot read model JSON: ${(e as Error).message}`)
  }
  return parseWith(schema, raw, path)
}

/**
 * Read a model.json: its schema, then that it is of `format`, holds model `name`, and has params the entry's
 * schema accepts. Errors name the file.
 */
export function readModelJson<M extends { format: string; name: string; params: unknown }, P>(
  path: string,
  schema: z.ZodType<M>,
  expect: { readonly format: string; readonly name: string; readonly params: z.ZodType<P> },
): { meta: M; params: P } {
  const meta = readJsonSync(path, schema)
  if (meta.format !== expect.format) throw new Error(`${path}: format "${meta.format}" is not ${expect.format}`)
  if (meta.name !== expect.name) throw new Error(`${path}: holds model "${meta.name}", not "${expect.name}"`)
  const parsed = expect.params.safeParse(meta.params)
  if (!parsed.success)
    throw new Error(`${path}: invalid params: ${parsed.error.issues.map((i) => i.message).join('; ')}`)
  return { meta, params: parsed.data }
}

export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, where: string): T {
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    throw new Error(`${where}: invalid model file:\n  ${issues.join('\n  ')}`)
  }
  return parsed.data
}

export const taskSchema: z.ZodType<Task> = z.union([
  z.object({ kind: z.literal('binary') }),
  z.object({ kind: z.literal('multiclass'), classes: z.number().int().min(2) }),
  z.object({ kind: z.literal('regression') }),
  z.object({ kind: z.literal('quantile'), quantiles: z.array(z.number()) }),
])

/** The fields a saved model.json of the torch and ONNX families starts with; each family adds its own. */
export const savedModelFields = {
  format: z.string(),
  name: z.string(),
  params: z.unknown(),
  task: taskSchema,
}

export const preprocessSchema = z.object({
  names: z.array(z.string()),
  medians: z.array(z.number()),
  center: z.array(z.number()),
  scale: z.array(z.number()),
})
