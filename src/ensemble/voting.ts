import { z } from 'zod'
import { firstBadDistribution } from '../core/probabilities.js'
import { didYouMean } from '../core/suggest.js'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DataView, FeatureMatrixView, ViewSet } from '../features/views/types.js'
import type {
  ArtifactRefs,
  Dataset,
  FitContext,
  Model,
  ModelPart,
  ModelSpec,
  Outputs,
  Task,
} from '../models/contract.js'
import { registry } from '../models/registry.js'

export interface VotingMember {
  /** The registry name of the member's model. */
  readonly name: string
  readonly model: Model
  readonly weight: number
  /** Feature-matrix columns the member uses (by name); all columns when absent. */
  readonly features?: readonly string[]
}

export const VOTING_SPEC: ModelSpec = {
  name: 'voting',
  family: 'ensemble',
  inputView: 'feature_matrix',
  outputs: ['p_up', 'p', 'E_r'],
  tasks: ['binary', 'multiclass', 'regression'],
  causal: true,
  zeroShot: false,
}

/** Columns of a feature matrix, by name, as a new matrix (what a member with a feature slice sees). */
export function selectColumns(x: FeatureMatrixView, names: readonly string[]): FeatureMatrixView {
  const index = names.map((name) => {
    const j = x.names.indexOf(name)
    if (j < 0)
      throw new Error(
        `feature "${name}" is not in the feature matrix${didYouMean(name, x.names).replace(/^./, '; $&')}`,
      )
    return j
  })
  const data = new Float64Array(x.n * index.length)
  for (let i = 0; i < x.n; i++) {
    for (let c = 0; c < index.length; c++) data[i * index.length + c] = x.data[i * x.f + index[c]]
  }
  return { kind: 'feature_matrix', n: x.n, f: index.length, data, names: [...names] }
}

export function memberView(member: Pick<VotingMember, 'name' | 'model' | 'features'>, x: DataView | ViewSet): DataView {
  const kind = member.model.spec.inputView
  const view = x.kind === 'view_set' ? x.views[kind] : x.kind === kind ? x : undefined
  if (!view) throw new Error(`ensemble member "${member.name}" needs a ${kind} view, which was not given`)
  return member.features && view.kind === 'feature_matrix' ? selectColumns(view, member.features) : view
}

/**
 * Weighted average of the members' (n, k) class probabilities (from `p`, or `p_up` when k = 2); `weights` sum to 1.
 * Shared by the voting model and the voting combiner. `who(m)` names member m in errors.
 */
export function softVote(
  outs: readonly Outputs[],
  weights: readonly number[],
  k: number,
  who: (m: number) => string,
): Float64Array {
  const n = outs[0].n
  const p = new Float64Array(n * k)
  outs.forEach((o, m) => {
    const w = weights[m]
    // A member that fails is named here: after averaging, only the ensemble could be.
    const bad = o.p && o.classes === k ? firstBadDistribution(o.p, k) : null
    if (bad) throw new Error(`${who(m)} gave no valid probabilities for sample ${bad.row}: [${bad.values.join(', ')}]`)
    if (o.p && o.classes === k) {
      for (let i = 0; i < n * k; i++) p[i] += w * o.p[i]
    } else if (o.p_up && k === 2) {
      for (let i = 0; i < n; i++) {
        p[2 * i] += w * (1 - o.p_up[i])
        p[2 * i + 1] += w * o.p_up[i]
      }
    } else throw new Error(`${who(m)} gives no class probabilities for ${k} classes`)
  })
  return p
}

/** An ensemble's members as the parts of the model contract, in member order. */
export function memberParts(members: readonly Pick<VotingMember, 'name' | 'model' | 'features'>[]): ModelPart[] {
  return members.map((m) => ({
    name: m.name,
    model: m.model,
    role: 'member',
    ...(m.features ? { features: m.features } : {}),
  }))
}

