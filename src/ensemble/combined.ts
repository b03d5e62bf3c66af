/**
 * A fitted combiner (stacking, blending) with its fitted members, as one model of the chain: views in, the
 * combiner's class probabilities out. It saves and loads as one folder (members, then the combiner), the way a
 * voting ensemble does, so a bundle holds it and scoring rebuilds it through the registries.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { DataView, ViewSet } from '../features/views/types.js'
import type { ArtifactRefs, Model, ModelSpec, Outputs, Task } from '../models/contract.js'
import { registry } from '../models/registry.js'
import { parseWith, taskSchema } from '../models/persist.js'
import type { Combiner } from './combiner.js'
import { combinerRegistry, loadCombiner } from './registry.js'
import { loadVotingEnsemble, memberParts, memberView, selectColumns } from './voting.js'

export interface CombinedMember {
  readonly name: string
  readonly model: Model
  readonly features?: readonly string[]
}

export const ENSEMBLE_FILE = 'ensemble.json'
const COMBINER_DIR = 'combiner'

function combinedSpec(method: string): ModelSpec {
  return {
    name: method,
    family: 'ensemble',
    inputView: 'feature_matrix',
    outputs: ['p_up', 'p'],
    tasks: ['binary', 'multiclass'],
    causal: true,
    zeroShot: false,
  }
}

/** The combiner's extra meta-features (row-major) from the feature matrix it is given; none when it has none. */
function extraMetaFeatures(combiner: Combiner, x: DataView | ViewSet): Float64Array | undefined {
  const names = combiner.extraFeatures
  if (names.length === 0) return undefined
  const matrix = x.kind === 'view_set' ? x.views.feature_matrix : x
  if (!matrix || matrix.kind !== 'feature_matrix')
    throw new Error(`${combiner.method}: its meta-features (${names.join(', ')}) need a feature_matrix view`)
  return selectColumns(matrix, names).data
}

export type CombinedModel = Model & { readonly members: readonly CombinedMember[]; readonly combiner: Combiner }

/** The combiner of a combined model that learns online from closed outcomes, or null. */
export function onlineCombiner(model: Model): Combiner | null {
  const c = (model as Partial<CombinedModel>).combiner
  return c?.online ? c : null
}

export function combinedModel(combiner: Combiner, members: readonly CombinedMember[], task: Task): CombinedModel {
  const names = members.map((m) => m.name)
  if (names.join('\n') !== combiner.members.join('\n')) {
    throw new Error(`${combiner.method}: members [${names.join(', ')}] are not its [${combiner.members.join(', ')}]`)
  }
  return {
    spec: combinedSpec(combiner.method),
    task,
    members,
    combiner,
    parts: memberParts(members),
    async fit() {
      throw new Error(`a fitted ${combiner.method} ensemble is refitted by the run, not by fit()`)
    },
    predict(x: DataView | ViewSet): Outputs {
      const outs = members.map((m) => m.model.predict(memberView(m, x)))
      const outcomes = x.kind === 'view_set' ? x.outcomes : undefined
      if (combiner.online && !outcomes)
        throw new Error(`${combiner.method} learns online: it needs the rows' outcome times and labels`)
      const out = combiner.predict(outs, extraMetaFeatures(combiner, x), outcomes)
      const k = combiner.classes
      return out.p_up || !out.p
        ? out
        : { ...out, p_up: Float64Array.from({ length: out.n }, (_, i) => out.p![i * k + k - 1]) }
    },
    async save(dir: string): Promise<ArtifactRefs> {
      const files: string[] = [ENSEMBLE_FILE]
      const saved = []
      for (const [i, m] of members.entries()) {
        const sub = `member-${i}-${m.name}`
        await mkdir(join(dir, sub), { recursive: true })
        files.push(...(await m.model.save(join(dir, sub))).files.map((f) => `${sub}/${f}`))
        saved.push({ name: m.name, features: m.features ?? null, dir: sub })
      }
      await mkdir(join(dir, COMBINER_DIR), { recursive: true })
      files.push(...(await combiner.save(join(dir, COMBINER_DIR))).files.map((f) => `${COMBINER_DIR}/${f}`))
      const meta = { kind: combiner.method, task, members: saved }
      await writeFile(join(dir, ENSEMBLE_FILE), `${JSON.stringify(meta, null, 1)}\n`)
      return { files }
    },
  }
}

const combinedMetaSchema = z
  .object({
    kind: z
      .string()
      .refine((k) => k !== 'voting' && combinerRegistry.has(k), 'a combiner of the registry fitted on held-out rows'),
    task: taskSchema,
    members: z
      .array(
        z
          .object({
            name: z.string(),
            features: z.array(z.string()).min(1).nullable(),
            dir: z.string().regex(/^member-\d+-[\w.-]+$/, 'a member folder of this ensemble'),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()

/** Load any saved ensemble (voting, stacking, blending) by the kind its ensemble.json names. */
export async function loadEnsemble(dir: string): Promise<Model> {
  const file = join(dir, ENSEMBLE_FILE)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`)
  }
  if ((raw as { kind?: unknown } | null)?.kind === 'voting') return loadVotingEnsemble(dir)
  const meta = parseWith(combinedMetaSchema, raw, file)
  const members: CombinedMember[] = []
  for (const m of meta.members) {
    const entry = registry.get(m.name)
    if (!entry) throw new Error(`${file}: member model "${m.name}" is not in the registry`)
    const model = await entry.load(join(dir, m.dir))
    members.push({ name: m.name, model, ...(m.features ? { features: m.features } : {}) })
  }
  const combiner = await loadCombiner(join(dir, COMBINER_DIR))
  if (combiner.method !== meta.kind)
    throw new Error(`${file}: kind ${meta.kind}, but the combiner is ${combiner.method}`)
  return combinedModel(combiner, members, meta.task as Task)
}
