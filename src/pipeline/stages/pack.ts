/**
 * Pack stage: the final window's chain as a checksummed bundle in the run's (temporary) folder, with the drift
 * reference distributions of its features and outputs.
 */
import { join } from 'node:path'
import { writeBundle } from '../../bundle/manifest.js'
import { baseInterval } from '../../config/schema.js'
import type { ChainLink } from '../../bundle/manifest.js'
import type { Model } from '../../models/contract.js'
import { bundleManifestFields, saveBundleArtifacts, warmupBars } from '../bundle.js'
import type { ScoringChain } from '../scoring.js'
import { driftReferenceStage } from './reference.js'
import type { RunContext } from './context.js'
import type { RunData } from './dataset.js'
import type { WindowResult } from './chain.js'
import type { AcceptanceRecord, ModelResult } from '../../tracking/types.js'
import { policyList } from '../../policy/registry.js'

export async function packStage(
  ctx: RunContext,
  data: RunData,
  last: WindowResult,
  models: readonly ModelResult[],
  workDir: string,
  acceptance?: AcceptanceRecord,
): Promise<string> {
  const { config } = ctx
  const { frame } = data.lf
  const metrics = Object.fromEntries(models.map((m) => [m.name, m.metrics]))
  const member = (m: { name: string; model: Model; features?: readonly string[] }) => ({
    name: m.name,
    model: m.model,
    features: m.features ?? null,
  })
  const chain: ScoringChain = {
    model: last.final,
    features: config.ensemble ? null : (last.members[0].features ?? null),
    postProcessors: [...last.postProcessors],
    heads: last.heads.map((h) => ({
      head: h.head,
      members: h.members.map(member),
      postProcessors: h.postProcessors,
      ...(h.resamples ? { resamples: h.resamples.map((r) => r.map(member)) } : {}),
    })),
    targets: last.targets.map((t) => ({ column: t.spec.column, members: t.members.map(member) })),
    config,
    policyStates: last.policyFits.map((f) => f?.state),
  }
  const reference = driftReferenceStage(ctx, data, last.window, chain, last.regimes)
  const checksum = await writeBundle(
    join(workDir, 'bundle'),
    bundleManifestFields(
      config,
      data.report.fingerprint,
      frame.schema,
      frame.volumeMode,
      warmupBars(frame.specs, baseInterval(config).ms),
      last.finalName,
      chainLinks(ctx, last),
      metrics,
      chain.heads,
      chain.targets,
      last.gate?.members ?? [],
      acceptance && {
        verdict: acceptance.verdict,
        test_period: { start: acceptance.testPeriod.start, end: acceptance.testPeriod.end },
        gates: acceptance.gates.map(({ gate, value, threshold, op, pass }) => ({ gate, value, threshold, op, pass })),
      },
    ),
    (tmp) =>
      saveBundleArtifacts(
        tmp,
        config,
        chain.model,
        last.finalName,
        chain.postProcessors,
        chain.features,
        chain.heads,
        chain.targets,
        reference,
        last.regimes,
      ),
  )
  ctx.lap('bundle')
  return checksum
}

/**
 * The chain as the manifest lists it: regime models, members (view, head, features), combiner, post-processors,
 * policy; then each other head's member and post-processors.
 */
export function chainLinks(ctx: RunContext, last: WindowResult): ChainLink[] {
  const member = (
    name: string,
    model: Model,
    features?: readonly string[],
    head = 'class_probabilities',
  ): ChainLink => ({
    role: 'member',
    name,
    view: model.spec.inputView,
    head,
    features: features ? [...features] : null,
  })
  const { policy } = ctx.config
  return [
    ...last.regimes.map((r): ChainLink => ({
      role: 'regime',
      name: r.prefix,
      model: r.fitted.model,
      states: r.fitted.states,
      features: [...r.fitted.features],
    })),
    ...last.members.map((m) => member(m.name, m.model, m.features)),
    ...(last.combination ? [{ role: 'combiner' as const, name: last.combination.name }] : []),
    ...last.postProcessors.map((p) => ({ role: 'post_processor' as const, name: p.name, state: { ...p.state } })),
    ...policyList(policy).map((p, j): ChainLink => {
      const fit = last.policyFits[j]
      return {
        role: 'policy',
        name: p.kind,
        params: { ...p },
        ...(fit ? { state: { ...(fit.state as Record<string, unknown>) } } : {}),
      }
    }),
    // The other heads after the p chain: each member, then its post-processors.
    ...last.heads.flatMap((h): ChainLink[] => [
      ...h.members.map((m) => member(m.name, m.model, m.features, h.head)),
      ...h.postProcessors.map((p) => ({
        role: 'post_processor' as const,
        name: p.name,
        head: h.head,
        state: { ...p.state },
      })),
    ]),
    ...last.targets.flatMap((t) => t.members.map((m) => member(m.name, m.model, m.features, t.spec.column))),
  ]
}