/**
 * Weighted soft voting over fitted members: class probabilities (or E_r for regression) are averaged with weights
 * normalized to sum to 1. Members are fitted before they join; the ensemble itself has nothing to fit.
 */
export function votingEnsemble(
  members: readonly VotingMember[],
  task: Task,
): Model & { members: readonly VotingMember[] } {
  if (members.length < 2) throw new Error(`a voting ensemble needs at least 2 members, got ${members.length}`)
  for (const m of members) {
    if (!(m.weight > 0) || !Number.isFinite(m.weight))
      throw new Error(`ensemble member "${m.name}": weight must be > 0, got ${m.weight}`)
  }
  const total = members.reduce((s, m) => s + m.weight, 0)
  const weights = members.map((m) => m.weight / total)
  return {
    spec: VOTING_SPEC,
    task,
    members,
    parts: memberParts(members),
    async fit(_train: Dataset, _val: Dataset | undefined, _ctx: FitContext) {
      throw new Error('a voting ensemble combines fitted members; fit the members instead')
    },
    predict(x: DataView | ViewSet): Outputs {
      const outs = members.map((m) => m.model.predict(memberView(m, x)))
      const n = outs[0].n
      if (task.kind === 'regression') {
        const er = new Float64Array(n)
        outs.forEach((o, k) => {
          if (!o.E_r) throw new Error(`ensemble member "${members[k].name}" gives no E_r`)
          for (let i = 0; i < n; i++) er[i] += weights[k] * o.E_r[i]
        })
        return { n, E_r: er }
      }
      const k = task.kind === 'multiclass' ? task.classes : 2
      const p = softVote(outs, weights, k, (m) => `ensemble member "${members[m].name}"`)
      const out: Outputs = { n, p, classes: k }
      out.p_up = Float64Array.from({ length: n }, (_, i) => p[i * k + k - 1])
      return out
    },
    async save(dir: string): Promise<ArtifactRefs> {
      const files: string[] = ['ensemble.json']
      const saved = []
      for (const [i, m] of members.entries()) {
        const sub = `member-${i}-${m.name}`
        await mkdir(join(dir, sub), { recursive: true })
        const refs = await m.model.save(join(dir, sub))
        files.push(...refs.files.map((f) => `${sub}/${f}`))
        saved.push({ name: m.name, weight: m.weight, features: m.features ?? null, dir: sub })
      }
      await writeFile(
        join(dir, 'ensemble.json'),
        `${JSON.stringify({ kind: 'voting', task, members: saved }, null, 1)}\n`,
      )
      return { files }
    },
  }
}

const ensembleMetaSchema = z
  .object({
    kind: z.literal('voting'),
    task: z.union([
      z.object({ kind: z.literal('multiclass'), classes: z.number().int().min(2) }).strict(),
      z.object({ kind: z.enum(['binary', 'regression']) }).strict(),
    ]),
    members: z
      .array(
        z
          .object({
            name: z.string(),
            weight: z.number().positive().finite(),
            features: z.array(z.string()).min(1).nullable(),
            dir: z.string().regex(/^member-\d+-[\w.-]+$/, 'a member folder of this ensemble'),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()

export async function loadVotingEnsemble(dir: string) {
  const file = join(dir, 'ensemble.json')
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`)
  }
  const parsed = ensembleMetaSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new Error(`${file} is invalid at ${issue.path.join('.') || '(the whole file)'}: ${issue.message}`)
  }
  const meta = parsed.data as {
    task: Task
    members: { name: string; weight: number; features: string[] | null; dir: string }[]
  }
  const members: VotingMember[] = []
  for (const m of meta.members) {
    const entry = registry.get(m.name)
    if (!entry) throw new Error(`${join(dir, 'ensemble.json')}: member model "${m.name}" is not in the registry`)
    members.push({
      name: m.name,
      weight: m.weight,
      features: m.features ?? undefined,
      model: await entry.load(join(dir, m.dir)),
    })
  }
  return votingEnsemble(members, meta.task)
}
