import { z } from 'zod'
import type { ArtifactRefs, FitContext, Outputs } from '../models/contract.js'
import { readJson, writeJson } from '../models/persist.js'
import {
  COMBINER_FILE,
  classesOf,
  refitMembers,
  type Combiner,
  type CombinerEntry,
  type CombinerFit,
  type CombinerFitInput,
} from './combiner.js'
import { checkMembers } from './oof.js'
import { probabilityOutputs } from './probabilities.js'
import { softVote } from './voting.js'

export const votingParams = z.strictObject({
  method: z.literal('voting'),
  /** One weight per member, in member order; equal weights when absent. */
  weights: z
    .array(z.number().positive().finite())
    .min(1)
    .optional()
    .describe('One weight per member, in member order; equal weights when absent'),
})
export type VotingParams = z.infer<typeof votingParams>

const votingFile = z.strictObject({
  format: z.literal('mlfactory.combiner'),
  version: z.literal(1),
  method: z.literal('voting'),
  classes: z.int().min(2),
  members: z.array(z.string().min(1)).min(1),
  weights: z.array(z.number().positive().finite()).min(1),
})
type VotingState = z.infer<typeof votingFile>

/** Weighted soft voting over member outputs (the voting ensemble's average), weights normalised to sum to 1. */
export function votingCombiner(state: VotingState): Combiner {
  if (state.weights.length !== state.members.length) {
    throw new Error(`voting: ${state.weights.length} weights for ${state.members.length} members`)
  }
  const total = state.weights.reduce((s, w) => s + w, 0)
  const weights = state.weights.map((w) => w / total)
  return {
    method: 'voting',
    members: state.members,
    classes: state.classes,
    extraFeatures: [],
    predict(outs: readonly Outputs[]): Outputs {
      if (outs.length !== state.members.length) {
        throw new Error(`voting: got outputs of ${outs.length} members, expected ${state.members.length}`)
      }
      const p = softVote(outs, weights, state.classes, (m) => `member "${state.members[m]}"`)
      return probabilityOutputs(p, state.classes)
    },
    async save(dir: string): Promise<ArtifactRefs> {
      await writeJson(dir, COMBINER_FILE, state)
      return { files: [COMBINER_FILE] }
    },
  }
}

/** Voting has nothing to learn: members are fitted on the whole window and averaged. */
async function fitVoting(params: VotingParams, input: CombinerFitInput, ctx: FitContext): Promise<CombinerFit> {
  checkMembers(input.members)
  const names = input.members.map((m) => m.name)
  if (params.weights && params.weights.length !== names.length) {
    throw new Error(
      `ensemble.weights: ${params.weights.length} weights for ${names.length} members (${names.join(', ')})`,
    )
  }
  const combiner = votingCombiner({
    format: 'mlfactory.combiner',
    version: 1,
    method: 'voting',
    classes: classesOf(input.task, 'voting'),
    members: names,
    weights: params.weights ?? names.map(() => 1),
  })
  return { combiner, members: await refitMembers(input, ctx) }
}

export const votingCombinerEntry: CombinerEntry<VotingParams> = {
  name: 'voting',
  params: votingParams,
  available: () => ({ ok: true }),
  fit: fitVoting,
  load: async (dir) => votingCombiner(await readJson(dir, COMBINER_FILE, votingFile)),
}
