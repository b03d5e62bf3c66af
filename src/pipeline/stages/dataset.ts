/** Ingest and dataset stages: validated bars, then features, labels and the rows every model can use as samples. */
import { ingestFile } from '../../data/ingest.js'
import type { Bars } from '../../data/bars.js'
import type { ValidationReport } from '../../data/validate.js'
import { buildLabeledFrame, type LabeledFrame } from '../dataset.js'
import { sampleMask, viewNeeds, viewOptions, type ViewOptions } from '../predict.js'
import type { RunContext } from './context.js'

export interface Ingested {
  readonly bars: Bars
  readonly report: ValidationReport
}

export interface RunData extends Ingested {
  readonly lf: LabeledFrame
  readonly vopts: ViewOptions
  /**
   * 1 where a row can be a sample for every base model (usable features, a full window for window models, a full
   * context for foundation models).
   */
  readonly mask: Uint8Array
}

export async function ingestStage(ctx: RunContext, dataFile: string): Promise<Ingested> {
  const out = await ingestFile(dataFile, ctx.config.data)
  ctx.lap('ingest+validate')
  return out
}

export function datasetStage(ctx: RunContext, ingested: Ingested): RunData {
  const { config } = ctx
  const vopts = viewOptions(config, ingested.bars)
  const needs = viewNeeds(config)
  // Checked before any feature is computed.
  const bars = ingested.bars.length
  for (const [on, key, length] of [
    [needs.window, 'window_steps', vopts.windowSteps],
    [needs.foundation, 'foundation_context', vopts.foundationContext],
  ] as const) {
    if (on && length > bars)
      throw new Error(
        `views.${key} is ${length} bars, longer than the data (${bars} bars): no row has a whole ` +
          `${key === 'window_steps' ? 'window' : 'context'} behind it; shorten it or use more data`,
      )
  }
  const lf = buildLabeledFrame(ingested.bars, config)
  const mask = sampleMask(lf.frame, vopts, needs)
  ctx.lap('features+labels')
  return { ...ingested, lf, vopts, mask }
}
