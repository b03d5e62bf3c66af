import { z } from 'zod'
import type { ArtifactRefs, Task } from '../../contract.js'
import type { LinearScorer } from './classifier.js'
import { preprocessorFromJson, preprocessorToJson } from './preprocess.js'
import { preprocessSchema, readJson, taskSchema, writeJson } from '../../persist.js'

/** File written by every linear model (logistic, linear_svc, ridge, elastic_net). */
export const LINEAR_MODEL_FILE = 'model.json'

const fileSchema = z.object({
  format: z.string(),
  version: z.literal(1),
  params: z.record(z.string(), z.unknown()),
  task: taskSchema,
  preprocess: preprocessSchema,
  link: z.enum(['sigmoid', 'softmax', 'identity']),
  coef: z.array(z.number()),
  intercept: z.array(z.number()),
})

export interface SavedLinear {
  readonly params: Record<string, unknown>
  readonly task: Task
  readonly scorer: LinearScorer
}

export async function saveLinear(dir: string, format: string, saved: SavedLinear): Promise<ArtifactRefs> {
  const { scorer } = saved
  await writeJson(dir, LINEAR_MODEL_FILE, {
    format,
    version: 1,
    params: saved.params,
    task: saved.task,
    preprocess: preprocessorToJson(scorer.preprocess),
    link: scorer.link,
    coef: [...scorer.coef],
    intercept: [...scorer.intercept],
  })
  return { files: [LINEAR_MODEL_FILE] }
}

export async function loadLinear(dir: string, format: string): Promise<SavedLinear> {
  const j = await readJson(dir, LINEAR_MODEL_FILE, fileSchema)
  const where = `${dir}/${LINEAR_MODEL_FILE}`
  if (j.format !== format) throw new Error(`${where}: format is "${j.format}", expected "${format}"`)
  const preprocess = preprocessorFromJson(j.preprocess, where)
  const f = preprocess.medians.length
  if (j.coef.length !== j.intercept.length * f) {
    throw new Error(
      `${where}: coef has ${j.coef.length} values, expected intercept rows ${j.intercept.length} x ${f} features`,
    )
  }
  return {
    params: j.params,
    task: j.task,
    scorer: { preprocess, coef: Float64Array.from(j.coef), intercept: Float64Array.from(j.intercept), link: j.link },
  }
}
