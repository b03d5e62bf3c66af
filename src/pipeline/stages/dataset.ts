/** Ingest and dataset stages: validated bars, then features, labels and the rows every model can use as samples. */
import { ingestFile } from '../../data/ingest.js'
import type { Bars } from '../../data/bars.js'
import type { ValidationReport } from '../../data/validate.js'
import { registry } from '../../models/registry.js'
import { buildLabeledFrame, type LabeledFrame } from '../dataset.js'
import { sampleMask, viewOptions, type ViewOptions } from '../predict.js'
import type { RunContext } from './context.js'

export interface Ingested {
  readonly bars: Bars
  readonly report: ValidationReport
}

export interface RunData extends Ingested {
  readonly lf: LabeledFrame
  readonly vopts: ViewOptions
  /** 1 where a row can be a sample for every base model (usable features, and a full window for window models). */
  readonly mask: Uint8Array
}

export async function ingestStage(ctx: RunContext, dataFile: string): Promise<Ingested> {
  const out = await ingestFile(dataFile, ctx.config.data)
  ctx.lap('ingest+validate')
  return out
}

export function datasetStage(ctx: RunContext, ingested: Ingested): RunData {
  const { config } = ctx
  const lf = buildLabeledFrame(ingested.bars, config)
  const vopts = viewOptions(config)
  const needsWindow = config.base_models.some((m) => registry.get(m.name)?.spec.inputView === 'window_tensor')
  const mask = sampleMask(lf.frame, vopts, needsWindow)
  ctx.lap('features+labels')
  return { ...ingested, lf, vopts, mask }
}
