/**
 * The `rl` policy entry: a network trained per window on the chain's validation outputs (PPO, SAC, TD3 or DQN on
 * libtorch), carried in the bundle as plain numbers and scored by the TypeScript forward pass, so a bundle scores
 * without libtorch. Its positions are targets held to the next decision (0 goes flat), as the environment pays them.
 */
import { z } from 'zod'
import type { PolicyEntry, PolicyFitData, PolicyRows } from '../contract.js'
import { rlNeeds } from './environment.js'
import { fitRlPolicy, networkPositions, rlPolicySeries } from './fit.js'
import type { PolicyNetwork } from './mlp.js'
import { rlPolicySchema, type RlPolicy } from './params.js'

/** The registry's params: the library's, with what the run cannot do yet refused by name. */
export const rlEntryParams = rlPolicySchema.superRefine((params, ctx) => {
  if (params.observe_position)
    ctx.addIssue({
      code: 'custom',
      path: ['observe_position'],
      message:
        'observe_position: true is not supported by mlf run yet: each position would depend on the path from the first scored row, so mlf predict could not reproduce the run’s positions row by row; leave it false',
    })
})

const finite = z.number().refine(Number.isFinite, 'not a finite number')

const denseLayerSchema = z
  .object({
    inputs: z.number().int().positive(),
    outputs: z.number().int().positive(),
    weight: z.array(finite),
    bias: z.array(finite),
  })
  .strict()
  .refine((l) => l.weight.length === l.inputs * l.outputs && l.bias.length === l.outputs, {
    message: 'weight is not (outputs, inputs) or bias not one per output',
  })

/** A trained network as the bundle holds it: layers that chain, a scaler per input column, sizes per output. */
export const policyNetworkSchema = z
  .object({
    layers: z.array(denseLayerSchema).min(1),
    sizes: z.array(z.number().min(-1).max(1)).optional(),
    center: z.array(finite),
    spread: z.array(finite.refine((v) => v > 0, 'a spread must be positive')),
  })
  .strict()
  .superRefine((net, ctx) => {
    const { layers } = net
    if (net.center.length !== net.spread.length || layers[0].inputs !== net.center.length)
      ctx.addIssue({ code: 'custom', path: ['center'], message: 'the scaler does not match the first layer’s inputs' })
    layers.forEach((l, i) => {
      if (i > 0 && l.inputs !== layers[i - 1].outputs)
        ctx.addIssue({
          code: 'custom',
          path: ['layers', i],
          message: 'its inputs are not the previous layer’s outputs',
        })
    })
    if (layers[layers.length - 1].outputs !== (net.sizes?.length ?? 1))
      ctx.addIssue({ code: 'custom', path: ['layers'], message: 'the last layer gives not one output per size' })
  })

/** The fitted state: the selected seed's network, which seed and which update selection kept. */
export const rlStateSchema = z
  .object({ network: policyNetworkSchema, seed: z.number().int(), update: z.number().int().nonnegative() })
  .strict()

export type RlState = z.infer<typeof rlStateSchema>

function fitRl(data: PolicyFitData, params: RlPolicy) {
  const series = (rows: PolicyRows) => rlPolicySeries(rows.inputs, rows.market, params, data.backtest)
  const train = series(data.train)
  if (train.n <= params.episode)
    throw new Error(
      `policy rl: it trains on the first 70% of the validation rows, ${train.n} here, fewer than episode + 1 (${params.episode + 1}); use a smaller episode or a longer validation split`,
    )
  const fit = fitRlPolicy(train, series(data.select), series(data.test), params, data.seed)
  const { network, seed, update } = fit.selected
  return {
    state: { network: network as RlState['network'], seed, update },
    seeds: fit.seeds.map((s) => ({ seed: s.seed, selectPnl: s.valPnl, testPnl: s.testPnl })),
  }
}

export const rlEntry: PolicyEntry<RlPolicy, RlState> = {
  kind: 'rl',
  params: rlEntryParams,
  needs: (params) => rlNeeds(params.inputs),
  holds: 'target',
  fit: fitRl,
  state: rlStateSchema,
  decide: (inputs, market, params, state) => {
    if (!state)
      throw new Error('policy rl: no trained network (the policy is fitted by mlf run, then read from a bundle)')
    // Costs do not move positions that do not observe the held one; the series needs them only for rewards.
    const series = rlPolicySeries(inputs, market, params, { fees: 0, slippage: 0 })
    if (series.width !== state.network.center.length)
      throw new Error(
        `policy rl: the network reads ${state.network.center.length} input columns, the inputs ${params.inputs.join(', ')} give ${series.width}`,
      )
    return networkPositions(series, state.network as PolicyNetwork)
  },
}
